/**
 * Secrets in the configuration (pure): where they are, how a URL is shown
 * without them, and the list of secret values the logger scrubs from every
 * line it writes (common/log.ts), error messages included.
 *
 * Secret-bearing places: influx.token/.password, credentials in any URL (user
 * info, query values), redis.password, alerter.smtp.password, alerter.api.token,
 * alerter.actions.signingKey, every receiver's headers, the SMS body template,
 * the ntfy topic, and the path of webhook URLs whose path is the credential
 * (Slack, Discord, Teams, ...; and a push URL's path, which holds the topic).
 */
import type { Config } from './config.js';

export const REDACTED = '[redacted]';

/** Hosts whose webhook URL path is itself the credential. */
const PATH_SECRET_HOSTS = [
  /(^|\.)hooks\.slack\.com$/i,
  /(^|\.)discord(app)?\.com$/i,
  /(^|\.)webhook\.office\.com$/i,
  /(^|\.)outlook\.office(365)?\.com$/i,
  /(^|\.)hooks\.zapier\.com$/i,
  /(^|\.)chat\.googleapis\.com$/i,
  /(^|\.)api\.telegram\.org$/i,
  /(^|\.)maker\.ifttt\.com$/i,
];

export const pathIsSecret = (host: string) => PATH_SECRET_HOSTS.some((re) => re.test(host));

interface UrlParts {
  url: URL;
  /** the path carries a credential (a known webhook host, or the caller says so) */
  secretPath: boolean;
}

function parse(raw: string, secretPath: boolean): UrlParts | undefined {
  try {
    // Docker's tcp:// and Redis's redis:// parse as URLs too.
    const url = new URL(raw);
    return { url, secretPath: secretPath || pathIsSecret(url.hostname) };
  } catch {
    return undefined;
  }
}

/**
 * A URL as it may be shown: user info, query values and (for webhook hosts
 * whose path is the credential, or when `secretPath`) the path replaced.
 * Something that is not a URL is redacted whole unless it is empty.
 */
export function redactUrl(raw: string, secretPath = false): string {
  if (!raw) return raw;
  const p = parse(raw, secretPath);
  if (!p) return REDACTED;
  const { url } = p;
  // Template placeholders ({{to}}) stay readable: they are not secrets.
  let out = `${url.protocol}//`;
  if (url.username || url.password) out += `${REDACTED}@`;
  out += url.host;
  // A URL written without a path stays so ("http://h:8086", not "http://h:8086/").
  const path = url.pathname === '/' && !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*\//i.test(raw) ? '' : url.pathname;
  out += p.secretPath && path !== '/' && path !== '' ? `/${REDACTED}` : path;
  if (url.search) {
    const q = [...url.searchParams.keys()].map((k) => `${encodeURIComponent(k)}=${REDACTED}`).join('&');
    out += `?${q}`;
  }
  return out;
}

/** The secret parts of a URL, decoded and as written, for the log scrubber. */
export function urlSecrets(raw: string, secretPath = false): string[] {
  if (!raw) return [];
  const p = parse(raw, secretPath);
  if (!p) return [raw];
  const { url } = p;
  const out: string[] = [];
  for (const v of [url.username, url.password]) if (v) out.push(v, safeDecode(v));
  for (const [, v] of url.searchParams) if (v && !PLACEHOLDER.test(v)) out.push(v);
  for (const m of url.search.matchAll(/=([^&]+)/g)) if (!PLACEHOLDER.test(safeDecode(m[1]))) out.push(m[1]);
  if (p.secretPath) {
    for (const seg of url.pathname.split('/')) if (seg) out.push(seg, safeDecode(seg));
  }
  return [...new Set(out)];
}

const PLACEHOLDER = /^\{\{\s*\w+\s*\}\}$/;

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Literal parts of a template ({{to}} and {{message}} aside) that look like credentials: long enough runs of token characters. */
function templateSecrets(template: string): string[] {
  return template
    .replace(/\{\{\s*\w+\s*\}\}/g, ' ')
    .split(/[\s"'&=:,;{}[\]<>]+/)
    .filter((t) => t.length >= 8);
}

/** Every secret value of the configuration (deduplicated; short values left out, see MIN_SCRUB_LENGTH). */
export function secretValues(cfg: Config): string[] {
  const out: string[] = [
    cfg.influx.token,
    cfg.influx.password,
    ...urlSecrets(cfg.influx.url),
    ...urlSecrets(cfg.redis.url),
    cfg.redis.password,
    ...cfg.redis.nodes.flatMap((n) => urlSecrets(n.includes('://') ? n : `redis://${n}`)),
    ...urlSecrets(cfg.docker.url),
    cfg.alerter.smtp.password,
    cfg.alerter.api.token,
    cfg.alerter.actions.signingKey,
    ...urlSecrets(cfg.alerter.grafana.url),
    ...urlSecrets(cfg.alerter.api.publicUrl),
  ];
  for (const r of cfg.alerter.receivers) {
    if (r.webhook) out.push(...urlSecrets(r.webhook.url), ...Object.values(r.webhook.headers));
    if (r.sms) out.push(...urlSecrets(r.sms.url), ...Object.values(r.sms.headers), ...templateSecrets(r.sms.body));
    if (r.push) {
      out.push(...urlSecrets(r.push.url, true), ...Object.values(r.push.headers));
      // The default topic is a placeholder everybody knows, not a secret.
      if (r.push.topic !== DEFAULT_TOPIC) out.push(r.push.topic);
    }
  }
  // Header values such as "Bearer xyz": the credential part alone too.
  const parts = out.flatMap((v) => (v && /\s/.test(v) ? [v, ...v.split(/\s+/)] : [v]));
  return [...new Set(parts.filter((v) => v && v.length >= MIN_SCRUB_LENGTH))];
}

/** Shorter values are not scrubbed from log text (they would blank out ordinary words); they are still redacted in the configuration. */
export const MIN_SCRUB_LENGTH = 6;
export const DEFAULT_TOPIC = 'shipwatch';

const headersRedacted = (h: Record<string, string>) => Object.fromEntries(Object.keys(h).map((k) => [k, REDACTED]));
const secret = (v: string) => (v ? REDACTED : v);

/** The configuration with every secret replaced, safe to log. */
export function redactConfig(cfg: Config): Config {
  const c = structuredClone(cfg);
  c.influx.url = redactUrl(c.influx.url);
  c.influx.token = secret(c.influx.token);
  c.influx.password = secret(c.influx.password);
  c.redis.url = redactUrl(c.redis.url);
  c.redis.password = secret(c.redis.password);
  c.redis.nodes = c.redis.nodes.map((n) => (n.includes('@') ? REDACTED : n));
  c.docker.url = redactUrl(c.docker.url);
  const a = c.alerter;
  a.smtp.password = secret(a.smtp.password);
  a.api.token = secret(a.api.token);
  a.actions.signingKey = secret(a.actions.signingKey);
  a.grafana.url = redactUrl(a.grafana.url);
  a.api.publicUrl = redactUrl(a.api.publicUrl);
  for (const r of a.receivers) {
    if (r.webhook) {
      r.webhook.url = redactUrl(r.webhook.url);
      r.webhook.headers = headersRedacted(r.webhook.headers);
    }
    if (r.sms) {
      r.sms.url = redactUrl(r.sms.url);
      r.sms.headers = headersRedacted(r.sms.headers);
      r.sms.body = secret(r.sms.body);
    }
    if (r.push) {
      r.push.url = redactUrl(r.push.url, true);
      r.push.headers = headersRedacted(r.push.headers);
      r.push.topic = secret(r.push.topic);
    }
  }
  return c;
}
