/**
 * Options of the dynamic-threshold detector, their defaults and validation.
 * Counts and rates are per sample: scale them with the series' resolution
 * (the defaults were chosen on 5-minute and hourly series, see docs/thresholds.md).
 */

export interface SeasonalityOptions {
  /** length of one cycle, e.g. 86_400_000 for a daily profile */
  periodMs: number;
  /** slots per cycle, e.g. 24 for hour-of-day (slots are aligned to UTC) */
  buckets: number;
}

export interface ThresholdOptions {
  /** no alarm before this many samples have been learned */
  warmupSamples: number;
  /** samples outside the band in a row before an anomaly is raised */
  consecutive: number;
  /** optional seasonal profile, e.g. { periodMs: 86_400_000, buckets: 24 }; alarms wait for one full cycle */
  seasonality?: SeasonalityOptions | undefined;
  /** least half-width of the band, in robust scale units (mean absolute deviation of residuals) */
  bandWidth: number;
  /** each side of the band also clears this quantile of that side's residuals... */
  tailQuantile: number;
  /** ...times this margin, so heavy tails that are usual for the series do not alarm */
  tailMargin: number;
  /** step, in log units, of the tail quantile trackers */
  tailRate: number;
  /** adaptation rate of the level */
  levelRate: number;
  /** adaptation rate of the scale */
  scaleRate: number;
  /** adaptation rate of a seasonal slot, per sample falling in it */
  seasonalRate: number;
  /** residuals are clipped to this many scales before the level, scale and profile learn them */
  huberClip: number;
  /** smallest scale, absolute */
  minScale: number;
  /** smallest scale, as a fraction of the baseline's magnitude: flat series do not alarm on rounding noise */
  minRelativeScale: number;
  /** smallest scale, as a fraction of the long-run unclipped mean absolute residual: mostly-zero spiky series */
  minSpreadScale: number;
  /** an excursion no larger than `repeatMargin` times the last alarmed one on the same side raises no new onset... */
  repeatMargin: number;
  /** ...while that memory, halving every this many samples, lasts; 0 turns it off */
  repeatHalfLife: number;
  /** samples after an onset during which no new onset is raised */
  refractorySamples: number;
  /** a run of this many outside samples on one side is taken as the new normal (level re-baselined) */
  shiftSamples: number;
  /** a time step this many times the usual spacing is a gap */
  gapFactor: number;
  /** samples after a gap during which no alarm is raised */
  gapRewarmSamples: number;
}

export const DEFAULT_THRESHOLD_OPTIONS: ThresholdOptions = {
  warmupSamples: 100,
  consecutive: 1,
  seasonality: undefined,
  bandWidth: 8,
  tailQuantile: 0.995,
  tailMargin: 1.5,
  tailRate: 0.03,
  levelRate: 0.01,
  scaleRate: 0.01,
  seasonalRate: 0.05,
  huberClip: 2,
  minScale: 1e-9,
  minRelativeScale: 0.001,
  minSpreadScale: 0.1,
  repeatMargin: 1.1,
  repeatHalfLife: 8000,
  refractorySamples: 36,
  shiftSamples: 30,
  gapFactor: 10,
  gapRewarmSamples: 12,
};

const positiveInts = ['warmupSamples', 'consecutive', 'shiftSamples'] as const;
const nonNegativeInts = ['refractorySamples', 'gapRewarmSamples'] as const;
const rates = ['levelRate', 'scaleRate', 'seasonalRate', 'tailRate'] as const;
const positives = ['bandWidth', 'tailMargin', 'huberClip', 'repeatMargin', 'gapFactor'] as const;
const nonNegatives = ['minScale', 'minRelativeScale', 'minSpreadScale', 'repeatHalfLife'] as const;

/** Defaults overlaid with `opts`; throws a RangeError naming the first unusable option. */
export function resolveOptions(opts: Partial<ThresholdOptions> = {}): ThresholdOptions {
  const o: ThresholdOptions = { ...DEFAULT_THRESHOLD_OPTIONS };
  for (const [key, value] of Object.entries(opts)) {
    // an undefined tuning knob keeps its default; an undefined or null seasonality means none
    if (key === 'seasonality') o.seasonality = (value as SeasonalityOptions | null | undefined) ?? undefined;
    else if (value !== undefined) (o as unknown as Record<string, unknown>)[key] = value;
  }
  const fail = (key: string, what: string): never => {
    throw new RangeError(`thresholds: ${key} must be ${what}`);
  };
  for (const k of positiveInts) if (!Number.isInteger(o[k]) || o[k] < 1) fail(k, 'an integer >= 1');
  for (const k of nonNegativeInts) if (!Number.isInteger(o[k]) || o[k] < 0) fail(k, 'an integer >= 0');
  for (const k of rates) if (!(o[k] > 0 && o[k] <= 1)) fail(k, 'in (0, 1]');
  for (const k of positives) if (!(o[k] > 0 && Number.isFinite(o[k]))) fail(k, 'a finite number > 0');
  for (const k of nonNegatives) if (!(o[k] >= 0 && Number.isFinite(o[k]))) fail(k, 'a finite number >= 0');
  if (!(o.tailQuantile > 0 && o.tailQuantile < 1)) fail('tailQuantile', 'in (0, 1)');
  if (o.seasonality !== undefined) {
    const { periodMs, buckets } = o.seasonality;
    if (!(periodMs > 0 && Number.isFinite(periodMs))) fail('seasonality.periodMs', 'a finite number > 0');
    if (!Number.isInteger(buckets) || buckets < 1) fail('seasonality.buckets', 'an integer >= 1');
  }
  return o;
}
