/** The collector's start-up summary (pure; common/summary.ts). */
import type { Config } from '../common/config.js';
import { summary, influxTarget, redisTarget, dockerTarget, durationText, onOff, type Summary } from '../common/summary.js';

export interface CollectorFacts {
  host: string;
  serverVersion: string;
  containers: { all: number; running: number };
  /** where stats are read from: "cgroup files" or "the Docker API" */
  statsFrom: string;
}

export function collectorSummary(cfg: Config, f: CollectorFacts): Summary {
  const c = cfg.collector;
  const on = c.enabled;
  const parts = {
    events: on && c.events.enabled,
    processes: on && c.processes.enabled,
    disk: on && c.disk.enabled,
    images: on && c.images.enabled,
    logs: c.logs.enabled,
    network: on && c.network.enabled,
    posture: on && c.posture.enabled,
    faultCapture: on && c.capture.enabled,
    prometheus: on && c.prometheus.enabled,
  };
  const warnings: string[] = [];
  if (!on && !c.logs.enabled) warnings.push('collector.enabled and collector.logs.enabled are both false: this collector writes nothing');
  if (!cfg.queue.enabled) warnings.push('queue.enabled is false: the processor gets no samples, so no rollups and no alerts come from this host');
  return summary('collector', [
    `host ${f.host} (${dockerTarget(cfg, f.serverVersion)})`,
    on ? `watching ${f.containers.all} containers (${f.containers.running} running) every ${durationText(c.interval)}, stats from ${f.statsFrom}` : 'container monitoring off',
    `events ${onOff(parts.events)}, processes ${onOff(parts.processes)}, disk ${onOff(parts.disk)}, images ${onOff(parts.images)}, ` +
      `network ${onOff(parts.network)}, posture ${onOff(parts.posture)}, logs ${onOff(parts.logs)}, logs and inspect captured at faults ${onOff(parts.faultCapture)}, ` +
      (parts.prometheus ? `Prometheus exposition on http://${c.prometheus.host}:${c.prometheus.port}/metrics` : 'Prometheus exposition off'),
    `points to ${influxTarget(cfg)}`,
    cfg.queue.enabled ? `samples and events to the processor queue on ${redisTarget(cfg)} (${cfg.queue.shards} shards)` : 'processor queue off',
  ], {
    host: f.host,
    docker: dockerTarget(cfg, f.serverVersion),
    containers: f.containers,
    interval: durationText(c.interval),
    statsFrom: f.statsFrom,
    parts,
    influx: influxTarget(cfg),
    queue: cfg.queue.enabled ? redisTarget(cfg) : 'off',
  }, warnings);
}
