/**
 * Detectors built on CAD OSE's idea, for comparison rows in `npm run
 * eval:thresholds`; the processor does not run them. CAD OSE quantizes each value
 * into a few levels and alarms on a context (a sequence of levels) it has never
 * seen. NAB hands it the series' whole range before the first sample; a streaming
 * detector cannot know it, so here the levels divide the range seen so far.
 */
import { DynamicThreshold, type ThresholdOptions } from '../processor/thresholds/index.js';
import type { Series } from './thresholds-data.js';

export interface ContextOptions {
  /** levels the range seen so far is divided into (CAD OSE: 8, from 3 bits) */
  levels: number;
  /** levels before the current one that make its context */
  order: number;
  /** no onset before this much time has been seen */
  warmupMs: number;
  /** no onset within this time of the last one */
  restMs: number;
}

/** The range of the values seen so far, divided into `levels` equal parts. */
class SeenRange {
  private min = Infinity;
  private max = -Infinity;
  constructor(private readonly levels: number) {}

  /** Widens the range to `value` and returns the level it falls on. */
  level(value: number): number {
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (!(this.max > this.min)) return 0;
    const l = Math.floor(((value - this.min) / (this.max - this.min)) * this.levels);
    return l < 0 ? 0 : l >= this.levels ? this.levels - 1 : l;
  }
}

/** Onsets where the context (the last `order` levels and this one) was never seen. */
export function contextNovelty(o: ContextOptions): (series: Series) => number[] {
  return (series) => {
    const seen = new Uint8Array(o.levels ** (o.order + 1));
    const onsets: number[] = [];
    const range = new SeenRange(o.levels);
    let context = 0;
    let filled = 0;
    let lastOnset = -Infinity;
    const first = series.times[0];
    for (let i = 0; i < series.values.length; i++) {
      const v = series.values[i];
      const t = series.times[i];
      if (!Number.isFinite(v)) continue;
      const level = range.level(v);
      const key = context * o.levels + level;
      if (filled >= o.order) {
        if (seen[key] === 0 && t - first >= o.warmupMs && t - lastOnset >= o.restMs) {
          onsets.push(i);
          lastOnset = t;
        }
        seen[key] = 1;
      }
      context = (context * o.levels + level) % o.levels ** o.order;
      filled++;
    }
    return onsets;
  };
}

/**
 * The dynamic threshold's onsets, plus one for a sample outside its band that
 * lands on a level of the range seen so far never visited before (outside the
 * refractory period of the last onset): a novelty of where the value is, not only
 * of how far it is from the baseline.
 */
export function withNewLevels(opts: ThresholdOptions, levels: number): (series: Series) => number[] {
  return (series) => {
    const d = new DynamicThreshold(opts);
    const visited = new Uint8Array(levels);
    const onsets: number[] = [];
    const range = new SeenRange(levels);
    let lastOnset = -Infinity;
    for (let i = 0; i < series.values.length; i++) {
      const v = series.values[i];
      const t = series.times[i];
      const r = d.update(t, v);
      if (!Number.isFinite(v)) continue;
      const level = range.level(v);
      const fresh = visited[level] === 0;
      visited[level] = 1;
      if (r.anomaly || (r.outside && r.warm && fresh && t - lastOnset >= opts.refractoryMs)) {
        onsets.push(i);
        lastOnset = t;
      }
    }
    return onsets;
  };
}
