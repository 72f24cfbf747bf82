/**
 * Dynamic thresholds: a per-series learned baseline and band, for alerting on
 * container metrics without hand-set limits.
 */
export { DynamicThreshold, resolveOptions } from './detector.js';
export type { ThresholdResult } from './detector.js';
export { DEFAULT_THRESHOLD_OPTIONS, STATISTICS, thresholdOptions } from './defaults.js';
export type { ThresholdConfig } from './defaults.js';
export type { ThresholdOptions, SeasonalityOptions } from './options.js';
export type { ThresholdState } from './state.js';
