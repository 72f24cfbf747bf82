/**
 * Label matchers in Alertmanager's notation: name="value", name!="value",
 * name=~"regex", name!~"regex". Regular expressions are anchored and use
 * RE2's syntax, as in Alertmanager, compiled with re2js: matching takes time
 * linear in the input whatever the pattern (no backtracking), so a matcher an
 * API caller sends cannot stall the alerter. Used by routes, silences,
 * inhibition and recovery actions.
 */
import { RE2JS } from 're2js';

/** Longest matcher accepted (the whole `name=~"value"` text). */
export const MAX_MATCHER_LENGTH = 1024;

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
}

const RE = /^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]*))\s*$/;

/** Parses `severity="critical"`; throws with the reason on anything else. */
export function parseMatcher(s: string): Matcher {
  if (s.length > MAX_MATCHER_LENGTH) throw new Error(`matcher longer than ${MAX_MATCHER_LENGTH} characters`);
  const m = RE.exec(s);
  if (!m) throw new Error(`not a matcher: ${JSON.stringify(s)} (use e.g. severity="critical" or container=~"web-.*")`);
  const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[4];
  const op = m[2] as MatchOp;
  if (op === '=~' || op === '!~') {
    try {
      compile(value);
    } catch (e) {
      throw new Error(`matcher ${JSON.stringify(s)}: bad regular expression: ${(e as Error).message}`);
    }
  }
  return { name: m[1], op, value };
}

const compile = (v: string) => RE2JS.compile(`^(?:${v})$`);

// Bounded: silences come and go through the API.
const cache = new Map<string, RE2JS>();
const regex = (v: string) => {
  let r = cache.get(v);
  if (!r) {
    if (cache.size >= 10_000) cache.clear();
    cache.set(v, (r = compile(v)));
  }
  return r;
};

/** A missing label matches as the empty string, as in Alertmanager. */
export function matches(m: Matcher, labels: Record<string, string>): boolean {
  const v = labels[m.name] ?? '';
  switch (m.op) {
    case '=': return v === m.value;
    case '!=': return v !== m.value;
    case '=~': return regex(m.value).matches(v);
    case '!~': return !regex(m.value).matches(v);
  }
}

export const matchesAll = (ms: readonly Matcher[], labels: Record<string, string>) => ms.every((m) => matches(m, labels));

export const formatMatcher = (m: Matcher) => `${m.name}${m.op}${JSON.stringify(m.value)}`;
