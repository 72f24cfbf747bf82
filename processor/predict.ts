/**
 * Trend of a metric towards its limit (pure): samples are averaged into
 * buckets over the prediction window, a Theil–Sen line (median of pairwise
 * slopes: robust to spikes and GC saw-teeth) is fitted through the bucket
 * means, and the time the line reaches the limit is the estimate.
 */

export interface TrendOptions {
  /** history fitted, ms */
  window: number;
  /** buckets over the window (pairs grow with its square) */
  buckets: number;
  /** samples needed before the trend is trusted */
  minSamples: number;
}

export interface Trend {
  /** units per second */
  slope: number;
  /** the line's value now */
  fitted: number;
  /** seconds until the line reaches the limit; undefined when it does not rise */
  eta: number | undefined;
  /** the line's value `horizon` ms from now */
  predicted: number;
}

/** Adds a sample to the flat [meanT, meanV, n, ...] buckets and drops those older than the window. */
export function addTrendSample(p: number[], t: number, v: number, o: TrendOptions): void {
  const width = o.window / o.buckets;
  const n = p.length;
  if (n >= 3 && Math.floor(p[n - 3] / width) === Math.floor(t / width)) {
    const c = p[n - 1] + 1;
    p[n - 3] += (t - p[n - 3]) / c;
    p[n - 2] += (v - p[n - 2]) / c;
    p[n - 1] = c;
  } else {
    p.push(t, v, 1);
  }
  let i = 0;
  while (i < p.length && p[i] <= t - o.window) i += 3;
  if (i > 0) p.splice(0, i);
}

/** Sorts `a` in place (a typed array sorts numerically, without a comparator call per pair). */
function median(a: Float64Array): number {
  a.sort();
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

/** Theil–Sen fit of the buckets; undefined with too little history (under half the window, or minSamples). */
export function fitTrend(p: number[], now: number, limit: number, horizonMs: number, o: TrendOptions): Trend | undefined {
  const k = p.length / 3;
  let samples = 0;
  for (let i = 2; i < p.length; i += 3) samples += p[i];
  // A sliding window is trusted once half of it is filled: over a few minutes a saw-tooth's rising
  // edge looks like a leak. A fit over a whole fixed period (window Infinity) needs three buckets.
  const minBuckets = Number.isFinite(o.window) ? Math.max(3, Math.ceil(o.buckets / 2)) : 3;
  if (k < minBuckets || samples < o.minSamples) return undefined;
  const pairs = new Float64Array((k * (k - 1)) / 2);
  let n = 0;
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      const dt = p[j * 3] - p[i * 3];
      if (dt > 0) pairs[n++] = (p[j * 3 + 1] - p[i * 3 + 1]) / dt;
    }
  }
  if (n === 0) return undefined;
  const perMs = median(pairs.subarray(0, n));
  const intercepts = new Float64Array(k);
  for (let i = 0; i < k; i++) intercepts[i] = p[i * 3 + 1] - perMs * (p[i * 3] - now);
  const fitted = median(intercepts);
  const slope = perMs * 1000;
  let eta: number | undefined;
  if (fitted >= limit) eta = 0;
  else if (perMs > 0) eta = (limit - fitted) / slope;
  return { slope, fitted, eta, predicted: fitted + perMs * horizonMs };
}
