/**
 * Where to resume after a restart: the last event and the last log line per
 * container and stream this host wrote, read back from InfluxDB. Times are read
 * as RFC 3339 strings, the only exact form of ns times in InfluxQL answers.
 */
import type { InfluxQL } from '../common/influx/query.js';
import { ident, literal } from '../common/influx/query.js';
import { MEASUREMENT, TAG, EVENT_FIELDS, FIELD_CONTAINER_ID } from '../common/schema.js';
import { parseRfc3339Nano, formatRfc3339Nano } from './nstime.js';
import { keyAtResume } from './eventlines.js';

/** FROM clause, with the retention policy the collector writes to. */
export const fromClause = (measurement: string, rp: string) => (rp ? `${ident(rp)}.${ident(measurement)}` : ident(measurement));

export interface EventResume {
  since: bigint;
  /** eventKey of the events written at `since` */
  keys: string[];
}

/** Resume point from the rows of the events written at the last event time. */
export function eventResumeFrom(rows: Array<Record<string, unknown>>): EventResume | undefined {
  let since: bigint | undefined;
  const keys: string[] = [];
  for (const r of rows) {
    const t = typeof r.time === 'string' ? parseRfc3339Nano(r.time) : undefined;
    if (t === undefined) continue;
    if (since === undefined || t > since) {
      since = t;
      keys.length = 0;
    }
    if (t === since) {
      keys.push(keyAtResume(t, String(r[TAG.type] ?? ''), String(r[EVENT_FIELDS.rawAction] ?? ''), String(r[EVENT_FIELDS.actorId] ?? '')));
    }
  }
  return since === undefined ? undefined : { since, keys };
}

const missingDb = (e: unknown) => /database not found/i.test(String((e as Error)?.message ?? e));

export async function loadEventResume(q: InfluxQL, rp: string, host: string): Promise<EventResume | undefined> {
  const from = fromClause(MEASUREMENT.event, rp);
  const where = `${ident(TAG.engineHost)} = ${literal(host)}`;
  try {
    const last = await q.rows(`SELECT last(${ident(EVENT_FIELDS.actorId)}) FROM ${from} WHERE ${where}`, { epoch: 'rfc3339' });
    const t = typeof last[0]?.time === 'string' ? parseRfc3339Nano(last[0].time as string) : undefined;
    if (t === undefined) return undefined;
    const at = await q.rows(
      `SELECT ${ident(EVENT_FIELDS.rawAction)}, ${ident(EVENT_FIELDS.actorId)}, ${ident(TAG.type)} FROM ${from} ` +
        `WHERE ${where} AND time = '${formatRfc3339Nano(t)}'`,
      { epoch: 'rfc3339' },
    );
    return eventResumeFrom(at) ?? { since: t, keys: [] };
  } catch (e) {
    if (missingDb(e)) return undefined;
    throw e;
  }
}

/** container ID → stream → ns time of the last line written. */
export type LogResume = Map<string, Map<string, bigint>>;

export function logResumeFrom(rows: Array<Record<string, unknown>>): LogResume {
  const out: LogResume = new Map();
  for (const r of rows) {
    const id = r[FIELD_CONTAINER_ID] ?? r.last;
    const stream = r[TAG.stream];
    const t = typeof r.time === 'string' ? parseRfc3339Nano(r.time) : undefined;
    if (typeof id !== 'string' || typeof stream !== 'string' || t === undefined) continue;
    let m = out.get(id);
    if (!m) out.set(id, (m = new Map()));
    const prev = m.get(stream);
    if (prev === undefined || t > prev) m.set(stream, t);
  }
  return out;
}

export async function loadLogResume(q: InfluxQL, rp: string, host: string): Promise<LogResume> {
  try {
    const rows = await q.rows(
      `SELECT last(${ident(FIELD_CONTAINER_ID)}) AS ${ident(FIELD_CONTAINER_ID)} FROM ${fromClause(MEASUREMENT.log, rp)} ` +
        `WHERE ${ident(TAG.engineHost)} = ${literal(host)} GROUP BY ${ident(TAG.containerName)}, ${ident(TAG.stream)}`,
      { epoch: 'rfc3339' },
    );
    return logResumeFrom(rows);
  } catch (e) {
    if (missingDb(e)) return new Map();
    throw e;
  }
}
