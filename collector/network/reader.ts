/**
 * Reads a container's socket tables: /proc/<pid>/net/{tcp,tcp6,udp,udp6},
 * opened once and re-read from offset 0 each cycle (the kernel regenerates
 * them on every read from the start), in chunks into one reused buffer, until
 * a time budget runs out. sockstat and sockstat6, read first, say which tables
 * are empty: those are not read (each tcp table read costs the kernel a walk
 * over its whole connection hash, docs/performance.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { scanTcp, scanUdp, parseSockstat, tablesToRead, type SocketScan } from './procnet.js';

const FILES = ['tcp', 'tcp6', 'udp', 'udp6'] as const;
const STAT_FILES = ['sockstat', 'sockstat6'] as const;
/** The kernel gives a page per read; more room costs nothing and serves files that give more. */
const CHUNK = 256 * 1024;

export type ReadOutcome =
  /** every file read to its end */
  | 'complete'
  /** the budget ran out: the scan holds what was read so far */
  | 'cut'
  /** the process is gone (container stopped) or its files are not readable */
  | 'gone';

/** What sockstat says of a namespace before its tables are read. */
export interface Probe {
  /** tcp, tcp6, udp, udp6: whether the table holds anything */
  wanted: boolean[];
  /** sockets in use, TIME_WAIT included (Infinity: unknown) */
  sockets: number;
}

interface Handles {
  pid: number;
  fds: Array<number | undefined>;
  stat: Array<number | undefined>;
}

const openOrUndefined = (p: string) => {
  try {
    return fs.openSync(p, 'r');
  } catch {
    return undefined;
  }
};

export class NetnsReader {
  private handles = new Map<string, Handles>();
  // Room for a chunk plus the partial line carried over from the one before.
  private readonly buf = Buffer.allocUnsafe(CHUNK + 4096);

  constructor(private readonly procRoot: string) {}

  private open(id: string, pid: number): Handles | undefined {
    let h = this.handles.get(id);
    if (h && h.pid === pid) return h;
    if (h) this.forget(id);
    const dir = path.join(this.procRoot, String(pid), 'net');
    const fds = FILES.map((f) => openOrUndefined(path.join(dir, f)));
    const stat = STAT_FILES.map((f) => openOrUndefined(path.join(dir, f)));
    // tcp is there in every network namespace; without it the process is gone.
    if (fds[0] === undefined) {
      for (const fd of [...fds, ...stat]) if (fd !== undefined) fs.closeSync(fd);
      return undefined;
    }
    h = { pid, fds, stat };
    this.handles.set(id, h);
    return h;
  }

  /**
   * Reads one file from its start into scan: the bytes read, or -1 when the
   * deadline (performance.now() ms) passed with more left to read. The kernel
   * hands these files over a page at a time, so the deadline is looked at
   * after each page; once past it, one more read tells a finished table (end
   * of file) from a cut one.
   */
  private readFile(fd: number, kind: (typeof FILES)[number], scan: SocketScan, deadline: number): number {
    const buf = this.buf;
    let pos = 0;
    let have = 0;
    let late = false;
    for (;;) {
      const n = fs.readSync(fd, buf, have, CHUNK, pos);
      if (n === 0) return pos;
      pos += n;
      const end = have + n;
      const rest = kind === 'tcp' || kind === 'tcp6' ? scanTcp(buf, 0, end, kind === 'tcp6', scan) : scanUdp(buf, 0, end, scan);
      have = end - rest;
      if (have) buf.copyWithin(0, rest, end);
      if (have > 4096) return pos; // not a socket table: stop rather than grow
      if (late) return -1;
      late = performance.now() > deadline;
    }
  }

  private readSmall(fd: number): string {
    const n = fs.readSync(fd, this.buf, 0, 4096, 0);
    return this.buf.toString('latin1', 0, n);
  }

  /**
   * Opens a container's files (kept for the next passes) and reads its
   * in-use counts, in constant time: which tables hold anything, and about how
   * many sockets (all tables are wanted when sockstat cannot tell). Undefined
   * when the process is gone.
   */
  probe(id: string, pid: number): Probe | undefined {
    const h = this.open(id, pid);
    if (!h) return undefined;
    try {
      if (h.stat[0] === undefined || h.stat[1] === undefined) return { wanted: [true, true, true, true], sockets: Infinity };
      const v4 = this.readSmall(h.stat[0]);
      if (v4 === '') throw new Error('gone');
      const s = parseSockstat(v4, this.readSmall(h.stat[1]));
      if (!s) return { wanted: [true, true, true, true], sockets: Infinity };
      const t = tablesToRead(s);
      return { wanted: [t.tcp, t.tcp6, t.udp, t.udp6], sockets: s.tcp + s.tcp6 + s.tw + s.udp + s.udp6 };
    } catch {
      this.forget(id);
      return undefined;
    }
  }

  /** Tables read and left unread (empty) since the reader was made. */
  readonly tables = { read: 0, skipped: 0 };

  /** Reads a container's tables into scan (reset first); `probe` says which (probed now when not given). */
  read(id: string, pid: number, scan: SocketScan, budgetMs: number, probe = this.probe(id, pid)): ReadOutcome {
    scan.reset();
    const h = this.handles.get(id);
    if (!probe || !h) return 'gone';
    const deadline = performance.now() + budgetMs;
    const wanted = probe.wanted;
    try {
      for (let i = 0; i < FILES.length; i++) {
        const fd = h.fds[i];
        if (fd === undefined) continue;
        if (!wanted[i]) {
          this.tables.skipped++;
          continue;
        }
        this.tables.read++;
        const n = this.readFile(fd, FILES[i], scan, deadline);
        if (n < 0) return 'cut';
        // The table always has its header line: nothing at all means the process has gone.
        if (n === 0 && i === 0) {
          this.forget(id);
          return 'gone';
        }
      }
      return 'complete';
    } catch {
      // ESRCH/ENOENT: the process exited under us.
      this.forget(id);
      return 'gone';
    }
  }

  forget(id: string): void {
    const h = this.handles.get(id);
    if (!h) return;
    for (const fd of [...h.fds, ...h.stat]) if (fd !== undefined) fs.closeSync(fd);
    this.handles.delete(id);
  }

  /** Containers with files open. */
  ids(): string[] {
    return [...this.handles.keys()];
  }

  close(): void {
    for (const id of [...this.handles.keys()]) this.forget(id);
  }
}
