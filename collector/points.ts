/**
 * Turns a container's metadata and stats sample into line protocol with
 * Telegraf's docker_container_* names. Pure: no I/O.
 */
import {
  MEASUREMENT, TAG, TAG_VALUE, FIELD_CONTAINER_ID, CPU_FIELDS, MEM_FIELDS, MEM_STAT_FIELDS, NET_FIELDS,
  BLKIO_FIELDS, STATUS_FIELDS, HEALTH_FIELDS, PIDS_FIELDS, INFO_FIELDS,
} from '../common/schema.js';
import { seriesKey, line, int, type FieldValue } from '../common/lineprotocol.js';
import { parseImage, type ContainerMeta } from './container.js';
import { cpuPercent, memUsedNoCache, memPercent, sumNet, type StatsSample, type PrevCpu, type NetCounters } from './stats.js';

export interface EngineInfo {
  /** the host name written as engine_host */
  host: string;
  serverVersion: string;
}

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

  netKey(iface: string): string {
    let k = this.netKeys.get(iface);
    if (!k) {
      k = seriesKey(MEASUREMENT.net, { ...this.tags, [TAG.network]: iface });
      this.netKeys.set(iface, k);
    }
    return k;
  }
}

function netFields(n: NetCounters, id: string): Record<string, FieldValue> {
  const f: Record<string, FieldValue> = {};
  for (const k of NET_FIELDS) f[k] = int(n[k]);
  f[FIELD_CONTAINER_ID] = id;
  return f;
}

/** Performance lines of one sample: cpu, mem, net per interface and total, blkio, pids. */
export function statsLines(s: ContainerSeries, sample: StatsSample, prev: PrevCpu | undefined, timeMs: number, out: string[]): void {
  const id = s.idField;
  const c = sample.cpu;
  const cpu: Record<string, FieldValue> = {
    [CPU_FIELDS.usageTotal]: int(c.total),
    [CPU_FIELDS.usageUser]: c.user === undefined ? undefined : int(c.user),
    [CPU_FIELDS.usageKernel]: c.kernel === undefined ? undefined : int(c.kernel),
    [CPU_FIELDS.usageSystem]: int(c.system),
    [CPU_FIELDS.throttlingPeriods]: c.throttling && int(c.throttling.periods),
    [CPU_FIELDS.throttlingThrottledPeriods]: c.throttling && int(c.throttling.throttledPeriods),
    [CPU_FIELDS.throttlingThrottledTime]: c.throttling && int(c.throttling.throttledTime),
    [CPU_FIELDS.usagePercent]: cpuPercent(prev, c),
    [FIELD_CONTAINER_ID]: id,
  };
  out.push(line(s.cpu, cpu, timeMs));

  const m = sample.mem;
  const used = memUsedNoCache(m);
  const mem: Record<string, FieldValue> = {};
  for (const k of MEM_STAT_FIELDS) if (m.stats[k] !== undefined) mem[k] = int(m.stats[k]);
  mem[MEM_FIELDS.usage] = int(used);
  mem[MEM_FIELDS.limit] = int(m.limit);
  mem[MEM_FIELDS.usagePercent] = memPercent(used, m.limit);
  if (m.maxUsage) mem[MEM_FIELDS.maxUsage] = int(m.maxUsage);
  if (m.failCount) mem[MEM_FIELDS.failCount] = int(m.failCount);
  mem[FIELD_CONTAINER_ID] = id;
  out.push(line(s.mem, mem, timeMs));

  if (sample.net) {
    for (const iface in sample.net) out.push(line(s.netKey(iface), netFields(sample.net[iface], id), timeMs));
    out.push(line(s.netKey(TAG_VALUE.networkTotal), netFields(sumNet(sample.net), id), timeMs));
  }

  const b = sample.blkio;
  out.push(line(s.blkio, {
    [BLKIO_FIELDS.readBytes]: int(b.readBytes),
    [BLKIO_FIELDS.writeBytes]: int(b.writeBytes),
    [BLKIO_FIELDS.readOps]: b.readOps === undefined ? undefined : int(b.readOps),
    [BLKIO_FIELDS.writeOps]: b.writeOps === undefined ? undefined : int(b.writeOps),
    [FIELD_CONTAINER_ID]: id,
  }, timeMs));

  out.push(line(s.pids, {
    [PIDS_FIELDS.current]: int(sample.pids.current),
    [PIDS_FIELDS.limit]: sample.pids.limit ? int(sample.pids.limit) : undefined,
    [FIELD_CONTAINER_ID]: id,
  }, timeMs));
}

/** State lines: status (every container), health (those with a healthcheck), info. */
export function stateLines(s: ContainerSeries, timeMs: number, out: string[]): void {
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
  out.push(line(s.info, {
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
  }, timeMs));
}

/** A container that no longer exists: one status and info point marked removed. */
export function removedLines(s: ContainerSeries, engine: EngineInfo, labelTags: string[], timeMs: number, out: string[]): void {
  const gone = new ContainerSeries({ ...s.meta, state: 'removed' }, engine, labelTags);
  out.push(line(gone.status, { [FIELD_CONTAINER_ID]: s.meta.id, [STATUS_FIELDS.exitCode]: int(s.meta.exitCode) }, timeMs));
  out.push(line(gone.info, { [FIELD_CONTAINER_ID]: s.meta.id, [INFO_FIELDS.state]: 'removed', [INFO_FIELDS.removed]: true }, timeMs));
}
