/** Which containers' logs are followed: by label ("key" or "key=value") or name glob; nothing set = all. Pure. */

export function globToRegExp(glob: string): RegExp {
  const src = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${src}$`);
}

export function logSelector(opts: { labels: string[]; names: string[] }): (name: string, labels: Record<string, string>) => boolean {
  const names = opts.names.map(globToRegExp);
  const labels = opts.labels.map((l) => {
    const eq = l.indexOf('=');
    return eq < 0 ? { key: l, value: undefined } : { key: l.slice(0, eq), value: l.slice(eq + 1) };
  });
  if (names.length === 0 && labels.length === 0) return () => true;
  return (name, lbls) =>
    names.some((re) => re.test(name)) ||
    labels.some((l) => lbls[l.key] !== undefined && (l.value === undefined || lbls[l.key] === l.value));
}
