/** Parsers of /proc files for the process list. Pure: text in, values out. */

export interface ProcStat {
  comm: string;
  state: string;
  ppid: number;
  /** user + system CPU time in clock ticks */
  ticks: number;
  threads: number;
  /** start time after boot, clock ticks */
  startTicks: number;
  /** virtual memory size, bytes */
  vsize: number;
  /** resident set size, pages */
  rssPages: number;
}

/** /proc/<pid>/stat. The command name is in parentheses and may itself hold spaces and parentheses. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state); field n is rest[n - 3].
  if (rest.length < 22) return undefined;
  const n = (i: number) => Number(rest[i - 3]);
  return {
    comm: text.slice(open + 1, close),
    state: rest[0],
    ppid: n(4),
    ticks: n(14) + n(15),
    threads: n(20),
    startTicks: n(22),
    vsize: n(23),
    rssPages: n(24),
  };
}

export interface ProcStatus {
  uid?: number;
  /** PIDs from the outermost to the innermost namespace */
  nsPids: number[];
  rssBytes?: number;
  vszBytes?: number;
}

/** /proc/<pid>/status: real UID, NSpid, VmRSS, VmSize. */
export function parseProcStatus(text: string): ProcStatus {
  const out: ProcStatus = { nsPids: [] };
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    const val = line.slice(colon + 1).trim();
    if (key === 'Uid') out.uid = Number(val.split(/\s+/)[0]);
    else if (key === 'NSpid') out.nsPids = val.split(/\s+/).map(Number).filter(Number.isFinite);
    else if (key === 'VmRSS') out.rssBytes = Number(val.split(/\s+/)[0]) * 1024;
    else if (key === 'VmSize') out.vszBytes = Number(val.split(/\s+/)[0]) * 1024;
  }
  return out;
}

/** /proc/<pid>/cmdline: NUL-separated arguments; empty for kernel threads and zombies. */
export function parseCmdline(buf: Buffer): string {
  let end = buf.length;
  while (end > 0 && buf[end - 1] === 0) end--;
  return buf.toString('utf8', 0, end).replace(/\0/g, ' ');
}

/** uid → user name from an /etc/passwd. */
export function parsePasswd(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || !/^\d+$/.test(f[2])) continue;
    const uid = Number(f[2]);
    if (!out.has(uid)) out.set(uid, f[0]);
  }
  return out;
}

/** Boot time (s since epoch) from /proc/stat. */
export function parseBtime(procStat: string): number | undefined {
  const m = /^btime\s+(\d+)/m.exec(procStat);
  return m ? Number(m[1]) : undefined;
}

/** MemTotal in bytes from /proc/meminfo. */
export function parseMemTotal(meminfo: string): number {
  return Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1] ?? 0) * 1024;
}
