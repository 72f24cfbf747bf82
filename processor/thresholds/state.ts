/**
 * The detector's whole memory as plain JSON: persisted between worker runs and
 * restored with identical future results. Only finite numbers, null and arrays,
 * so JSON.stringify/parse round-trips it exactly.
 */
import type { SeasonalProfile } from './seasonal.js';
import { emptyProfile } from './seasonal.js';
import type { ThresholdOptions } from './options.js';

export const STATE_VERSION = 1;

export interface ThresholdState {
  version: number;
  /** samples learned so far */
  learned: number;
  /** deseasonalised expected value */
  level: number;
  /** robust scale of residuals: exponentially weighted mean absolute deviation, clipped */
  scale: number;
  /** slow, unclipped mean absolute residual: includes the spikes the scale ignores */
  spread: number;
  /** tracked tail quantiles of residuals above and below the baseline, in scale units */
  tailUp: number;
  tailDown: number;
  /** distance from the baseline of the last alarmed excursion above and below, decaying */
  alarmedUp: number;
  alarmedDown: number;
  /** time of the first and last sample learned; null before the first */
  firstTimeMs: number | null;
  lastTimeMs: number | null;
  /** usual time between samples, to tell a gap from normal spacing; 0 until known */
  spacingMs: number;
  /** length and side (+1 above, -1 below) of the current run of outside samples */
  run: number;
  runSide: number;
  /** sum of the deseasonalised values of the current run, for re-baselining */
  runSum: number;
  /** samples left before a new onset may be raised */
  cooldown: number;
  /** samples left before alarms resume after a gap */
  rewarm: number;
  /** seasonal profile, null without seasonality */
  profile: SeasonalProfile | null;
}

export function initialState(opts: ThresholdOptions): ThresholdState {
  return {
    version: STATE_VERSION,
    learned: 0,
    level: 0,
    scale: 0,
    spread: 0,
    tailUp: 1,
    tailDown: 1,
    alarmedUp: 0,
    alarmedDown: 0,
    firstTimeMs: null,
    lastTimeMs: null,
    spacingMs: 0,
    run: 0,
    runSide: 0,
    runSum: 0,
    cooldown: 0,
    rewarm: 0,
    profile: opts.seasonality ? emptyProfile(opts.seasonality) : null,
  };
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const numbers = (v: unknown, length: number): v is number[] =>
  Array.isArray(v) && v.length === length && v.every(finite);

const NUMBER_FIELDS = [
  'learned',
  'level',
  'scale',
  'spread',
  'tailUp',
  'tailDown',
  'alarmedUp',
  'alarmedDown',
  'spacingMs',
  'run',
  'runSide',
  'runSum',
  'cooldown',
  'rewarm',
] as const;

/**
 * A deep copy of a stored state, checked against the options it will run with.
 * A profile that no longer matches the seasonality option is dropped (relearned),
 * not misread; any other malformed state throws a TypeError.
 */
export function restoreState(raw: ThresholdState, opts: ThresholdOptions): ThresholdState {
  const r = raw as unknown as Record<string, unknown> | null;
  if (r === null || typeof r !== 'object' || r.version !== STATE_VERSION) {
    throw new TypeError(`thresholds: unsupported state version ${String(r?.version)}`);
  }
  for (const k of NUMBER_FIELDS) {
    if (!finite(r[k])) throw new TypeError(`thresholds: state.${k} must be a finite number`);
  }
  if (!(raw.tailUp > 0 && raw.tailDown > 0)) throw new TypeError('thresholds: state tails must be > 0');
  for (const k of ['firstTimeMs', 'lastTimeMs']) {
    if (r[k] !== null && !finite(r[k])) throw new TypeError(`thresholds: state.${k} must be a finite number or null`);
  }
  let profile: SeasonalProfile | null = null;
  if (opts.seasonality) {
    const { periodMs, buckets } = opts.seasonality;
    const p = raw.profile;
    profile =
      p && p.periodMs === periodMs && numbers(p.offsets, buckets) && numbers(p.counts, buckets)
        ? { periodMs, offsets: p.offsets.slice(), counts: p.counts.slice() }
        : emptyProfile(opts.seasonality);
  }
  return {
    version: STATE_VERSION,
    learned: raw.learned,
    level: raw.level,
    scale: raw.scale,
    spread: raw.spread,
    tailUp: raw.tailUp,
    tailDown: raw.tailDown,
    alarmedUp: raw.alarmedUp,
    alarmedDown: raw.alarmedDown,
    firstTimeMs: raw.firstTimeMs,
    lastTimeMs: raw.lastTimeMs,
    spacingMs: raw.spacingMs,
    run: raw.run,
    runSide: raw.runSide,
    runSum: raw.runSum,
    cooldown: raw.cooldown,
    rewarm: raw.rewarm,
    profile,
  };
}
