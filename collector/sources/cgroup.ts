/**
 * The fast path: counters read straight from the kernel's cgroup files (v1 or
 * v2) and /proc/<pid>/net/dev. Each file is opened once per container and
 * re-read from offset 0 every cycle: the kernel regenerates it on every read.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ContainerMeta } from '../container.js';
import {
  fromCgroupV1, fromCgroupV2, parseNetDev, parseProcStatSystem,
  type CgroupV1Files, type CgroupV2Files, type HostFacts, type StatsSample,
} from '../stats.js';
import type { StatsSource } from './source.js';

const buf = Buffer.allocUnsafe(64 * 1024);

/** Reads a kept-open file from its start. Throws when the file is gone (container removed). */
function readFd(fd: number): string {
  const n = fs.readSync(fd, buf, 0, buf.length, 0);
  return buf.toString('latin1', 0, n);
}

const openOrUndefined = (p: string) => {
  try {
    return fs.openSync(p, 'r');
  } catch {
    return undefined;
  }
};

export type CgroupVersion = 1 | 2;

/** Which cgroup hierarchy the host runs, or undefined when none is readable here. */
export function detectCgroup(root: string): CgroupVersion | undefined {
  if (fs.existsSync(path.join(root, 'cgroup.controllers'))) return 2;
  if (fs.existsSync(path.join(root, 'cpuacct')) && fs.existsSync(path.join(root, 'memory'))) return 1;
  return undefined;
}

const V1_FILES: Array<[keyof CgroupV1Files, string, string]> = [
  ['cpuacctUsage', 'cpuacct', 'cpuacct.usage'],
  ['cpuacctStat', 'cpuacct', 'cpuacct.stat'],
  ['cpuStat', 'cpu', 'cpu.stat'],
  ['memUsage', 'memory', 'memory.usage_in_bytes'],
  ['memStat', 'memory', 'memory.stat'],
  ['blkioBytes', 'blkio', 'blkio.throttle.io_service_bytes_recursive'],
  ['blkioOps', 'blkio', 'blkio.throttle.io_serviced_recursive'],
  ['pidsCurrent', 'pids', 'pids.current'],
  ['pidsMax', 'pids', 'pids.max'],
];
const V2_FILES: Array<[keyof CgroupV2Files, string]> = [
  ['cpuStat', 'cpu.stat'],
  ['memCurrent', 'memory.current'],
  ['memMax', 'memory.max'],
  ['memStat', 'memory.stat'],
  ['ioStat', 'io.stat'],
  ['pidsCurrent', 'pids.current'],
  ['pidsMax', 'pids.max'],
];

/** The cgroup of a container relative to the hierarchy root, from the usual places or /proc/<pid>/cgroup. */
export function containerCgroupPath(root: string, version: CgroupVersion, procRoot: string, id: string, pid: number): string | undefined {
  const probe = version === 2 ? root : path.join(root, 'memory');
  for (const rel of [`docker/${id}`, `system.slice/docker-${id}.scope`]) {
    if (fs.existsSync(path.join(probe, rel))) return rel;
  }
  if (pid > 0) {
    try {
      const text = fs.readFileSync(path.join(procRoot, String(pid), 'cgroup'), 'utf8');
      for (const l of text.split('\n')) {
        const [, ctrls, p] = l.split(':');
        if (p === undefined) continue;
        if ((version === 2 && ctrls === '') || (version === 1 && ctrls.split(',').includes('memory'))) {
          if (fs.existsSync(path.join(probe, p))) return p.replace(/^\//, '');
        }
      }
    } catch {
      /* process gone */
    }
  }
  return undefined;
}

interface Handles {
  /** the cgroup, "/" + its path under the hierarchy root */
  cgroup: string;
  fds: Record<string, number>;
  netFd?: number;
  netPid?: number;
}

export class CgroupStatsSource implements StatsSource {
  readonly name = 'cgroup' as const;
  private handles = new Map<string, Handles>();
  private statFd: number;
  private onlineFd: number | undefined;
  private readonly memTotal: number;

  constructor(readonly version: CgroupVersion, private readonly opts: { cgroupRoot: string; procRoot: string }) {
    this.statFd = fs.openSync(path.join(opts.procRoot, 'stat'), 'r');
    this.onlineFd = openOrUndefined('/sys/devices/system/cpu/online');
    const meminfo = fs.readFileSync(path.join(opts.procRoot, 'meminfo'), 'utf8');
    this.memTotal = Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1] ?? 0) * 1024;
  }

  /** Host CPU time, online CPUs and memory, read once per cycle. */
  hostFacts(): HostFacts {
    return {
      system: parseProcStatSystem(readFd(this.statFd)),
      onlineCpus: this.onlineFd !== undefined ? countCpus(readFd(this.onlineFd)) : 1,
      memTotal: this.memTotal,
      clockTicks: 100,
    };
  }

  private open(c: ContainerMeta): Handles | undefined {
    const rel = containerCgroupPath(this.opts.cgroupRoot, this.version, this.opts.procRoot, c.id, c.pid);
    if (rel === undefined) return undefined;
    const fds: Record<string, number> = {};
    if (this.version === 1) {
      for (const [key, ctrl, file] of V1_FILES) {
        const fd = openOrUndefined(path.join(this.opts.cgroupRoot, ctrl, rel, file));
        if (fd !== undefined) fds[key] = fd;
      }
    } else {
      for (const [key, file] of V2_FILES) {
        const fd = openOrUndefined(path.join(this.opts.cgroupRoot, rel, file));
        if (fd !== undefined) fds[key] = fd;
      }
    }
    const required = this.version === 1 ? ['cpuacctUsage', 'memUsage', 'memStat'] : ['cpuStat', 'memCurrent', 'memStat'];
    if (!required.every((k) => k in fds)) {
      for (const fd of Object.values(fds)) fs.closeSync(fd);
      return undefined;
    }
    return { cgroup: '/' + rel, fds };
  }

  private netOf(h: Handles, c: ContainerMeta) {
    if (c.networkMode === 'host' || c.pid <= 0) return undefined;
    if (h.netPid !== c.pid) {
      if (h.netFd !== undefined) fs.closeSync(h.netFd);
      h.netFd = openOrUndefined(path.join(this.opts.procRoot, String(c.pid), 'net', 'dev'));
      h.netPid = c.pid;
    }
    if (h.netFd === undefined) return undefined;
    const net = parseNetDev(readFd(h.netFd));
    return Object.keys(net).length ? net : undefined;
  }

  /** Reads one container; undefined when its cgroup is gone (it stopped or was removed). */
  readOne(c: ContainerMeta, host: HostFacts, now: number): StatsSample | undefined | 'unreadable' {
    let h = this.handles.get(c.id);
    if (!h) {
      h = this.open(c);
      if (!h) return 'unreadable';
      this.handles.set(c.id, h);
    }
    try {
      const text: Record<string, string> = {};
      for (const k in h.fds) text[k] = readFd(h.fds[k]);
      const net = this.netOf(h, c);
      const s = this.version === 1
        ? fromCgroupV1(text as unknown as CgroupV1Files, host, now, net)
        : fromCgroupV2(text as unknown as CgroupV2Files, host, now, net);
      s.cgroup = h.cgroup;
      return s;
    } catch {
      // ENODEV/ENOENT: the cgroup was removed under us.
      this.forget(c.id);
      return undefined;
    }
  }

  async read(containers: ContainerMeta[]) {
    const samples = new Map<string, StatsSample>();
    const unreadable: ContainerMeta[] = [];
    const host = this.hostFacts();
    const now = Date.now();
    for (const c of containers) {
      const s = this.readOne(c, host, now);
      if (s === 'unreadable') unreadable.push(c);
      else if (s) samples.set(c.id, s);
    }
    return { samples, unreadable };
  }

  forget(id: string): void {
    const h = this.handles.get(id);
    if (!h) return;
    for (const fd of Object.values(h.fds)) fs.closeSync(fd);
    if (h.netFd !== undefined) fs.closeSync(h.netFd);
    this.handles.delete(id);
  }

  close(): void {
    for (const id of [...this.handles.keys()]) this.forget(id);
    fs.closeSync(this.statFd);
    if (this.onlineFd !== undefined) fs.closeSync(this.onlineFd);
  }
}

/** "0-3,6" → 5 */
export function countCpus(online: string): number {
  let n = 0;
  for (const part of online.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number);
    n += b === undefined ? 1 : b - a + 1;
  }
  return n || 1;
}
