/** docker_container_process and docker_container_process_gone lines. Pure. */
import { MEASUREMENT, TAG, PROCESS_FIELDS, FIELD_CONTAINER_ID } from '../../common/schema.js';
import { line, int, type FieldValue } from '../../common/lineprotocol.js';
import type { ContainerSeries } from '../points.js';
import type { RatedProcess } from './tracker.js';

const round2 = (n: number | undefined) => (n === undefined ? undefined : Math.round(n * 100) / 100);
const intOf = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? undefined : int(n));

function fields(p: RatedProcess, id: string, nowMs: number): Record<string, FieldValue> {
  return {
    [PROCESS_FIELDS.pid]: int(p.pid),
    [PROCESS_FIELDS.nsPid]: intOf(p.nsPid),
    [PROCESS_FIELDS.ppid]: intOf(p.ppid),
    [PROCESS_FIELDS.user]: p.user,
    [PROCESS_FIELDS.cpuPercent]: round2(p.cpuPercent),
    [PROCESS_FIELDS.memPercent]: round2(p.memPercent),
    [PROCESS_FIELDS.rss]: intOf(p.rss),
    [PROCESS_FIELDS.vsz]: intOf(p.vsz),
    [PROCESS_FIELDS.state]: p.state,
    [PROCESS_FIELDS.threads]: intOf(p.threads),
    [PROCESS_FIELDS.cpuTime]: intOf(p.cpuTimeNs),
    [PROCESS_FIELDS.startedAt]: p.startedAt === undefined ? undefined : int(p.startedAt * 1e6),
    [PROCESS_FIELDS.elapsed]: p.startedAt === undefined ? undefined : int(Math.max(0, (nowMs - p.startedAt) / 1000)),
    [PROCESS_FIELDS.command]: p.command,
    [FIELD_CONTAINER_ID]: id,
  };
}

/** Tags of the container without container_status (a state change must not start new series), plus rank. */
const key = (s: ContainerSeries, measurement: string, rank: number) =>
  s.key(measurement, { [TAG.containerStatus]: undefined, [TAG.rank]: String(rank) });

export function processLines(s: ContainerSeries, top: RatedProcess[], timeMs: number, out: string[]): void {
  top.forEach((p, i) => out.push(line(key(s, MEASUREMENT.process, i + 1), fields(p, s.idField, timeMs), timeMs)));
}

/** Gone processes: rank is the position among this poll's gone ones (bounded like the live ranks). */
export function goneLines(s: ContainerSeries, gone: RatedProcess[], lastSeenMs: number, timeMs: number, out: string[]): void {
  gone.forEach((p, i) => {
    const f = fields(p, s.idField, lastSeenMs);
    f[PROCESS_FIELDS.lastSeen] = int(lastSeenMs * 1e6);
    out.push(line(key(s, MEASUREMENT.processGone, i + 1), f, timeMs));
  });
}
