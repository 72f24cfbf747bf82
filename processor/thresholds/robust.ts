/**
 * Small robust-statistics steps shared by the level, scale and seasonal estimators.
 */

/** `x` limited to [-limit, limit]: one wild sample moves an estimate by a bounded amount. */
export function huber(x: number, limit: number): number {
  return x > limit ? limit : x < -limit ? -limit : x;
}

/**
 * Learning rate for the `count`-th sample: a plain running mean at first (fast,
 * unbiased start), then an exponential average with the configured rate.
 */
export function learningRate(rate: number, count: number): number {
  const mean = 1 / count;
  return mean > rate ? mean : rate;
}
