/**
 * Line protocol serialisation with the escaping rules of @influxdata/influxdb-client.
 * Series keys (measurement + tags) are built once per container and reused every
 * cycle, so a cycle only formats field values.
 */
import { escape } from '@influxdata/influxdb-client';

export type FieldValue = number | string | boolean | { int: number } | undefined;

/** Integer field value (written with the i suffix). */
export const int = (n: number): { int: number } => ({ int: n });

/**
 * Tag values may not hold newlines in line protocol (they become spaces), nor end
 * in a backslash, which would escape the separator after it and make InfluxDB
 * reject the whole batch (trailing backslashes are dropped).
 */
const tagValue = (v: string) => escape.tag(v.replace(/[\r\n]+/g, ' ').replace(/\\+$/, ''));

/** measurement,tag=value,... with tags sorted by key, empty tag values left out (InfluxDB rejects them). */
export function seriesKey(measurement: string, tags: Record<string, string | undefined>): string {
  let s = escape.measurement(measurement);
  for (const k of Object.keys(tags).sort()) {
    const v = tags[k] === undefined ? '' : tagValue(tags[k]!);
    if (v === '') continue;
    s += ',' + escape.tag(k) + '=' + v;
  }
  return s;
}

/** Formats the field set; undefined, NaN and infinite values are left out. Returns '' when nothing is left. */
export function fieldSet(fields: Record<string, FieldValue>): string {
  let s = '';
  for (const k in fields) {
    const v = fields[k];
    let f: string;
    if (v === undefined) continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) continue;
      f = String(v);
    } else if (typeof v === 'string') f = escape.quoted(v);
    else if (typeof v === 'boolean') f = v ? 'true' : 'false';
    else {
      if (!Number.isFinite(v.int)) continue;
      f = Math.trunc(v.int).toString() + 'i';
    }
    s += (s ? ',' : '') + escape.tag(k) + '=' + f;
  }
  return s;
}

/** A complete line, or '' when there are no fields. Time is ms since epoch, written in ns. */
export function line(key: string, fields: Record<string, FieldValue>, timeMs: number): string {
  const fs = fieldSet(fields);
  if (!fs) return '';
  return key + ' ' + fs + ' ' + nsTime(timeMs);
}

/** ms (may be fractional down to ns) to an integer ns string. */
export function nsTime(ms: number): string {
  const whole = Math.floor(ms);
  const frac = Math.round((ms - whole) * 1e6);
  return frac ? (BigInt(whole) * 1_000_000n + BigInt(frac)).toString() : whole + '000000';
}

/**
 * ",key=123i" for a finite number, '' otherwise. For hot paths that format
 * numeric fields whose keys are schema constants needing no escaping.
 */
export function intField(key: string, v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '' : ',' + key + '=' + Math.trunc(v) + 'i';
}

/** ",key=1.5" for a finite number, '' otherwise (same rules as intField). */
export function floatField(key: string, v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '' : ',' + key + '=' + v;
}
