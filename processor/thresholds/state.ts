/**
 * The detector's whole memory as plain JSON: persisted between worker runs and
 * restored with identical future results. Only finite numbers, null and arrays,
 * so JSON.stringify/parse round-trips it exactly.
 */
import type { SeasonalProfile } from './seasonal.js';
import { emptyProfile } from './seasonal.js';
import type { ThresholdOptions } from './options.js';

/** Bumped whenever the shape or meaning of the state changes; another version is relearned. */
export const STATE_VERSION = 3;

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
  /** distance from the baseline of the largest excursion remembered above and below, fading */
  alarmedUp: number;
  alarmedDown: number;
  /** time of the first and last sample learned; null before the first */
  firstTimeMs: number | null;
  lastTimeMs: number | null;
  /** length, side (+1 above, -1 below) and start time of the current run of outside samples */
  run: number;
  runSide: number;
  runStartMs: number;
  /** 1 once the current run has been judged (it lasted `forMs`) */
  runChecked: number;
  /** sum of the deseasonalised values of the current run, for re-baselining */
  runSum: number;
  /** time of the last onset; null before the first */
  lastOnsetMs: number | null;
  /** alarms wait until this time after a gap; 0 when there was none */
  rewarmUntilMs: number;
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
    alarmedUp: 0,
    alarmedDown: 0,
    firstTimeMs: null,
    lastTimeMs: null,
    run: 0,
    runSide: 0,
    runStartMs: 0,
    runChecked: 0,
    runSum: 0,
    lastOnsetMs: null,
    rewarmUntilMs: 0,
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
  'alarmedUp',
  'alarmedDown',
  'run',
  'runSide',
  'runStartMs',
  'runChecked',
  'runSum',
  'rewarmUntilMs',
] as const;
const NULLABLE_FIELDS = ['firstTimeMs', 'lastTimeMs', 'lastOnsetMs'] as const;

/**
 * A deep copy of a stored state, checked against the options it will run with, or
 * null when it cannot be used: another version (a state written by an older
 * release) or a malformed one. A profile that no longer matches the seasonality
 * option is dropped (relearned), not misread.
 */
export function restoreState(raw: unknown, opts: ThresholdOptions): ThresholdState | null {
  const r = raw as Record<string, unknown> | null;
  if (r === null || typeof r !== 'object' || r.version !== STATE_VERSION) return null;
  for (const k of NUMBER_FIELDS) if (!finite(r[k])) return null;
  for (const k of NULLABLE_FIELDS) if (r[k] !== null && !finite(r[k])) return null;
  const st = raw as ThresholdState;
  let profile: SeasonalProfile | null = null;
  if (opts.seasonality) {
    const { periodMs, buckets } = opts.seasonality;
    const p = st.profile;
    profile =
      p && p.periodMs === periodMs && numbers(p.offsets, buckets) && numbers(p.counts, buckets)
        ? { periodMs, offsets: p.offsets.slice(), counts: p.counts.slice() }
        : emptyProfile(opts.seasonality);
  }
  return {
    version: STATE_VERSION,
    learned: st.learned,
    level: st.level,
    scale: st.scale,
    spread: st.spread,
    alarmedUp: st.alarmedUp,
    alarmedDown: st.alarmedDown,
    firstTimeMs: st.firstTimeMs,
    lastTimeMs: st.lastTimeMs,
    run: st.run,
    runSide: st.runSide,
    runStartMs: st.runStartMs,
    runChecked: st.runChecked,
    runSum: st.runSum,
    lastOnsetMs: st.lastOnsetMs,
    rewarmUntilMs: st.rewarmUntilMs,
    profile,
  };
}
