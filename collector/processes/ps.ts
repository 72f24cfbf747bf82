/**
 * docker top answers (ps run by dockerd on the host) as process samples. Pure.
 * Columns are found by title, so the default `-ef` form and our own -o form both parse.
 */
import type { ProcessSample } from './sample.js';

/** What we ask ps for: every column ProcessSample has. etimes/times are seconds (procps). */
export const PS_ARGS = '-eo pid,ppid,user,stat,rss,vsz,pcpu,pmem,etimes,times,args';

export interface TopAnswer {
  Titles: string[];
  Processes: string[][];
}

/** "[[dd-]hh:]mm:ss" or plain seconds to seconds. */
export function parseClock(s: string): number | undefined {
  if (/^\d+$/.test(s)) return Number(s);
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(s);
  if (!m) return undefined;
  return (Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

const num = (s: string | undefined) => {
  if (s === undefined || s === '' || s === '-') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
};

export function parseTop(top: TopAnswer, nowMs: number): ProcessSample[] {
  const col = (...names: string[]) => {
    for (const n of names) {
      const i = top.Titles.indexOf(n);
      if (i >= 0) return i;
    }
    return -1;
  };
  const iPid = col('PID');
  if (iPid < 0) return [];
  const iPpid = col('PPID');
  const iUser = col('USER', 'UID');
  const iStat = col('STAT', 'S');
  const iRss = col('RSS', 'RSZ');
  const iVsz = col('VSZ', 'VSIZE');
  const iCpu = col('%CPU', 'C');
  const iMem = col('%MEM');
  const iElapsed = col('ELAPSED');
  const iTime = col('TIME');
  const iCmd = col('COMMAND', 'CMD', 'ARGS');
  const out: ProcessSample[] = [];
  for (const row of top.Processes ?? []) {
    const pid = num(row[iPid]);
    if (pid === undefined) continue;
    const at = (i: number) => (i >= 0 ? row[i] : undefined);
    const elapsed = parseClock(at(iElapsed) ?? '');
    const cpuS = parseClock(at(iTime) ?? '');
    const command = at(iCmd) ?? '';
    const rssKb = num(at(iRss));
    const vszKb = num(at(iVsz));
    out.push({
      // ps start times are only second-exact: the command keeps the key stable.
      key: `${pid}|${command}`,
      pid,
      ppid: num(at(iPpid)),
      user: at(iUser) ?? '',
      state: at(iStat) ?? '',
      rss: rssKb === undefined ? undefined : rssKb * 1024,
      vsz: vszKb === undefined ? undefined : vszKb * 1024,
      cpuTimeNs: cpuS === undefined ? undefined : cpuS * 1e9,
      cpuPercentHint: num(at(iCpu)),
      memPercent: num(at(iMem)),
      startedAt: elapsed === undefined ? undefined : nowMs - elapsed * 1000,
      command,
    });
  }
  return out;
}
