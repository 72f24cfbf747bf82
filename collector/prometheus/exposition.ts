/**
 * The Prometheus text exposition (format 0.0.4) of the samples one cycle read,
 * with cAdvisor's metric names, types, help texts and labels (common/schema.ts,
 * docs/schema.md). Pure: samples in, text out.
 *
 * Unlike cAdvisor no sample carries a timestamp: Prometheus stamps them with
 * the scrape time and marks the series of a container that stopped stale at
 * the next scrape, so `absent(...)` rules see a stopped container at once
 * instead of after the 5-minute lookback.
 */
import {
  PROM_METRIC, PROM_LABEL, PROM_CONTAINER_LABEL_PREFIX, PROM_CPU_TOTAL, type PromMetricDef,
} from '../../common/schema.js';
import type { ContainerMeta } from '../container.js';
import { memUsedNoCache, type NetCounters, type StatsSample } from '../stats.js';

export interface ExposedContainer {
  meta: ContainerMeta;
  sample: StatsSample;
  /** processes in the container, when the processes part counted them */
  processes?: number;
}

/** Label text of one container, split where cpu and interface sort in (labels are written sorted, as cAdvisor does). */
interface LabelParts {
  /** container_label_* pairs, each followed by a comma */
  labels: string;
  /** id and image pairs, each followed by a comma */
  idImage: string;
  /** the name pair */
  name: string;
}

/** Label values escape backslash, double quote and newline. */
export const escapeLabelValue = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
/** HELP texts escape backslash and newline. */
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
/** cAdvisor's label-name sanitizing: anything outside [a-zA-Z0-9_] becomes "_". */
export const sanitizeLabelName = (n: string) => n.replace(/[^a-zA-Z0-9_]/g, '_');

/** Go's float text for the special values; JavaScript's shortest form otherwise (both parse the same). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

const seconds = (ns: number | undefined) => (ns === undefined ? undefined : ns / 1e9);

/** cAdvisor's RSS: total_rss on cgroup v1 (the container's own rss), anon on v2. */
export function memRss(s: StatsSample): number | undefined {
  return s.cgroupVersion === 1 ? (s.mem.stats.total_rss ?? s.mem.stats.rss) : s.mem.stats.anon;
}

/** cAdvisor's cache: total_cache on cgroup v1 (the container's own cache), file on v2. */
export function memCache(s: StatsSample): number | undefined {
  return s.cgroupVersion === 1 ? (s.mem.stats.total_cache ?? s.mem.stats.cache) : s.mem.stats.file;
}

/** cAdvisor's health state: 1 healthy, 0 starting or unhealthy, -1 no health check. */
export function healthState(m: ContainerMeta): number {
  if (!m.health) return -1;
  return m.health.status === 'healthy' ? 1 : 0;
}

type Scalar = (c: ExposedContainer) => number | undefined;

/** One-value-per-container families, in the order written. */
const SCALARS: Array<[PromMetricDef, Scalar]> = [
  [PROM_METRIC.cpuUser, (c) => seconds(c.sample.cpu.user)],
  [PROM_METRIC.cpuSystem, (c) => seconds(c.sample.cpu.kernel)],
  // cAdvisor writes the CFS counters only for containers with a CPU quota; periods only count under one.
  [PROM_METRIC.cfsPeriods, (c) => (c.sample.cpu.throttling?.periods ? c.sample.cpu.throttling.periods : undefined)],
  [PROM_METRIC.cfsThrottledPeriods, (c) => (c.sample.cpu.throttling?.periods ? c.sample.cpu.throttling.throttledPeriods : undefined)],
  [PROM_METRIC.cfsThrottledSeconds, (c) => (c.sample.cpu.throttling?.periods ? c.sample.cpu.throttling.throttledTime / 1e9 : undefined)],
  [PROM_METRIC.memUsage, (c) => c.sample.mem.usage],
  [PROM_METRIC.memWorkingSet, (c) => memUsedNoCache(c.sample.mem)],
  [PROM_METRIC.memRss, (c) => memRss(c.sample)],
  [PROM_METRIC.memCache, (c) => memCache(c.sample)],
  [PROM_METRIC.memLimit, (c) => c.meta.memLimit],
  [PROM_METRIC.fsReadBytes, (c) => c.sample.blkio.readBytes],
  [PROM_METRIC.fsWriteBytes, (c) => c.sample.blkio.writeBytes],
  [PROM_METRIC.fsReads, (c) => c.sample.blkio.readOps],
  [PROM_METRIC.fsWrites, (c) => c.sample.blkio.writeOps],
  [PROM_METRIC.processes, (c) => c.processes],
  [PROM_METRIC.threads, (c) => c.sample.pids.current],
  [PROM_METRIC.threadsMax, (c) => c.sample.pids.limit],
  [PROM_METRIC.healthState, (c) => healthState(c.meta)],
  [PROM_METRIC.startTime, (c) => Math.floor((c.meta.startedAt || c.meta.created) / 1000)],
  [PROM_METRIC.lastSeen, (c) => Math.floor(c.sample.readAt / 1000)],
];

/** Per-interface families and the counter each takes. */
const NETWORK: Array<[PromMetricDef, keyof NetCounters]> = [
  [PROM_METRIC.netRxBytes, 'rx_bytes'],
  [PROM_METRIC.netRxPackets, 'rx_packets'],
  [PROM_METRIC.netRxErrors, 'rx_errors'],
  [PROM_METRIC.netRxDropped, 'rx_dropped'],
  [PROM_METRIC.netTxBytes, 'tx_bytes'],
  [PROM_METRIC.netTxPackets, 'tx_packets'],
  [PROM_METRIC.netTxErrors, 'tx_errors'],
  [PROM_METRIC.netTxDropped, 'tx_dropped'],
];

const header = (m: PromMetricDef) => `# HELP ${m.name} ${escapeHelp(m.help)}\n# TYPE ${m.name} ${m.type}\n`;

export class ExpositionRenderer {
  /** label text per container, built once per metadata object (the registry replaces it when the container changes) */
  private parts = new WeakMap<ContainerMeta, LabelParts>();
  /** sanitized container_label_* names, sorted, each with the Docker label it comes from; the first of a clash wins */
  private readonly labelNames: Array<[string, string]>;

  constructor(labelTags: string[]) {
    const seen = new Map<string, string>();
    for (const l of labelTags) {
      const n = PROM_CONTAINER_LABEL_PREFIX + sanitizeLabelName(l);
      if (!seen.has(n)) seen.set(n, l);
    }
    this.labelNames = [...seen].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private labelsOf(c: ExposedContainer): LabelParts {
    let p = this.parts.get(c.meta);
    if (!p) {
      let labels = '';
      for (const [n, l] of this.labelNames) {
        const v = c.meta.labels[l];
        // An empty value is no label at all to Prometheus.
        if (v) labels += `${n}="${escapeLabelValue(v)}",`;
      }
      // cAdvisor's id is the container's cgroup; without the cgroup files in sight, the cgroupfs driver's path.
      const id = c.sample.cgroup ?? `/docker/${c.meta.id}`;
      p = {
        labels,
        idImage: `${PROM_LABEL.id}="${escapeLabelValue(id)}",${PROM_LABEL.image}="${escapeLabelValue(c.meta.image)}",`,
        name: `${PROM_LABEL.name}="${escapeLabelValue(c.meta.name)}"`,
      };
      this.parts.set(c.meta, p);
    }
    return p;
  }

  /** The exposition of these containers' samples (families with no value are left out). */
  render(containers: ExposedContainer[]): string {
    const labels = containers.map((c) => this.labelsOf(c));
    let out = '';

    // cpu sorts between container_label_* and id.
    let body = '';
    for (let i = 0; i < containers.length; i++) {
      const p = labels[i];
      body += `${PROM_METRIC.cpuUsage.name}{${p.labels}${PROM_LABEL.cpu}="${PROM_CPU_TOTAL}",${p.idImage}${p.name}} ${formatValue(containers[i].sample.cpu.total / 1e9)}\n`;
    }
    if (body) out += header(PROM_METRIC.cpuUsage) + body;

    for (const [def, value] of SCALARS) {
      body = '';
      for (let i = 0; i < containers.length; i++) {
        const v = value(containers[i]);
        if (v === undefined) continue;
        const p = labels[i];
        body += `${def.name}{${p.labels}${p.idImage}${p.name}} ${formatValue(v)}\n`;
      }
      if (body) out += header(def) + body;
    }

    // interface sorts between image and name.
    for (const [def, key] of NETWORK) {
      body = '';
      for (let i = 0; i < containers.length; i++) {
        const net = containers[i].sample.net;
        if (!net) continue;
        const p = labels[i];
        for (const iface in net) {
          body += `${def.name}{${p.labels}${p.idImage}${PROM_LABEL.interface}="${escapeLabelValue(iface)}",${p.name}} ${formatValue(net[iface][key])}\n`;
        }
      }
      if (body) out += header(def) + body;
    }
    return out;
  }
}
