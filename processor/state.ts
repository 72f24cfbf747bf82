/**
 * Everything the processor remembers about one Docker host between jobs,
 * kept in Redis as one document per host so that any worker can take the
 * host's next job. Plain data only: no class instances, no undefined-sensitive
 * fields.
 */
import { Packr } from 'msgpackr';
import type { ThresholdState } from './thresholds/index.js';
import type { Severity } from '../common/severity.js';
import type { ContainerInfo } from '../common/snapshot.js';
import type { ContainerSettings } from '../common/container-settings.js';

export const STATE_VERSION = 1;

export interface HostState {
  sv: number;
  host: string;
  /** sample time of the last samples job applied (ms); 0: none yet */
  t: number;
  /** job ID of the last samples or event job applied: the predecessor the next one names */
  lid: string;
  /** Docker timeNano of the last event applied, and the event keys seen at that nano */
  en: string;
  ek: string[];
  facts: Record<string, string | number | boolean>;
  /** by container ID */
  c: Record<string, ContainerState>;
  /** by alert key */
  a: Record<string, AlertState>;
}

export interface MetricState {
  /** samples in the average window, flat: [t0, v0, t1, v1, ...] */
  w: number[];
  /** past averages for the delta, flat: [t, avg, ...] */
  h: number[];
  /** dynamic-threshold detector state */
  th?: ThresholdState;
  /** an anomaly was raised and the value has not yet come back into its band */
  an?: boolean;
  /** trend buckets, flat: [meanTime, meanValue, count, ...] */
  p?: number[];
  /** the averaging window open for the stored rollup (processor/window.ts) */
  tw?: number[];
  /** the band's last written point: [lower, upper, score] (processor/cadence.ts) */
  tb?: number[];
  /** whether the trend written last reached the limit within the horizon (processor/cadence.ts) */
  ps?: boolean;
}

export interface Counters {
  t: number;
  startedAt: number;
  rx: number | null;
  tx: number | null;
  br: number | null;
  bw: number | null;
}

export interface ContainerState {
  id: string;
  name: string;
  image: string;
  state: string;
  labels: Record<string, string>;
  /** last sample time the container was in */
  seen: number;
  info: ContainerInfo;
  /** counters of the previous sample, for rates */
  ctr: Counters | null;
  m: Record<string, MetricState>;
  /** recent Docker events, newest last: [timeMs, action, detail] */
  ev: Array<[number, string, string]>;
  /** times of restarts (restart_count increments) within the restart-loop window */
  rs: number[];
  /** last kill event: its time and signal */
  kill: { t: number; signal: string } | null;
  /** a die seen and not yet explained by a stop or removal */
  dying: { t: number; exitCode: number | null; signal: string | null } | null;
  /** an unexpected death, until the container runs again */
  died: { t: number; exitCode: number | null; signal: string | null } | null;
  /** the last OOM kill; active until the container runs again */
  oom: { t: number; active: boolean } | null;
  /** log lines matching the logErrors pattern within its window, flat: [t0, n0, t1, n1, ...], and their rate per minute */
  logs: { w: number[]; rate: number } | null;
  /** TCP counts of the last sample and the SYN_RECV detector (absent in states stored before they existed) */
  tcp?: TcpState | null;
  /** security posture of the last sample */
  posture?: { score: number | null; critical: string[] } | null;
  /** settings from its shipwatch.* labels, as the last sample carried them */
  settings?: ContainerSettings;
}

export interface TcpState {
  /** counts of the last sample; null when it carried none (the container stopped) */
  closeWait: number | null;
  timeWait: number | null;
  synRecv: number | null;
  portRange: number | null;
  /** SYN_RECV dynamic-threshold detector */
  th?: ThresholdState;
  /** a SYN_RECV surge was raised and the count has not come back into its band */
  an: boolean;
  /** the last SYN_RECV band's upper edge, for the alert text */
  upper: number | null;
}

export interface AlertState {
  status: 'pending' | 'firing';
  rule: string;
  severity: Severity;
  container: string;
  containerId: string;
  labels: Record<string, string>;
  summary: string;
  value: number | null;
  /** condition true since (ms) */
  since: number;
  /** firing since (ms); 0 while pending */
  startsAt: number;
  snapshotId: string | null;
  /** the receiver and recovery rule its container's labels name */
  route?: string;
  recovery?: string;
}

export function newHostState(host: string): HostState {
  return { sv: STATE_VERSION, host, t: 0, lid: '', en: '', ek: [], facts: {}, c: {}, a: {} };
}

export function newContainerState(id: string, name: string, image: string): ContainerState {
  return {
    id, name, image, state: '', labels: {}, seen: 0,
    info: { startedAt: 0, finishedAt: 0, exitCode: null, oomKilled: false, restartCount: null, pid: null, health: null, memLimit: null, pidsLimit: null },
    ctr: null, m: {}, ev: [], rs: [], kill: null, dying: null, died: null, oom: null, logs: null,
  };
}

/**
 * Stored form: MessagePack with records (msgpackr), so a document's many
 * objects of one shape (containers, metrics, detector states) store their keys
 * once; against JSON it is about 40 % smaller and several times faster to
 * write and read, which is most of a job's CPU besides the engine itself.
 * Documents stored as JSON by earlier versions are still read: the first byte
 * of a stored state is `{` only for JSON (it is a bare number in MessagePack).
 */
const packr = new Packr({ useRecords: true });

/** JSON documents of earlier versions kept the detector states as value arrays, with their keys once in `thk`. */
interface JsonHostState extends HostState {
  thk?: string[];
}

function fromJson(raw: string): HostState {
  const s = JSON.parse(raw) as JsonHostState;
  const keys = s.thk;
  delete s.thk;
  if (keys && s.c) {
    for (const id in s.c) {
      const m = s.c[id].m;
      for (const k in m) {
        const th = m[k].th as unknown;
        if (!Array.isArray(th)) continue;
        const o: Record<string, unknown> = {};
        for (let i = 0; i < keys.length; i++) o[keys[i]] = th[i];
        m[k].th = o as unknown as ThresholdState;
      }
    }
  }
  return s;
}

const JSON_START = 0x7b;

/** Parses a stored document; a missing or foreign-version document starts afresh. */
export function decodeHostState(host: string, raw: Buffer | string | null): HostState {
  if (raw === null || raw.length === 0) return newHostState(host);
  const s = typeof raw === 'string' ? fromJson(raw) : raw[0] === JSON_START ? fromJson(raw.toString('utf8')) : (packr.unpack(raw) as HostState);
  if (!s || s.sv !== STATE_VERSION || s.host !== host) return newHostState(host);
  return s;
}

export function encodeHostState(s: HostState): Buffer {
  return packr.pack(s);
}
