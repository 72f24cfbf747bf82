/**
 * Pure arithmetic of container stats: one normalised sample shape that both
 * stats sources (Docker API, cgroup files) produce, and the formulas docker
 * stats uses. No I/O here.
 */
import { MEM_STAT_FIELDS, type NetField } from '../common/schema.js';

export type NetCounters = Record<NetField, number>;

export interface StatsSample {
  /** when the counters were read, ms since epoch */
  readAt: number;
  cgroupVersion: 1 | 2;
  cpu: {
    /** container CPU time, ns */
    total: number;
    user?: number;
    kernel?: number;
    /** host CPU time (Docker's system_cpu_usage), ns */
    system: number;
    onlineCpus: number;
    throttling?: { periods: number; throttledPeriods: number; throttledTime: number };
  };
  mem: {
    /** raw usage including page cache */
    usage: number;
    limit: number;
    maxUsage?: number;
    failCount?: number;
    stats: Record<string, number>;
  };
  /** per interface, without lo; undefined when the container has no own network (host mode) */
  net?: Record<string, NetCounters>;
  blkio: { readBytes: number; writeBytes: number; readOps?: number; writeOps?: number };
  pids: { current: number; limit?: number };
  /** the container's cgroup, e.g. "/docker/<id>", when the counters came from its cgroup files */
  cgroup?: string;
}

/** What the previous sample of a container contributes to rates. */
export interface PrevCpu {
  total: number;
  system: number;
}

/**
 * CPU % as docker stats computes it: the container's share of host CPU time
 * over the interval, times the online CPUs (100 % = one core).
 * undefined without a previous sample or when a counter went backwards (restart).
 */
export function cpuPercent(prev: PrevCpu | undefined, cur: StatsSample['cpu']): number | undefined {
  if (!prev) return undefined;
  const cpuDelta = cur.total - prev.total;
  const systemDelta = cur.system - prev.system;
  if (!(systemDelta > 0) || cpuDelta < 0) return undefined;
  return (cpuDelta / systemDelta) * cur.onlineCpus * 100;
}

/**
 * Memory in use without reclaimable page cache, as docker stats shows it:
 * usage minus total_inactive_file on cgroup v1, minus inactive_file on v2.
 */
export function memUsedNoCache(mem: StatsSample['mem']): number {
  const v1 = mem.stats.total_inactive_file;
  if (v1 !== undefined) return v1 < mem.usage ? mem.usage - v1 : mem.usage;
  const v2 = mem.stats.inactive_file;
  if (v2 !== undefined && v2 < mem.usage) return mem.usage - v2;
  return mem.usage;
}

export function memPercent(used: number, limit: number): number {
  return limit > 0 ? (used / limit) * 100 : 0;
}

export function sumNet(net: Record<string, NetCounters>): NetCounters {
  const t: NetCounters = { rx_bytes: 0, rx_packets: 0, rx_errors: 0, rx_dropped: 0, tx_bytes: 0, tx_packets: 0, tx_errors: 0, tx_dropped: 0 };
  for (const n of Object.values(net)) for (const k in t) t[k as NetField] += n[k as NetField];
  return t;
}

/** What a sample gives beyond its counters; computed once per sample, for the points and the processor's queue alike. */
export interface Derived {
  /** undefined on a container's first sample, or after a counter reset */
  cpuPercent: number | undefined;
  /** memory in use without page cache */
  memUsed: number;
  memPercent: number;
  /** all interfaces summed; undefined without a network of its own */
  net: NetCounters | undefined;
}

export function derive(sample: StatsSample, prev: PrevCpu | undefined): Derived {
  const memUsed = memUsedNoCache(sample.mem);
  return {
    cpuPercent: cpuPercent(prev, sample.cpu),
    memUsed,
    memPercent: memPercent(memUsed, sample.mem.limit),
    net: sample.net ? sumNet(sample.net) : undefined,
  };
}

// ---------------------------------------------------------------------------
// Docker API (GET /containers/{id}/stats?stream=false&one-shot=true)

interface ApiBlkioEntry { major: number; minor: number; op: string; value: number }
export interface ApiStats {
  read: string;
  pids_stats?: { current?: number; limit?: number };
  blkio_stats?: { io_service_bytes_recursive?: ApiBlkioEntry[] | null; io_serviced_recursive?: ApiBlkioEntry[] | null };
  cpu_stats: {
    cpu_usage: { total_usage: number; usage_in_kernelmode?: number; usage_in_usermode?: number; percpu_usage?: number[] };
    system_cpu_usage?: number;
    online_cpus?: number;
    throttling_data?: { periods: number; throttled_periods: number; throttled_time: number };
  };
  memory_stats: { usage?: number; max_usage?: number; failcnt?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, NetCounters>;
}

/** True when the stats body is the empty answer Docker gives for a container that is not running. */
export function isEmptyApiStats(s: ApiStats): boolean {
  return !s.cpu_stats?.system_cpu_usage && !s.memory_stats?.usage;
}

function sumOps(entries: ApiBlkioEntry[] | null | undefined, op: string): number {
  let n = 0;
  for (const e of entries ?? []) if (e.op.toLowerCase() === op) n += e.value;
  return n;
}

export function fromApiStats(s: ApiStats): StatsSample {
  const stats = s.memory_stats.stats ?? {};
  // v1 always carries total_* keys; v2 never does.
  const cgroupVersion = stats.total_inactive_file !== undefined || stats.cache !== undefined ? 1 : 2;
  const cu = s.cpu_stats.cpu_usage;
  const t = s.cpu_stats.throttling_data;
  const b = s.blkio_stats ?? {};
  return {
    readAt: Date.parse(s.read),
    cgroupVersion,
    cpu: {
      total: cu.total_usage,
      user: cu.usage_in_usermode,
      kernel: cu.usage_in_kernelmode,
      system: s.cpu_stats.system_cpu_usage ?? 0,
      onlineCpus: s.cpu_stats.online_cpus || cu.percpu_usage?.length || 1,
      throttling: t && { periods: t.periods, throttledPeriods: t.throttled_periods, throttledTime: t.throttled_time },
    },
    mem: {
      usage: s.memory_stats.usage ?? 0,
      limit: s.memory_stats.limit ?? 0,
      maxUsage: s.memory_stats.max_usage,
      failCount: s.memory_stats.failcnt,
      stats,
    },
    net: s.networks,
    blkio: {
      readBytes: sumOps(b.io_service_bytes_recursive, 'read'),
      writeBytes: sumOps(b.io_service_bytes_recursive, 'write'),
      readOps: sumOps(b.io_serviced_recursive, 'read'),
      writeOps: sumOps(b.io_serviced_recursive, 'write'),
    },
    pids: { current: s.pids_stats?.current ?? 0, limit: s.pids_stats?.limit },
  };
}

// ---------------------------------------------------------------------------
// cgroup and /proc file parsers (text in, numbers out)

/** "key value" lines (memory.stat, cpu.stat, cpuacct.stat) into a map. */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  let start = 0;
  const len = text.length;
  while (start < len) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = len;
    const sp = text.indexOf(' ', start);
    if (sp > start && sp < end) out[text.slice(start, sp)] = Number(text.slice(sp + 1, end));
    start = end + 1;
  }
  return out;
}

/**
 * Only the given keys of a "key value" file, found by search rather than by
 * splitting every line: memory.stat has ~40 lines and the fast path needs a dozen.
 */
export class KeyedPicker {
  private readonly heads: string[];
  private readonly needles: string[];
  constructor(private readonly keys: readonly string[]) {
    this.heads = keys.map((k) => k + ' ');
    this.needles = keys.map((k) => '\n' + k + ' ');
  }

  pick(text: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < this.keys.length; i++) {
      let at: number;
      if (text.startsWith(this.heads[i])) at = 0;
      else {
        const j = text.indexOf(this.needles[i]);
        if (j < 0) continue;
        at = j + 1;
      }
      at += this.heads[i].length;
      let end = text.indexOf('\n', at);
      if (end < 0) end = text.length;
      out[this.keys[i]] = Number(text.slice(at, end));
    }
    return out;
  }
}

/**
 * memory.stat keys the fast path needs: what is written, what the cache-free usage and limit need,
 * and cgroup v2's anon and file (the Prometheus exposition's RSS and cache there).
 */
const memStatPicker = new KeyedPicker([...MEM_STAT_FIELDS, 'total_inactive_file', 'hierarchical_memory_limit', 'anon', 'file']);

/** A single number file (cpuacct.usage, memory.current, pids.current); "max" is Infinity. */
export function parseSingle(text: string): number {
  const t = text.trim();
  return t === 'max' ? Infinity : Number(t);
}

/** cgroup v1 blkio.throttle.io_service_bytes(_recursive) / io_serviced: per device "maj:min Op value", summed over devices. */
export function parseBlkioV1(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split('\n')) {
    const parts = line.split(' ');
    if (parts.length !== 3) continue;
    if (parts[1] === 'Read') read += Number(parts[2]);
    else if (parts[1] === 'Write') write += Number(parts[2]);
  }
  return { read, write };
}

/** cgroup v2 io.stat: "maj:min rbytes=.. wbytes=.. rios=.. wios=.. dbytes=.. dios=..", summed over devices. */
export function parseIoStatV2(text: string): { readBytes: number; writeBytes: number; readOps: number; writeOps: number } {
  const r = { readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0 };
  for (const line of text.split('\n')) {
    for (const kv of line.split(' ').slice(1)) {
      const eq = kv.indexOf('=');
      const k = kv.slice(0, eq);
      const v = Number(kv.slice(eq + 1));
      if (k === 'rbytes') r.readBytes += v;
      else if (k === 'wbytes') r.writeBytes += v;
      else if (k === 'rios') r.readOps += v;
      else if (k === 'wios') r.writeOps += v;
    }
  }
  return r;
}

/** /proc/<pid>/net/dev into per-interface counters, lo excluded (Docker leaves it out too). */
export function parseNetDev(text: string): Record<string, NetCounters> {
  const out: Record<string, NetCounters> = {};
  const lines = text.split('\n');
  for (let i = 2; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === 'lo') continue;
    const f = line.slice(colon + 1).trim().split(/\s+/);
    // receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes packets errs drop ...
    out[name] = {
      rx_bytes: Number(f[0]), rx_packets: Number(f[1]), rx_errors: Number(f[2]), rx_dropped: Number(f[3]),
      tx_bytes: Number(f[8]), tx_packets: Number(f[9]), tx_errors: Number(f[10]), tx_dropped: Number(f[11]),
    };
  }
  return out;
}

/**
 * Host CPU time in ns from /proc/stat as Docker computes system_cpu_usage:
 * the first seven fields of the "cpu" line (user..softirq), in clock ticks.
 */
export function parseProcStatSystem(text: string, clockTicks = 100): number {
  const nl = text.indexOf('\n');
  const first = text.slice(0, nl < 0 ? text.length : nl).split(/\s+/);
  if (first[0] !== 'cpu' || first.length < 8) throw new Error('unexpected /proc/stat format');
  let ticks = 0;
  for (let i = 1; i < 8; i++) ticks += Number(first[i]);
  return (ticks * 1e9) / clockTicks;
}

/** Files of one container under cgroup v1, as text. */
export interface CgroupV1Files {
  cpuacctUsage: string;
  memUsage: string;
  memStat: string;
  cpuacctStat?: string;
  cpuStat?: string;
  blkioBytes?: string;
  blkioOps?: string;
  pidsCurrent?: string;
  pidsMax?: string;
}

/** Files of one container under cgroup v2, as text. */
export interface CgroupV2Files {
  cpuStat: string;
  memCurrent: string;
  memStat: string;
  memMax?: string;
  ioStat?: string;
  pidsCurrent?: string;
  pidsMax?: string;
}

export interface HostFacts {
  /** host CPU time, ns */
  system: number;
  onlineCpus: number;
  /** host memory, bytes: the limit of a container without one */
  memTotal: number;
  clockTicks: number;
}

const capLimit = (limit: number, memTotal: number) => (!Number.isFinite(limit) || limit > memTotal ? memTotal : limit);
const pidsLimit = (text: string | undefined) => {
  if (text === undefined) return undefined;
  const v = parseSingle(text);
  return Number.isFinite(v) ? v : 0;
};

export function fromCgroupV1(f: CgroupV1Files, host: HostFacts, readAt: number, net?: Record<string, NetCounters>): StatsSample {
  const acct = parseFlatKeyed(f.cpuacctStat ?? '');
  const cpuStat = parseFlatKeyed(f.cpuStat ?? '');
  const stats = memStatPicker.pick(f.memStat);
  const bytes = parseBlkioV1(f.blkioBytes ?? '');
  const ops = f.blkioOps !== undefined ? parseBlkioV1(f.blkioOps) : undefined;
  const tickNs = 1e9 / host.clockTicks;
  return {
    readAt,
    cgroupVersion: 1,
    cpu: {
      total: parseSingle(f.cpuacctUsage),
      user: (acct.user ?? 0) * tickNs,
      kernel: (acct.system ?? 0) * tickNs,
      system: host.system,
      onlineCpus: host.onlineCpus,
      throttling: { periods: cpuStat.nr_periods ?? 0, throttledPeriods: cpuStat.nr_throttled ?? 0, throttledTime: cpuStat.throttled_time ?? 0 },
    },
    mem: {
      usage: parseSingle(f.memUsage),
      // hierarchical_memory_limit is memory.limit_in_bytes folded with the parents' limits.
      limit: capLimit(stats.hierarchical_memory_limit ?? Infinity, host.memTotal),
      stats,
    },
    net,
    blkio: { readBytes: bytes.read, writeBytes: bytes.write, readOps: ops?.read, writeOps: ops?.write },
    pids: { current: parseSingle(f.pidsCurrent ?? '0'), limit: pidsLimit(f.pidsMax) },
  };
}

export function fromCgroupV2(f: CgroupV2Files, host: HostFacts, readAt: number, net?: Record<string, NetCounters>): StatsSample {
  const cpu = parseFlatKeyed(f.cpuStat);
  const stats = memStatPicker.pick(f.memStat);
  const io = parseIoStatV2(f.ioStat ?? '');
  return {
    readAt,
    cgroupVersion: 2,
    cpu: {
      total: (cpu.usage_usec ?? 0) * 1000,
      user: (cpu.user_usec ?? 0) * 1000,
      kernel: (cpu.system_usec ?? 0) * 1000,
      system: host.system,
      onlineCpus: host.onlineCpus,
      throttling: { periods: cpu.nr_periods ?? 0, throttledPeriods: cpu.nr_throttled ?? 0, throttledTime: (cpu.throttled_usec ?? 0) * 1000 },
    },
    mem: { usage: parseSingle(f.memCurrent), limit: capLimit(parseSingle(f.memMax ?? 'max'), host.memTotal), stats },
    net,
    blkio: io,
    pids: { current: parseSingle(f.pidsCurrent ?? '0'), limit: pidsLimit(f.pidsMax) },
  };
}
