/**
 * The stored rollup (pure): mean, min and max of a metric over each averaging
 * window. A window's point is due at the first sample after it closed, stamped with its
 * start. Each series' windows start at an offset of their own within the
 * window length (from a hash of host and container name), so a fleet's rollup
 * points spread over the window instead of all landing in the cycle after the
 * hour's :00, :05, ...: with collectors on aligned clocks that cycle would
 * otherwise carry ten times the usual points.
 */
import { fnv1a } from '../common/queue/shard.js';

/** The open window, flat: [start, sum, min, max, count]. */
export type OpenWindow = number[];

export interface ClosedWindow {
  start: number;
  mean: number;
  min: number;
  max: number;
  count: number;
}

/** Where the windows of a container's series start, within the window length. */
export const windowPhase = (host: string, container: string, windowMs: number) => fnv1a(`${host}/${container}`) % windowMs;

/** Start of the window holding t. */
export const windowStart = (t: number, windowMs: number, phase: number) => Math.floor((t - phase) / windowMs) * windowMs + phase;

/** The window's figures so far. */
export function summarize(w: OpenWindow): ClosedWindow {
  const [start, sum, min, max, count] = w;
  return { start, mean: sum / count, min, max, count };
}

/**
 * Adds the sample at t (samples come in time order) to the open window `w`
 * (undefined for a new series). Returns the window now open and the one the
 * sample closed, if it closed one.
 */
export function addToWindow(w: OpenWindow | undefined, t: number, v: number, windowMs: number, phase: number): { open: OpenWindow; closed?: ClosedWindow } {
  const start = windowStart(t, windowMs, phase);
  if (w && w[0] === start) {
    w[1] += v;
    if (v < w[2]) w[2] = v;
    if (v > w[3]) w[3] = v;
    w[4]++;
    return { open: w };
  }
  const open = [start, v, v, v, 1];
  // A sample before the open window (clocks gone back) starts afresh rather than mixing windows.
  return w && start > w[0] ? { open, closed: summarize(w) } : { open };
}
