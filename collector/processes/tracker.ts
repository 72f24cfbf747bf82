/**
 * Per-container process bookkeeping between polls: CPU % from the change in CPU
 * time, the busiest processes chosen for writing, and the processes that
 * disappeared since the last poll. Pure: state in memory, no I/O.
 */
import type { ProcessSample } from './sample.js';

export interface RatedProcess extends ProcessSample {
  cpuPercent?: number;
}

export interface PollResult {
  /** processes to write, rank 1 first */
  top: RatedProcess[];
  /** processes seen last poll and gone now */
  gone: RatedProcess[];
  /** every process of this poll */
  count: number;
}

/** CPU % between two samples: 100 = one core busy for the whole interval. */
export function cpuPercentBetween(prevNs: number, prevMs: number, curNs: number, curMs: number): number | undefined {
  const dt = curMs - prevMs;
  if (dt <= 0 || curNs < prevNs) return undefined;
  return ((curNs - prevNs) / 1e6 / dt) * 100;
}

/**
 * The processes worth writing when there are more than `max`: half the slots go
 * to the busiest by CPU, the rest to the largest by memory among the others;
 * all ranked by CPU, then memory.
 */
export function selectTop(procs: RatedProcess[], max: number): RatedProcess[] {
  const byCpu = (a: RatedProcess, b: RatedProcess) =>
    (b.cpuPercent ?? 0) - (a.cpuPercent ?? 0) || (b.rss ?? 0) - (a.rss ?? 0) || a.pid - b.pid;
  const sorted = [...procs].sort(byCpu);
  if (sorted.length <= max) return sorted;
  const cpuSlots = Math.ceil(max / 2);
  const chosen = sorted.slice(0, cpuSlots);
  const rest = sorted.slice(cpuSlots).sort((a, b) => (b.rss ?? 0) - (a.rss ?? 0) || a.pid - b.pid);
  chosen.push(...rest.slice(0, max - cpuSlots));
  return chosen.sort(byCpu);
}

export class ProcessTracker {
  private last = new Map<string, { sample: RatedProcess; at: number }>();
  lastPoll = 0;

  constructor(private readonly max: number) {}

  poll(samples: ProcessSample[], nowMs: number): PollResult {
    const next = new Map<string, { sample: RatedProcess; at: number }>();
    const rated: RatedProcess[] = [];
    for (const s of samples) {
      const prev = this.last.get(s.key);
      let cpuPercent: number | undefined;
      if (prev && prev.sample.cpuTimeNs !== undefined && s.cpuTimeNs !== undefined) {
        cpuPercent = cpuPercentBetween(prev.sample.cpuTimeNs, prev.at, s.cpuTimeNs, nowMs);
      }
      if (cpuPercent === undefined) cpuPercent = s.cpuPercentHint;
      const r: RatedProcess = { ...s, cpuPercent };
      rated.push(r);
      next.set(s.key, { sample: r, at: nowMs });
    }
    const gone: RatedProcess[] = [];
    for (const [k, v] of this.last) if (!next.has(k)) gone.push(v.sample);
    gone.sort((a, b) => a.pid - b.pid);
    this.last = next;
    this.lastPoll = nowMs;
    return { top: selectTop(rated, this.max), gone: gone.slice(0, this.max), count: rated.length };
  }

  /** The container stopped: every process seen is gone. */
  end(): RatedProcess[] {
    const gone = [...this.last.values()].map((v) => v.sample).sort((a, b) => a.pid - b.pid);
    this.last.clear();
    return gone.slice(0, this.max);
  }

  get size(): number {
    return this.last.size;
  }
}
