/** Image references (pure). */

/** Telegraf's image split: name and version ("unknown" without a tag); a registry port is not a tag. */
export function parseImage(image: string): { name: string; version: string } {
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  let domain = '';
  let rest = ref;
  const slash = ref.indexOf('/');
  if (slash >= 0 && (/[.:]/.test(ref.slice(0, slash)) || ref.slice(0, slash) === 'localhost')) {
    domain = ref.slice(0, slash);
    rest = ref.slice(slash + 1);
  }
  let name = rest;
  let version = 'unknown';
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    name = rest.slice(0, colon);
    version = rest.slice(colon + 1);
  }
  return { name: domain ? `${domain}/${name}` : name, version };
}
