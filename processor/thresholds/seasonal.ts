/**
 * Seasonal profile: one additive offset per slot of the cycle (e.g. hour of day),
 * on top of the level. Slots are aligned to the epoch, so a daily profile with
 * 24 buckets is hour-of-day in UTC.
 */
import type { SeasonalityOptions } from './options.js';

/** Slot of the cycle that `timeMs` falls in. */
export function bucketOf(timeMs: number, season: SeasonalityOptions): number {
  const phase = timeMs % season.periodMs;
  const inCycle = phase < 0 ? phase + season.periodMs : phase;
  const b = Math.floor((inCycle / season.periodMs) * season.buckets);
  // floating-point rounding can land exactly on `buckets`
  return b >= season.buckets ? season.buckets - 1 : b;
}

export interface SeasonalProfile {
  /** cycle the slots divide, so a profile is never read against another cycle */
  periodMs: number;
  /** offset of each slot from the level */
  offsets: number[];
  /** samples learned in each slot */
  counts: number[];
}

export function emptyProfile(season: SeasonalityOptions): SeasonalProfile {
  return {
    periodMs: season.periodMs,
    offsets: new Array<number>(season.buckets).fill(0),
    counts: new Array<number>(season.buckets).fill(0),
  };
}
