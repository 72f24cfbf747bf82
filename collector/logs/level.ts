/**
 * The level of a log line, from the forms applications commonly print:
 * structured (level=warn, "level":"error", severity), bracketed ([ERROR], <warn>),
 * an upper-case level word (2024-01-01 ERROR ...), a leading "error:" / "Warning:",
 * and glog's "E0507 12:00:00". Pure; bounded result set; "unknown" when nothing fits.
 */
import type { LogLevel } from '../../common/schema.js';

const WORDS: Record<string, LogLevel> = {
  emerg: 'error', emergency: 'error', alert: 'error', crit: 'error', critical: 'error', fatal: 'error', panic: 'error',
  severe: 'error', err: 'error', error: 'error', eror: 'error',
  warn: 'warn', warning: 'warn', wrn: 'warn',
  info: 'info', inf: 'info', notice: 'info', information: 'info', informational: 'info',
  debug: 'debug', dbg: 'debug', trace: 'debug', verbose: 'debug', fine: 'debug',
};

const word = (w: string | undefined): LogLevel | undefined => (w ? WORDS[w.toLowerCase()] : undefined);

const STRUCTURED = /["']?(?:level|lvl|severity|loglevel|log_level)["']?\s*[:=]\s*["']?([A-Za-z]+)/i;
const BRACKETED = /[[<(|]\s*([A-Za-z]{3,13})\s*[\]>)|]/g;
const UPPER = /(?:^|[^A-Za-z])(EMERG|ALERT|CRIT|CRITICAL|FATAL|PANIC|SEVERE|ERROR|ERR|WARN|WARNING|INFO|NOTICE|DEBUG|TRACE)(?![A-Za-z])/;
const LEADING = /^\s*([A-Za-z]{3,13})\s*:/;
const GLOG = /^([IWEF])\d{4} \d{2}:\d{2}:\d{2}/;
const GLOG_LEVEL: Record<string, LogLevel> = { I: 'info', W: 'warn', E: 'error', F: 'error' };

/** Looks at the head of the line only: levels are printed first, and long lines stay cheap. */
export function detectLevel(text: string): LogLevel {
  const head = text.length > 256 ? text.slice(0, 256) : text;
  const g = GLOG.exec(head);
  if (g) return GLOG_LEVEL[g[1]];
  let m = STRUCTURED.exec(head);
  let l = word(m?.[1]);
  if (l) return l;
  for (const b of head.matchAll(BRACKETED)) {
    l = word(b[1]);
    if (l) return l;
  }
  m = UPPER.exec(head);
  l = word(m?.[1]);
  if (l) return l;
  m = LEADING.exec(head);
  l = word(m?.[1]);
  if (l) return l;
  if (/^(?:Traceback \(most recent call last\)|Exception in thread|panic: |goroutine \d+ \[)/.test(head)) return 'error';
  return 'unknown';
}
