/** CPU time of processes from /proc, for the benches. */
import fs from 'node:fs';

const TICK_MS = 10; // USER_HZ = 100 on Linux

function statFields(pid: number): string[] | undefined {
  try {
    // The command may hold spaces and parentheses: fields start after the last ")".
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User + system CPU of a process, ms; with `children`, also of its children it has waited for. */
export function processCpuMs(pid: number, children = false): number {
  const f = statFields(pid);
  if (!f) return 0;
  // After the command: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
  const own = Number(f[11]) + Number(f[12]);
  return (children ? own + Number(f[13]) + Number(f[14]) : own) * TICK_MS;
}

/** The PIDs of a process and all its live descendants. */
export function processTree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const f = statFields(Number(p));
    if (f) parent.set(Number(p), Number(f[1]));
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    for (const [pid, ppid] of parent) if (ppid === out[i]) out.push(pid);
  }
  return out;
}

/** CPU of a whole process tree, ms: live members plus the children they reaped. */
export function treeCpuMs(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + processCpuMs(pid, true), 0);
}

/** PIDs whose command name is one of `names`. */
export function pidsByName(names: string[]): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (names.includes(fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim())) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}
