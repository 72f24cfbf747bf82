import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stderr; secrets are redacted wherever they appear by name. */
export function createLogger(component: string, level = process.env.SHIPWATCH_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      name: component,
      level,
      redact: { paths: ['*.token', '*.password', '*.*.token', '*.*.password', 'token', 'password'], censor: '[redacted]' },
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
