/**
 * Turns a container's metadata and stats sample into line protocol with
 * Telegraf's docker_container_* names. Pure: no I/O.
 */
import {
  MEASUREMENT, TAG, TAG_VALUE, FIELD_CONTAINER_ID, CPU_FIELDS, MEM_FIELDS, MEM_STAT_FIELDS, NET_FIELDS,
  BLKIO_FIELDS, STATUS_FIELDS, HEALTH_FIELDS, PIDS_FIELDS, INFO_FIELDS,
} from '../common/schema.js';
import { seriesKey, line, int, fieldSet, nsTime, intField, floatField, type FieldValue } from '../common/lineprotocol.js';
import type { EngineInfo } from '../common/docker.js';
import { parseImage, type ContainerMeta } from './container.js';
import type { StatsSample, Derived, NetCounters } from './stats.js';

/** Series keys of one container, built once and reused until its name, image, state or labels change. */
export class ContainerSeries {
  readonly cpu: string;
  readonly mem: string;
  private readonly tags: Record<string, string>;
  readonly blkio: string;
  readonly status: string;
  readonly health: string;
  readonly pids: string;
  readonly info: string;
  readonly idField: string;
  /** formatted field set of the info line, cached while the metadata is unchanged */
  infoFields: string | undefined;
  infoWrittenAt = -Infinity;
  private netKeys = new Map<string, string>();

  constructor(readonly meta: ContainerMeta, engine: EngineInfo, labelTags: string[]) {
    const img = parseImage(meta.image);
    const tags: Record<string, string> = {
      [TAG.engineHost]: engine.host,
      [TAG.serverVersion]: engine.serverVersion,
      [TAG.containerName]: meta.name,
      [TAG.containerImage]: img.name,
      [TAG.containerVersion]: img.version,
      [TAG.containerStatus]: meta.state,
    };
    for (const l of labelTags) if (meta.labels[l] !== undefined && !(l in tags)) tags[l] = meta.labels[l];
    this.cpu = seriesKey(MEASUREMENT.cpu, { ...tags, [TAG.cpu]: TAG_VALUE.cpuTotal });
    this.mem = seriesKey(MEASUREMENT.mem, tags);
    this.tags = tags;
    this.blkio = seriesKey(MEASUREMENT.blkio, { ...tags, [TAG.device]: TAG_VALUE.deviceTotal });
    this.status = seriesKey(MEASUREMENT.status, tags);
    this.health = seriesKey(MEASUREMENT.health, tags);
    this.pids = seriesKey(MEASUREMENT.pids, tags);
    this.info = seriesKey(MEASUREMENT.info, tags);
    this.idField = meta.id;
  }

  /** Key of another measurement with this container's tags plus `extra`; an undefined value leaves a tag out. */
  key(measurement: string, extra: Record<string, string | undefined> = {}): string {
    return seriesKey(measurement, { ...this.tags, ...extra });
  }

  netKey(iface: string): string {
    let k = this.netKeys.get(iface);
    if (!k) {
      k = seriesKey(MEASUREMENT.net, { ...this.tags, [TAG.network]: iface });
      this.netKeys.set(iface, k);
    }
    return k;
  }
}

function netFields(n: NetCounters): string {
  let f = '';
  for (const k of NET_FIELDS) f += intField(k, n[k]);
  return f;
}

/**
 * Performance lines of one sample: cpu, mem, net per interface and total, blkio, pids.
 * Unlike Telegraf they carry no container_id field: a 64-character string on every
 * point is the bulk of the bytes written and stored; status and info carry it.
 */
export function statsLines(s: ContainerSeries, sample: StatsSample, d: Derived, timeMs: number, out: string[]): void {
  // Hot path: numeric fields are appended as text (",k=v") after the cached series key.
  const ts = ' ' + nsTime(timeMs);
  const emit = (key: string, fields: string) => {
    if (fields) out.push(key + ' ' + fields.slice(1) + ts);
  };
  const c = sample.cpu;
  const t = c.throttling;
  emit(s.cpu, intField(CPU_FIELDS.usageTotal, c.total)
    + intField(CPU_FIELDS.usageUser, c.user)
    + intField(CPU_FIELDS.usageKernel, c.kernel)
    + intField(CPU_FIELDS.usageSystem, c.system)
    + intField(CPU_FIELDS.throttlingPeriods, t?.periods)
    + intField(CPU_FIELDS.throttlingThrottledPeriods, t?.throttledPeriods)
    + intField(CPU_FIELDS.throttlingThrottledTime, t?.throttledTime)
    + floatField(CPU_FIELDS.usagePercent, d.cpuPercent));

  const m = sample.mem;
  let mem = '';
  for (const k of MEM_STAT_FIELDS) mem += intField(k, m.stats[k]);
  emit(s.mem, mem
    + intField(MEM_FIELDS.usage, d.memUsed)
    + intField(MEM_FIELDS.limit, m.limit)
    + floatField(MEM_FIELDS.usagePercent, d.memPercent)
    + (m.maxUsage ? intField(MEM_FIELDS.maxUsage, m.maxUsage) : '')
    + (m.failCount ? intField(MEM_FIELDS.failCount, m.failCount) : ''));

  if (sample.net) {
    for (const iface in sample.net) emit(s.netKey(iface), netFields(sample.net[iface]));
  }
  if (d.net) emit(s.netKey(TAG_VALUE.networkTotal), netFields(d.net));

  const b = sample.blkio;
  emit(s.blkio, intField(BLKIO_FIELDS.readBytes, b.readBytes)
    + intField(BLKIO_FIELDS.writeBytes, b.writeBytes)
    + intField(BLKIO_FIELDS.readOps, b.readOps)
    + intField(BLKIO_FIELDS.writeOps, b.writeOps));

  emit(s.pids, intField(PIDS_FIELDS.current, sample.pids.current)
    + (sample.pids.limit ? intField(PIDS_FIELDS.limit, sample.pids.limit) : ''));
}

/**
 * State lines: status (every container), health (those with a healthcheck), and
 * info when it changed or `infoEvery` ms passed since it was last written.
 */
export function stateLines(s: ContainerSeries, timeMs: number, out: string[], infoEvery = 0): void {
  const m = s.meta;
  const running = m.state === 'running' || m.state === 'paused' || m.state === 'restarting';
  const status: Record<string, FieldValue> = {
    [FIELD_CONTAINER_ID]: m.id,
    [STATUS_FIELDS.oomKilled]: m.oomKilled,
    [STATUS_FIELDS.pid]: int(m.pid),
    [STATUS_FIELDS.exitCode]: int(m.exitCode),
    [STATUS_FIELDS.restartCount]: int(m.restartCount),
    [STATUS_FIELDS.startedAt]: m.startedAt ? int(m.startedAt * 1e6) : undefined,
    [STATUS_FIELDS.finishedAt]: m.finishedAt ? int(m.finishedAt * 1e6) : undefined,
    // Telegraf: running → now - started; stopped → finished - started.
    [STATUS_FIELDS.uptimeNs]: m.startedAt
      ? int(((running ? timeMs : m.finishedAt >= m.startedAt ? m.finishedAt : m.startedAt) - m.startedAt) * 1e6)
      : undefined,
  };
  out.push(line(s.status, status, timeMs));
  if (m.health) {
    out.push(line(s.health, { [HEALTH_FIELDS.status]: m.health.status, [HEALTH_FIELDS.failingStreak]: int(m.health.failingStreak) }, timeMs));
  }
  if (s.infoFields !== undefined && timeMs - s.infoWrittenAt < infoEvery) return;
  s.infoWrittenAt = timeMs;
  // Info fields only change when the container is re-inspected: format them once per series.
  s.infoFields ??= fieldSet({
    [FIELD_CONTAINER_ID]: m.id,
    [INFO_FIELDS.image]: m.image,
    [INFO_FIELDS.imageId]: m.imageId,
    [INFO_FIELDS.state]: m.state,
    [INFO_FIELDS.ip]: m.ips.join(', '),
    [INFO_FIELDS.ports]: m.ports,
    [INFO_FIELDS.networks]: m.networks.join(', '),
    [INFO_FIELDS.created]: int(m.created * 1e6),
    [INFO_FIELDS.labels]: JSON.stringify(m.labels),
    [INFO_FIELDS.command]: m.command,
  });
  out.push(s.info + ' ' + s.infoFields + ' ' + nsTime(timeMs));
}

/** A container that no longer exists: one status and info point marked removed. */
export function removedLines(s: ContainerSeries, engine: EngineInfo, labelTags: string[], timeMs: number, out: string[]): void {
  const gone = new ContainerSeries({ ...s.meta, state: 'removed' }, engine, labelTags);
  out.push(line(gone.status, { [FIELD_CONTAINER_ID]: s.meta.id, [STATUS_FIELDS.exitCode]: int(s.meta.exitCode) }, timeMs));
  out.push(line(gone.info, { [FIELD_CONTAINER_ID]: s.meta.id, [INFO_FIELDS.state]: 'removed', [INFO_FIELDS.removed]: true }, timeMs));
}
