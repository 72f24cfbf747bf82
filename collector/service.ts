import { EventEmitter } from 'node:events';
import type { Config } from '../common/config.js';
import type { Logger } from '../common/log.js';
import { InfluxWriter } from '../common/influx/writer.js';
import { setupRetention } from '../common/influx/retention.js';
import { startHealthServer, freshness } from '../common/health.js';
import { createDocker, engineInfo } from '../common/docker.js';
import { Collector, type CycleResult, type SamplesSink } from './collector.js';
import { ContainerRegistry } from './registry.js';
import { IntervalScheduler } from '../common/scheduler.js';
import { DockerEventStream } from './events.js';
import { startQueueFeed } from './queue-feed.js';
import { startParts, eventFilters, eventResume, type CollectorParts } from './parts.js';
import { selectSource } from './sources/select.js';
import { ApiStatsSource } from './sources/api.js';
import { collectorSummary } from './summary.js';
import { FaultCapturer } from './capture.js';
import { logSummary } from '../common/summary.js';
import { ContainerSettingsWatch } from './settings-watch.js';
import { LatestSamples, startExpositionServer, type ExpositionServer } from './prometheus/server.js';

export interface RunningCollector {
  collector: Collector;
  /** emits 'cycle' with each finished cycle's result */
  cycles: EventEmitter<{ cycle: [CycleResult] }>;
  writer: InfluxWriter;
  events: DockerEventStream;
  /** events, processes, disk, images, logs, network, posture: those enabled */
  parts: CollectorParts;
  /** GET /metrics, when collector.prometheus.enabled */
  exposition: ExpositionServer | undefined;
  stop(): Promise<void>;
}

/** Starts the collector's metrics path: one cycle per interval until stopped. */
export async function startCollectorParts(cfg: Config, log: Logger): Promise<RunningCollector> {
  const docker = createDocker(cfg.docker);
  const writer = new InfluxWriter(cfg.influx, log.child({ part: 'influx' }));
  writer.ensureDatabase().catch((e) => log.error({ err: e }, 'could not create the InfluxDB database'));
  const retentionAbort = new AbortController();
  if (cfg.influx.retention.manage) void setupRetention(cfg.influx, log.child({ part: 'retention' }), retentionAbort.signal);
  const engine = await engineInfo(docker, cfg, log);
  const source = selectSource(cfg, docker, log);
  const registry = new ContainerRegistry(docker, { inspectEvery: cfg.collector.inspectEvery, listEvery: cfg.collector.listEvery });
  // Resume after the last event written before a restart, so none is lost or written twice.
  const resume = await eventResume(cfg, writer, engine, log);
  const events = new DockerEventStream(docker, log.child({ part: 'events' }), eventFilters(cfg), resume?.since);
  if (resume) events.seenAtResume(resume.keys);
  const parts = await startParts({ cfg, docker, writer, engine, events, registry, log });
  // The processor's feed: samples and events to the queue (queue.enabled), with the filesystem usage
  // the disk part measured (exhaustion prediction), the log lines matching each pattern (log error rate),
  // the TCP counts of the network part and the posture (their rules).
  const { disk, logs, network, posture } = parts;
  // Logs, inspect and processes read at fault events, whether or not log collection is on.
  const capturer = cfg.collector.capture.enabled ? new FaultCapturer(docker, cfg.collector.capture) : undefined;
  // Settings from shipwatch.* labels go with the samples; wrong labels are reported once.
  const settings = new ContainerSettingsWatch(writer, engine.host, log.child({ part: 'labels' }));
  const feed = cfg.queue.enabled
    ? startQueueFeed(cfg, engine, events, log.child({ part: 'queue' }), {
      fsOf: disk && ((id) => disk.fsOf(id)),
      takeLogMatches: logs && (() => logs.takeMatches()),
      tcpOf: network && ((id) => network.tcpOf(id)),
      postureOf: posture && ((id) => posture.postureOf(id)),
      capture: capturer && ((id, trigger) => capturer.capture(id, trigger)),
      settingsOf: (meta) => settings.of(meta),
    })
    : undefined;
  // Prometheus exposition of each cycle's samples (collector.prometheus; docs/schema.md).
  const latest = cfg.collector.prometheus.enabled
    ? new LatestSamples(cfg.collector.labelTags, (id) => parts.processes?.countOf(id))
    : undefined;
  const sinks: SamplesSink[] = [];
  if (feed) sinks.push(feed);
  if (latest) sinks.push(latest);
  const samples: SamplesSink | undefined = sinks.length ? { cycle: (c) => sinks.forEach((x) => x.cycle(c)) } : undefined;
  const collector = new Collector({ registry, source, sink: writer, samples, engine, opts: cfg.collector, log });
  collector.follow(events);
  latest?.follow(events);
  // For the start-up summary; before the event stream starts, so that nothing awaited after it delays a listener.
  const list = await docker.listContainers({ all: true }).catch(() => []);
  events.start();
  const cycles = new EventEmitter<{ cycle: [CycleResult] }>();
  // Healthy while cycles keep finishing (a few intervals of slack for slow cycles).
  const alive = freshness(3 * cfg.collector.interval + 60_000);
  cycles.on('cycle', () => alive.mark());
  const exposition = latest && (await startExpositionServer(cfg.collector.prometheus, latest, log.child({ part: 'prometheus' })));
  const health = await startHealthServer(cfg.health, 'collector', () => (cfg.collector.enabled ? alive.check() : { ok: true }), log);
  let lastCycle: number | undefined;
  let cycleCount = 0;
  const scheduler = new IntervalScheduler(cfg.collector.interval, async (tick) => {
    const r = await collector.cycle(tick);
    const all = registry.all();
    for (const m of all) settings.of(m, tick);
    settings.retain(new Set(all.map((m) => m.id)));
    if (!r) return;
    lastCycle = r.time;
    cycleCount++;
    cycles.emit('cycle', r);
    log.debug(r, 'cycle');
    // The first cycle finds every container: the start-up summary counted them already.
    if (r.appeared.length) (cycleCount === 1 ? log.debug : log.info).call(log, { containers: r.appeared }, 'containers appeared');
    if (r.gone.length) log.info({ containers: r.gone }, 'containers gone');
  }, log);
  if (cfg.collector.enabled) scheduler.start();
  logSummary(log, collectorSummary(cfg, {
    host: engine.host,
    serverVersion: engine.serverVersion,
    containers: { all: list.length, running: list.filter((c) => c.State === 'running').length },
    statsFrom: source instanceof ApiStatsSource ? 'the Docker API' : 'cgroup files',
  }));
  return {
    collector,
    cycles,
    writer,
    events,
    parts,
    exposition,
    async stop() {
      retentionAbort.abort();
      await health?.close();
      await exposition?.close();
      await scheduler.stop();
      await feed?.stop();
      await parts.stop();
      events.stop();
      source.close();
      const lost = await writer.close();
      if (lost) log.warn({ lost }, 'points not written at shutdown');
      // What a stop left behind, for the operator (and the test that stops it).
      log.info({ cycles: cycleCount, lastCycle, written: writer.counters.written, lost }, 'collector flushed');
    },
  };
}

export async function startCollector(cfg: Config, log: Logger) {
  const c = await startCollectorParts(cfg, log);
  return () => c.stop();
}
