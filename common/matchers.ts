/**
 * Label matchers in Alertmanager's notation: name="value", name!="value",
 * name=~"regex", name!~"regex". Regular expressions are anchored, as in
 * Alertmanager. Used by routes, silences, inhibition and recovery actions.
 */
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
}

const RE = /^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]*))\s*$/;

/** Parses `severity="critical"`; throws with the reason on anything else. */
export function parseMatcher(s: string): Matcher {
  const m = RE.exec(s);
  if (!m) throw new Error(`not a matcher: ${JSON.stringify(s)} (use e.g. severity="critical" or container=~"web-.*")`);
  const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[4];
  const op = m[2] as MatchOp;
  if (op === '=~' || op === '!~') {
    try {
      new RegExp(`^(?:${value})$`);
    } catch (e) {
      throw new Error(`matcher ${JSON.stringify(s)}: bad regular expression: ${(e as Error).message}`);
    }
  }
  return { name: m[1], op, value };
}

const cache = new Map<string, RegExp>();
const regex = (v: string) => {
  let r = cache.get(v);
  if (!r) cache.set(v, (r = new RegExp(`^(?:${v})$`)));
  return r;
};

/** A missing label matches as the empty string, as in Alertmanager. */
export function matches(m: Matcher, labels: Record<string, string>): boolean {
  const v = labels[m.name] ?? '';
  switch (m.op) {
    case '=': return v === m.value;
    case '!=': return v !== m.value;
    case '=~': return regex(m.value).test(v);
    case '!~': return !regex(m.value).test(v);
  }
}

export const matchesAll = (ms: readonly Matcher[], labels: Record<string, string>) => ms.every((m) => matches(m, labels));

export const formatMatcher = (m: Matcher) => `${m.name}${m.op}${JSON.stringify(m.value)}`;
