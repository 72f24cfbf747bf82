/**
 * The detector's options from the processor's configuration (`processor.thresholds`),
 * so the defaults shipped are the configuration's defaults, and what
 * `npm run eval:thresholds` scores is what the processor runs.
 */
import { DEFAULTS, type Config } from '../../common/config.js';
import type { ThresholdOptions } from './options.js';

export type ThresholdConfig = Config['processor']['thresholds'];

/**
 * The estimator's statistics: not configuration (they describe how the level and
 * scale are estimated, not what should alarm), but knobs all the same, so
 * `eval:thresholds --cv` searches them along with the configured ones.
 */
export const STATISTICS = {
  levelRate: 0.03,
  seasonalRate: 0.02,
  huberClip: 1.5,
  minScale: 1e-9,
  minSpreadScale: 0.3,
} as const satisfies Partial<ThresholdOptions>;

/**
 * The detector's options for one metric (its `minChange`), or for a series of no
 * known metric (no least width).
 */
export function thresholdOptions(th: ThresholdConfig, metric?: string): ThresholdOptions {
  const minChange = th.minChange as Record<string, number>;
  return {
    ...STATISTICS,
    minWidth: (metric !== undefined && minChange[metric]) || 0,
    warmupMs: th.warmup,
    forMs: th.for,
    refractoryMs: th.refractory,
    newNormalMs: th.newNormal,
    memoryMs: th.memory,
    gapMs: th.gap,
    bandWidth: th.bandWidth,
    repeatMargin: th.repeatMargin,
    seasonality: th.seasonality.period > 0 ? { periodMs: th.seasonality.period, buckets: th.seasonality.buckets } : undefined,
  };
}

/** What the processor runs when nothing is configured, for a series of no known metric. */
export const DEFAULT_THRESHOLD_OPTIONS: ThresholdOptions = thresholdOptions(DEFAULTS.processor.thresholds);
