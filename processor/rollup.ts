/**
 * Rolled average and delta of one metric (pure). The window holds the samples
 * in (t - averageWindow, t]; the delta is how much that average moved over
 * deltaWindow: avg(t) - avg(t - deltaWindow), using the stored average closest
 * to t - deltaWindow, less than half a deltaWindow off (none after a gap).
 */
import type { MetricState } from './state.js';

export interface Rollup {
  value: number;
  avg: number;
  min: number;
  max: number;
  count: number;
  delta: number | undefined;
}

export interface RollupWindows {
  averageWindow: number;
  deltaWindow: number;
}

export function newMetricState(): MetricState {
  return { w: [], h: [] };
}

/** Drops flat [t, ...] entries of `stride` numbers whose t is <= cutoff (they are in time order). */
function dropBefore(a: number[], stride: number, cutoff: number): void {
  let i = 0;
  while (i < a.length && a[i] <= cutoff) i += stride;
  if (i > 0) a.splice(0, i);
}

/** Stored values keep 9 significant digits: far below measurement error, half the state's size. */
export const stored = (v: number) => (v === 0 || !Number.isFinite(v) ? v : Number(v.toPrecision(9)));

/** Adds the sample at t (later than any before) and returns the rollup over the window. */
export function addSample(m: MetricState, t: number, value: number, win: RollupWindows): Rollup {
  m.w.push(t, stored(value));
  dropBefore(m.w, 2, t - win.averageWindow);
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  const n = m.w.length / 2;
  for (let i = 1; i < m.w.length; i += 2) {
    const v = m.w[i];
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const avg = sum / n;
  const target = t - win.deltaWindow;
  const tolerance = win.deltaWindow / 2;
  let delta: number | undefined;
  let best = Infinity;
  for (let i = 0; i < m.h.length; i += 2) {
    const d = Math.abs(m.h[i] - target);
    if (d < tolerance && d < best) {
      best = d;
      delta = avg - m.h[i + 1];
    }
  }
  m.h.push(t, stored(avg));
  dropBefore(m.h, 2, t - win.deltaWindow - tolerance);
  return { value, avg, min, max, count: n, delta };
}
