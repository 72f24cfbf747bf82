/**
 * The per-container metric values of one sample (pure). Gauges are taken as
 * sent when finite and not negative; byte rates come from the cumulative
 * counters of this and the previous sample, and are left out when a counter
 * went backwards (reset), the container restarted in between, or the samples
 * are further apart than maxGap: no rate beats a wrong one.
 */
import { PROCESSOR_METRICS as M } from '../common/schema.js';
import type { ContainerSample } from '../common/queue/payload.js';
import type { Counters } from './state.js';

export type MetricValues = Partial<Record<string, number>>;

/** A finite, non-negative number, else undefined. */
export const gauge = (v: number | null | undefined): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;

/** Bytes per second between two counter readings; undefined on reset, gap or missing data. */
export function counterRate(prev: number | null, cur: number | null | undefined, dtMs: number): number | undefined {
  const c = gauge(cur);
  if (prev === null || c === undefined || !(dtMs > 0)) return undefined;
  if (c < prev) return undefined;
  return ((c - prev) * 1000) / dtMs;
}

export function currentCounters(s: ContainerSample, t: number): Counters {
  const n = (v: number | null | undefined) => gauge(v) ?? null;
  return {
    t,
    startedAt: gauge(s.startedAt) ?? 0,
    rx: n(s.net?.rx),
    tx: n(s.net?.tx),
    br: n(s.blkio?.read),
    bw: n(s.blkio?.write),
  };
}

/** Metric values of a sample taken at t, given the previous sample's counters. */
export function metricValues(s: ContainerSample, t: number, prev: Counters | null, maxGap: number): MetricValues {
  const out: MetricValues = {};
  const cpu = gauge(s.cpu?.percent);
  if (cpu !== undefined) out[M.cpuPercent] = cpu;
  const usage = gauge(s.mem?.usage);
  if (usage !== undefined) out[M.memUsage] = usage;
  let memPct = gauge(s.mem?.percent);
  const limit = gauge(s.mem?.limit);
  if (memPct === undefined && usage !== undefined && limit) memPct = (usage / limit) * 100;
  if (memPct !== undefined) out[M.memPercent] = memPct;
  const pids = gauge(s.pids?.current);
  if (pids !== undefined) out[M.pids] = pids;
  const fs = gauge(s.fs?.usage);
  if (fs !== undefined) out[M.fsUsage] = fs;
  const startedAt = gauge(s.startedAt) ?? 0;
  if (prev && prev.startedAt === startedAt && t > prev.t && t - prev.t <= maxGap) {
    const dt = t - prev.t;
    const put = (name: string, v: number | undefined) => {
      if (v !== undefined) out[name] = v;
    };
    put(M.netRxRate, counterRate(prev.rx, s.net?.rx, dt));
    put(M.netTxRate, counterRate(prev.tx, s.net?.tx, dt));
    put(M.blkioReadRate, counterRate(prev.br, s.blkio?.read, dt));
    put(M.blkioWriteRate, counterRate(prev.bw, s.blkio?.write, dt));
  }
  return out;
}

/** The limit a metric runs against, for the trend estimate. */
export function limitOf(metric: string, s: ContainerSample): number | undefined {
  if (metric === M.memUsage) return gauge(s.mem?.limit) || undefined;
  if (metric === M.fsUsage) return gauge(s.fs?.limit) || undefined;
  return undefined;
}
