import { EventEmitter } from 'node:events';
import type Docker from 'dockerode';
import type { Config } from '../common/config.js';
import type { Logger } from '../common/log.js';
import { InfluxWriter } from '../common/influx/writer.js';
import { createDocker } from './docker.js';
import { Collector, IntervalScheduler, type CycleResult } from './collector.js';
import { DockerEventStream } from './events.js';
import { selectSource } from './sources/select.js';
import type { EngineInfo } from './points.js';

/** Waits until Docker answers, retrying with backoff; returns the engine's name and version. */
export async function engineInfo(docker: Docker, cfg: Config, log: Logger, signal?: AbortSignal): Promise<EngineInfo> {
  let delay = 500;
  let warned = false;
  for (;;) {
    try {
      const info = await docker.info();
      if (warned) log.info('Docker reachable');
      return { host: cfg.host || info.Name, serverVersion: info.ServerVersion };
    } catch (e) {
      if (!warned) log.warn({ error: (e as Error).message }, 'Docker unreachable; retrying');
      warned = true;
      if (signal?.aborted) throw e;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  }
}

export interface RunningCollector {
  collector: Collector;
  /** emits 'cycle' with each finished cycle's result */
  cycles: EventEmitter<{ cycle: [CycleResult] }>;
  writer: InfluxWriter;
  events: DockerEventStream;
  stop(): Promise<void>;
}

/** Starts the collector's metrics path: one cycle per interval until stopped. */
export async function startCollectorParts(cfg: Config, log: Logger): Promise<RunningCollector> {
  const docker = createDocker(cfg.docker);
  const writer = new InfluxWriter(cfg.influx, log.child({ part: 'influx' }));
  writer.ensureDatabase().catch((e) => log.error({ err: e }, 'could not create the InfluxDB database'));
  const engine = await engineInfo(docker, cfg, log);
  const source = selectSource(cfg, docker, log);
  const collector = new Collector(docker, source, writer, engine, cfg.collector, log);
  const events = new DockerEventStream(docker, log.child({ part: 'events' }), { type: ['container'] });
  collector.follow(events);
  events.start();
  const cycles = new EventEmitter<{ cycle: [CycleResult] }>();
  const scheduler = new IntervalScheduler(cfg.collector.interval, async (tick) => {
    const r = await collector.cycle(tick);
    if (r) cycles.emit('cycle', r);
    if (r) log.debug(r, 'cycle');
    if (r?.appeared.length) log.info({ containers: r.appeared }, 'containers appeared');
    if (r?.gone.length) log.info({ containers: r.gone }, 'containers gone');
  }, log);
  if (cfg.collector.enabled) scheduler.start();
  else log.info('container monitoring is off (collector.enabled: false)');
  return {
    collector,
    cycles,
    writer,
    events,
    async stop() {
      await scheduler.stop();
      events.stop();
      source.close();
      const lost = await writer.close();
      if (lost) log.warn({ lost }, 'points not written at shutdown');
    },
  };
}

export async function startCollector(cfg: Config, log: Logger) {
  const c = await startCollectorParts(cfg, log);
  return () => c.stop();
}
