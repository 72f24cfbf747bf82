/**
 * A log line as Docker sends it with timestamps=1: "2024-05-07T21:09:36.123456789Z message".
 * Pure. TTY output ends lines with \r\n; the \r is dropped.
 */
import { parseRfc3339Nano } from '../nstime.js';

export interface ParsedLine {
  /** ns since epoch; undefined when the line had no timestamp */
  ns: bigint | undefined;
  text: string;
}

export function parseLogLine(raw: Buffer): ParsedLine {
  let text = raw.toString('utf8');
  if (text.endsWith('\r')) text = text.slice(0, -1);
  const sp = text.indexOf(' ');
  if (sp >= 20 && sp <= 40) {
    const ns = parseRfc3339Nano(text.slice(0, sp));
    if (ns !== undefined) return { ns, text: text.slice(sp + 1) };
  }
  // A bare timestamp: the line was empty.
  if (sp < 0 && text.length >= 20 && text.length <= 40) {
    const ns = parseRfc3339Nano(text);
    if (ns !== undefined) return { ns, text: '' };
  }
  return { ns: undefined, text };
}
