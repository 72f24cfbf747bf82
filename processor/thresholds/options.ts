/**
 * Options of the dynamic-threshold detector and their validation. Options about
 * time are durations in milliseconds, compared with the samples' own timestamps,
 * so one setting means the same for 30-second and hourly series. The shipped
 * defaults are not here: they are the processor's configuration defaults
 * (`processor.thresholds` in common/config.ts), see `DEFAULT_THRESHOLD_OPTIONS`.
 */

export interface SeasonalityOptions {
  /** length of one cycle, e.g. 86_400_000 for a daily profile */
  periodMs: number;
  /** slots per cycle, e.g. 24 for hour-of-day (slots are aligned to UTC) */
  buckets: number;
}

export interface ThresholdOptions {
  /** no alarm before this much time has been learned (and at least MIN_LEARNED samples) */
  warmupMs: number;
  /** a value must stay outside the band on one side this long before an onset; 0: the first sample outside */
  forMs: number;
  /** no new onset within this time after one */
  refractoryMs: number;
  /** a deviation that stays on one side of the band this long is the new normal (level re-baselined) */
  newNormalMs: number;
  /** the remembered size of alarmed excursions halves in this time; 0 turns the memory off */
  memoryMs: number;
  /** a silence longer than this is a gap: the run is dropped and alarms wait `warmupMs` again */
  gapMs: number;
  /** optional seasonal profile, e.g. { periodMs: 86_400_000, buckets: 24 } */
  seasonality?: SeasonalityOptions | undefined;
  /** half-width of the band, in robust scale units (mean absolute deviation of residuals) */
  bandWidth: number;
  /** adaptation rate of the level and of the scale, per sample */
  levelRate: number;
  /** adaptation rate of a seasonal slot, per sample falling in it */
  seasonalRate: number;
  /** residuals are clipped to this many scales before the level, scale and profile learn them */
  huberClip: number;
  /** smallest scale, absolute */
  minScale: number;
  /** smallest scale, as a fraction of the long-run unclipped mean absolute residual: mostly-zero spiky series */
  minSpreadScale: number;
  /** an excursion must exceed `repeatMargin` times the remembered one on its side to raise an onset */
  repeatMargin: number;
  /** least half-width of each side of the band, in the series' units: smaller changes are never news */
  minWidth: number;
}

const durations = ['warmupMs', 'forMs', 'refractoryMs', 'newNormalMs', 'memoryMs', 'gapMs'] as const;
const rates = ['levelRate', 'seasonalRate'] as const;
const positives = ['bandWidth', 'huberClip', 'repeatMargin'] as const;
const nonNegatives = ['minScale', 'minSpreadScale', 'minWidth'] as const;

/** Throws a RangeError naming the first unusable option; returns the options otherwise. */
export function checkOptions(o: ThresholdOptions): ThresholdOptions {
  const fail = (key: string, what: string): never => {
    throw new RangeError(`thresholds: ${key} must be ${what}`);
  };
  for (const k of durations) if (!(o[k] >= 0 && Number.isFinite(o[k]))) fail(k, 'a finite duration >= 0');
  if (!(o.newNormalMs > 0)) fail('newNormalMs', 'a duration > 0');
  if (!(o.gapMs > 0)) fail('gapMs', 'a duration > 0');
  for (const k of rates) if (!(o[k] > 0 && o[k] <= 1)) fail(k, 'in (0, 1]');
  for (const k of positives) if (!(o[k] > 0 && Number.isFinite(o[k]))) fail(k, 'a finite number > 0');
  for (const k of nonNegatives) if (!(o[k] >= 0 && Number.isFinite(o[k]))) fail(k, 'a finite number >= 0');
  if (o.seasonality !== undefined) {
    const { periodMs, buckets } = o.seasonality;
    if (!(periodMs > 0 && Number.isFinite(periodMs))) fail('seasonality.periodMs', 'a finite number > 0');
    if (!Number.isInteger(buckets) || buckets < 1) fail('seasonality.buckets', 'an integer >= 1');
  }
  return o;
}
