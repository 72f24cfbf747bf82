/** The processor's start-up summary (pure; common/summary.ts). */
import type { Config } from '../common/config.js';
import { summary, influxTarget, redisTarget, durationText, onOff, type Summary } from '../common/summary.js';

const FAULTS = {
  died: 'died', oom: 'oom', restartLoop: 'restart_loop', unhealthy: 'unhealthy', anomaly: 'anomaly', exhaustion: 'exhaustion', logErrors: 'log_errors',
} as const;

export function processorSummary(cfg: Config): Summary {
  const p = cfg.processor;
  const faults = (Object.keys(FAULTS) as Array<keyof typeof FAULTS>).filter((k) => p.faults[k].enabled).map((k) => FAULTS[k]);
  const thresholds = p.thresholds.enabled ? p.thresholds.metrics : [];
  const rollupRp = cfg.influx.rollupRetentionPolicy && cfg.influx.rollupRetentionPolicy !== cfg.influx.retentionPolicy ? cfg.influx.rollupRetentionPolicy : '';
  const warnings: string[] = [];
  if (!cfg.queue.enabled) warnings.push('queue.enabled is false: collectors with this configuration publish nothing for the processor');
  return summary('processor', [
    `taking jobs from ${redisTarget(cfg)} (${cfg.queue.shards} shards, ${p.concurrency} jobs at once per shard)`,
    `points to ${influxTarget(cfg)}${rollupRp ? `, rollup history in retention policy ${rollupRp}` : ''}`,
    `rolled averages over ${durationText(p.averageWindow)}, deltas over ${durationText(p.deltaWindow)}`,
    `static rules: ${p.rules.length ? p.rules.map((r) => r.name).join(', ') : 'none'}`,
    `faults: ${faults.length ? faults.join(', ') : 'none'}`,
    `dynamic thresholds on ${thresholds.length ? thresholds.join(', ') : 'nothing'}; predictions ${onOff(p.prediction.enabled)}; snapshots ${onOff(p.snapshot.enabled)}`,
    'alerts to the alerter queue',
  ], {
    queue: redisTarget(cfg),
    shards: cfg.queue.shards,
    concurrency: p.concurrency,
    influx: influxTarget(cfg),
    rules: p.rules.map((r) => r.name),
    faults,
    thresholds,
    prediction: p.prediction.enabled,
    snapshots: p.snapshot.enabled,
  }, warnings);
}
