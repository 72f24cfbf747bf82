import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * A function that replaces every occurrence of the secrets in a text: as
 * written, JSON-escaped (how a log line holds them) and URL-encoded.
 */
export function scrubber(secrets: readonly string[]): (s: string) => string {
  const forms = new Set<string>();
  for (const v of secrets) {
    if (!v) continue;
    forms.add(v);
    forms.add(JSON.stringify(v).slice(1, -1));
    forms.add(encodeURIComponent(v));
  }
  if (forms.size === 0) return (s) => s;
  // Longest first, so a secret containing another is replaced whole.
  const re = new RegExp([...forms].sort((a, b) => b.length - a.length).map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return (s) => s.replace(re, '[redacted]');
}

/**
 * JSON logs on stderr. Secrets are redacted wherever they appear by name, and
 * the values in `secrets` (the configuration's, common/config-redact.ts) are
 * scrubbed from every line written, error messages included.
 */
export function createLogger(component: string, level = process.env.SHIPWATCH_LOG_LEVEL ?? 'info', secrets: readonly string[] = []): Logger {
  const scrub = scrubber(secrets);
  return pino(
    {
      name: component,
      level,
      redact: { paths: ['*.token', '*.password', '*.*.token', '*.*.password', 'token', 'password'], censor: '[redacted]' },
      ...(secrets.length && { hooks: { streamWrite: scrub } }),
    },
    pino.destination(2),
  );
}

/** Logs the first occurrence of a condition and then stays quiet until it clears. */
export class OnceLogger {
  private active = new Set<string>();
  constructor(private readonly log: Logger) {}
  /** Returns true when this call logged. */
  raise(key: string, msg: string, extra: Record<string, unknown> = {}): boolean {
    if (this.active.has(key)) return false;
    this.active.add(key);
    this.log.warn(extra, msg);
    return true;
  }
  clear(key: string, msg: string): void {
    if (this.active.delete(key)) this.log.info(msg);
  }
}
