/**
 * TCP state of a container between samples (pure): the counts the collector
 * read and the SYN_RECV detector. A surge is judged against the band the
 * dynamic threshold learned for that container (docs/thresholds.md), above a
 * floor so that a quiet container going from 0 to 3 raises nothing.
 */
import type { ContainerSample } from '../common/queue/payload.js';
import { DynamicThreshold, type ThresholdOptions } from './thresholds/index.js';
import { gauge } from './metrics.js';
import type { ContainerState, TcpState } from './state.js';

export function updateTcp(c: ContainerState, x: ContainerSample['tcp'], t: number, min: number, opts: Partial<ThresholdOptions>): TcpState | null {
  const prev = c.tcp ?? null;
  const syn = gauge(x?.synRecv);
  if (!x) {
    // Stopped or not read: no verdict, but the learned band is kept for when it runs again.
    if (prev) c.tcp = { ...prev, closeWait: null, timeWait: null, synRecv: null, portRange: null, an: false };
    return c.tcp ?? null;
  }
  const next: TcpState = {
    closeWait: gauge(x.closeWait) ?? null,
    timeWait: gauge(x.timeWait) ?? null,
    synRecv: syn ?? null,
    portRange: gauge(x.portRange) ?? null,
    th: prev?.th,
    an: false,
    upper: prev?.upper ?? null,
  };
  if (syn !== undefined) {
    const det = new DynamicThreshold(opts, prev?.th);
    const r = det.update(t, syn);
    next.th = det.toJSON();
    next.upper = r.upper;
    const above = syn > r.upper && syn >= min;
    next.an = above && (r.anomaly || !!prev?.an);
  }
  c.tcp = next;
  return next;
}
