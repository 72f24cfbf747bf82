/**
 * When the processor writes a point (pure). Every sample still feeds the
 * rollups, detectors and trends; what reaches InfluxDB is what a chart or a
 * report reads: one rollup per averaging window, a band when it moved or the
 * value left it, a trend per window or when it starts or stops reaching its
 * limit within the horizon. InfluxDB's
 * cost is per line and field, so this is most of what a fleet costs it.
 */
import type { ThresholdResult } from './thresholds/index.js';
import type { Trend } from './predict.js';

/** A band edge that moved by more than this share of the band's width since the last point is written. */
export const BAND_MOVE = 0.1;

/**
 * The band's last written point, flat: [lower, upper, score]. Written once
 * the detector has learned (warmupSamples), then again at the first sample
 * of each averaging window, when an edge moved by more than
 * BAND_MOVE of the width, on an anomaly's onset, and on every sample outside
 * the band and the first one back (an excursion is drawn in full).
 * Returns the point to remember as the last written, or undefined when none is due.
 */
export function bandPoint(last: number[] | undefined, r: ThresholdResult, newWindow: boolean): number[] | undefined {
  // A detector still learning draws no band: it is not yet the one alerts are judged by.
  if (!r.warm) return undefined;
  const next = [r.lower, r.upper, r.score];
  if (!last || last.length !== 3 || newWindow || r.anomaly || r.score > 0 || last[2] > 0) return next;
  const move = BAND_MOVE * Math.abs(last[1] - last[0]);
  if (Math.abs(r.lower - last[0]) > move || Math.abs(r.upper - last[1]) > move) return next;
  return undefined;
}

/** A trend point is written at the first sample of each averaging window and when `soon` (the limit within the horizon) changed. */
export function trendPoint(last: boolean | undefined, soon: boolean, newWindow: boolean): boolean {
  return newWindow || last !== soon;
}

/** The trend reaches the limit within the horizon: what the exhaustion rule fires on. */
export const reachesSoon = (tr: Trend, horizonMs: number) => tr.eta !== undefined && tr.eta * 1000 <= horizonMs;
