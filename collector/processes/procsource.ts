/**
 * The fast path: the container's PIDs from its cgroup's cgroup.procs, each read
 * from /proc. No process is started and Docker is not asked; CPU % is measured
 * between polls, not averaged over the process's life as ps does. A process
 * is read in full (status, cmdline, the user name from the container's own
 * /etc/passwd) when first seen; after that only its stat, which holds what
 * changes (CPU time, memory, threads, state).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ContainerMeta } from '../container.js';
import { containerCgroupPath, type CgroupVersion } from '../sources/cgroup.js';
import { parseProcStat, parseProcStatus, parseCmdline, parsePasswd, parseBtime, parseMemTotal } from './procfs.js';
import type { ProcessSample } from './sample.js';
import type { ProcessSource } from './source.js';

/** USER_HZ: 100 on every Linux architecture Docker runs on. */
const CLOCK_TICKS = 100;
const readOr = (p: string): string | undefined => {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
};

/** What does not change over a process's life (its key is PID and start time). */
interface Known {
  user: string;
  nsPid: number | undefined;
  command: string;
}

/** Bytes per page: /proc/<pid>/stat counts resident memory in pages. */
function pageSize(procRoot: string): number {
  try {
    const st = parseProcStat(fs.readFileSync(path.join(procRoot, 'self/stat'), 'utf8'));
    const rss = parseProcStatus(fs.readFileSync(path.join(procRoot, 'self/status'), 'utf8')).rssBytes;
    if (st && rss && st.rssPages > 0) {
      const ratio = rss / st.rssPages;
      return [4096, 16384, 65536].reduce((a, b) => (Math.abs(b - ratio) < Math.abs(a - ratio) ? b : a));
    }
  } catch {
    // /proc/self unreadable: the usual size
  }
  return 4096;
}

export class ProcProcessSource implements ProcessSource {
  readonly name = 'proc' as const;
  private cgroups = new Map<string, string>();
  /** per container: its processes seen at the last poll */
  private known = new Map<string, Map<string, Known>>();
  private readonly bootMs: number;
  private readonly memTotal: number;
  private readonly pageSize: number;

  constructor(private readonly version: CgroupVersion, private readonly opts: { cgroupRoot: string; procRoot: string }) {
    this.bootMs = (parseBtime(fs.readFileSync(path.join(opts.procRoot, 'stat'), 'utf8')) ?? 0) * 1000;
    this.memTotal = parseMemTotal(fs.readFileSync(path.join(opts.procRoot, 'meminfo'), 'utf8'));
    this.pageSize = pageSize(opts.procRoot);
  }

  private cgroupDir(c: ContainerMeta): string | undefined {
    let rel = this.cgroups.get(c.id);
    if (rel === undefined) {
      rel = containerCgroupPath(this.opts.cgroupRoot, this.version, this.opts.procRoot, c.id, c.pid);
      if (rel === undefined) return undefined;
      this.cgroups.set(c.id, rel);
    }
    return this.version === 2 ? path.join(this.opts.cgroupRoot, rel) : path.join(this.opts.cgroupRoot, 'memory', rel);
  }

  /** PIDs of the cgroup and its sub-cgroups (a container may nest its own). */
  private pids(dir: string, depth = 0): number[] | undefined {
    const text = readOr(path.join(dir, 'cgroup.procs'));
    if (text === undefined) return undefined;
    const out = text.split('\n').filter(Boolean).map(Number);
    if (depth < 4) {
      let entries: fs.Dirent[] = [];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        /* removed meanwhile */
      }
      for (const e of entries) if (e.isDirectory()) out.push(...(this.pids(path.join(dir, e.name), depth + 1) ?? []));
    }
    return out;
  }

  async list(c: ContainerMeta): Promise<ProcessSample[] | undefined | 'unreadable'> {
    const dir = this.cgroupDir(c);
    if (!dir) return 'unreadable';
    const pids = this.pids(dir);
    if (pids === undefined) {
      this.cgroups.delete(c.id);
      this.known.delete(c.id);
      return undefined; // cgroup gone: the container stopped
    }
    // The init PID may be stale after a restart; any PID of the container sees the same root.
    const passwd = (pid: number | undefined) => (pid ? readOr(path.join(this.opts.procRoot, String(pid), 'root/etc/passwd')) : undefined);
    let users: Map<number, string> | undefined;
    const before = this.known.get(c.id);
    const now = new Map<string, Known>();
    const out: ProcessSample[] = [];
    for (const pid of pids) {
      const base = path.join(this.opts.procRoot, String(pid));
      const statText = readOr(path.join(base, 'stat'));
      if (statText === undefined) continue; // exited between the listing and now
      const st = parseProcStat(statText);
      if (!st) continue;
      const key = `${pid}|${st.startTicks}`;
      let k = before?.get(key);
      if (!k) {
        const statusText = readOr(path.join(base, 'status'));
        if (statusText === undefined) continue;
        const status = parseProcStatus(statusText);
        let cmd = '';
        try {
          cmd = parseCmdline(fs.readFileSync(path.join(base, 'cmdline')));
        } catch {
          /* exited */
        }
        users ??= parsePasswd(passwd(c.pid) ?? passwd(pids[0]) ?? '');
        k = {
          user: status.uid === undefined ? '' : users.get(status.uid) ?? String(status.uid),
          nsPid: status.nsPids.length > 1 ? status.nsPids[status.nsPids.length - 1] : undefined,
          command: cmd || `[${st.comm}]`,
        };
      }
      now.set(key, k);
      const startedAt = this.bootMs + (st.startTicks / CLOCK_TICKS) * 1000;
      const rss = st.rssPages * this.pageSize;
      out.push({
        key,
        pid,
        nsPid: k.nsPid,
        ppid: st.ppid,
        user: k.user,
        state: st.state,
        rss,
        vsz: st.vsize,
        threads: st.threads,
        cpuTimeNs: (st.ticks / CLOCK_TICKS) * 1e9,
        // First sight of a process: its lifetime average, as ps shows it.
        cpuPercentHint: lifetimePercent(st.ticks, startedAt),
        memPercent: this.memTotal ? (rss / this.memTotal) * 100 : undefined,
        startedAt,
        command: k.command,
      });
    }
    this.known.set(c.id, now);
    return out;
  }

  forget(id: string): void {
    this.cgroups.delete(id);
    this.known.delete(id);
  }
}

function lifetimePercent(ticks: number, startedAt: number): number | undefined {
  const lifeMs = Date.now() - startedAt;
  return lifeMs > 0 ? ((ticks / CLOCK_TICKS) * 1000 / lifeMs) * 100 : undefined;
}
