/**
 * The collector's parts beside the metrics cycle: Docker events, processes,
 * disk usage and mounts, images, container logs, network (TCP states and the
 * service map), security posture. Each starts only when enabled and has its
 * own schedule, so none of them delays the metrics cycle.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import type { Config } from '../common/config.js';
import type { Logger } from '../common/log.js';
import type { InfluxWriter } from '../common/influx/writer.js';
import type { InfluxQL } from '../common/influx/query.js';
import type { ContainerRegistry } from './registry.js';
import { IntervalScheduler } from '../common/scheduler.js';
import { withEngineAliases, type DockerEventStream } from './events.js';
import type { EngineInfo } from '../common/docker.js';
import { EventRecorder } from './eventrecorder.js';
import { REGISTRY_ACTIONS, NETWORK_ACTIONS, actionName } from './eventlines.js';
import { loadEventResume, loadLogResume, type EventResume, type LogResume } from './resume.js';
import { detectCgroup } from './sources/cgroup.js';
import { ProcessCollector } from './processes/collector.js';
import { ProcProcessSource } from './processes/procsource.js';
import { ApiProcessSource, FallbackProcessSource } from './processes/apisource.js';
import type { ProcessSource } from './processes/source.js';
import { DiskCollector } from './disk/collector.js';
import { ImageCollector } from './images/collector.js';
import { LogCollector } from './logs/collector.js';
import { NetworkCollector } from './network/collector.js';
import { PostureCollector } from './posture/collector.js';
import { engineSecurity, type EngineSecurity } from './posture/checks.js';

const IMAGE_EVENT_ACTIONS = ['pull', 'tag', 'untag', 'delete', 'import', 'load'];

const enabled = (cfg: Config) => ({
  events: cfg.collector.enabled && cfg.collector.events.enabled,
  processes: cfg.collector.enabled && cfg.collector.processes.enabled,
  disk: cfg.collector.enabled && cfg.collector.disk.enabled,
  images: cfg.collector.enabled && cfg.collector.images.enabled,
  logs: cfg.collector.logs.enabled,
  // A remote engine's processes are not in this host's /proc.
  network: cfg.collector.enabled && cfg.collector.network.enabled && !cfg.docker.url,
  posture: cfg.collector.enabled && cfg.collector.posture.enabled,
});

/**
 * What the shared event stream asks Docker for: the actions the registry needs,
 * plus those written and those the image list reacts to. Frequent actions
 * nobody uses (top, exec_*, attach, resize) are not sent at all.
 */
export function eventFilters(cfg: Config): Record<string, string[]> {
  const on = enabled(cfg);
  const actions = new Set<string>([...REGISTRY_ACTIONS, ...NETWORK_ACTIONS]);
  // A container joining or leaving a network changes its addresses: it is re-inspected.
  const types = new Set(['container', 'network']);
  if (on.events) {
    for (const a of cfg.collector.events.actions) actions.add(actionName(a));
    types.add('image');
  }
  if (on.images) {
    for (const a of IMAGE_EVENT_ACTIONS) actions.add(a);
    types.add('image');
  }
  return { type: [...types], event: withEngineAliases(actions) };
}

async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)));
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** What this host wrote last before a restart, read once InfluxDB answers; throws when it does not within 15 s. */
async function lastWritten<T>(writer: InfluxWriter, load: (q: InfluxQL) => Promise<T>): Promise<T> {
  const r = await within((async () => {
    await writer.ready();
    return load(writer.query);
  })(), 15_000);
  if (r === 'timeout') throw new Error('InfluxDB did not answer within 15 s');
  return r;
}

/**
 * Where the event stream resumes: the last event this host wrote before a
 * restart. InfluxDB unreachable for long → start from now (and say so).
 */
export async function eventResume(cfg: Config, writer: InfluxWriter, engine: EngineInfo, log: Logger): Promise<EventResume | undefined> {
  if (!enabled(cfg).events) return undefined;
  try {
    const r = await lastWritten(writer, (q) => loadEventResume(q, cfg.influx.retentionPolicy, engine.host));
    if (r) log.info({ since: r.since.toString(), atResume: r.keys.length }, 'Docker events resume after the last one written');
    return r;
  } catch (e) {
    log.warn({ error: (e as Error).message }, 'last written event unknown; events from now on');
    return undefined;
  }
}

async function logResume(cfg: Config, writer: InfluxWriter, engine: EngineInfo, log: Logger): Promise<LogResume> {
  try {
    return await lastWritten(writer, (q) => loadLogResume(q, cfg.influx.retentionPolicy, engine.host));
  } catch (e) {
    log.warn({ error: (e as Error).message }, 'last written log lines unknown; logs read from collector.logs.backfill ago');
    return new Map();
  }
}

/** /proc where this host's cgroups are visible, docker top otherwise (and for containers /proc cannot see). */
export function selectProcessSource(cfg: Config, docker: Docker, log: Logger): ProcessSource {
  const api = new ApiProcessSource(docker, cfg.docker.timeout);
  const choice = cfg.collector.processes.source;
  if (choice === 'api') return api;
  const version = cfg.docker.url ? undefined : detectCgroup(cfg.collector.cgroupRoot);
  if (version !== undefined) {
    try {
      return new FallbackProcessSource(new ProcProcessSource(version, cfg.collector), api);
    } catch (e) {
      if (choice === 'proc') throw new Error(`collector.processes.source: /proc not readable under ${cfg.collector.procRoot}: ${(e as Error).message}`);
    }
  } else if (choice === 'proc') {
    throw new Error(`collector.processes.source: cgroup files not readable under ${cfg.collector.cgroupRoot}`);
  }
  log.info('process lists through the Docker API (docker top)');
  return api;
}

/** The engine's AppArmor and SELinux (some posture checks only apply where they run); neither when Docker does not say. */
async function engineSecurityOf(docker: Docker, log: Logger): Promise<EngineSecurity> {
  try {
    const info = (await docker.info()) as { SecurityOptions?: string[] };
    return engineSecurity(info.SecurityOptions);
  } catch (e) {
    log.warn({ error: (e as Error).message }, 'engine security options unknown; AppArmor and SELinux checks left out');
    return engineSecurity([]);
  }
}

export interface CollectorParts {
  recorder?: EventRecorder;
  processes?: ProcessCollector;
  disk?: DiskCollector;
  images?: ImageCollector;
  logs?: LogCollector;
  network?: NetworkCollector;
  posture?: PostureCollector;
  stop(): Promise<void>;
}

export interface PartsContext {
  cfg: Config;
  docker: Docker;
  writer: InfluxWriter;
  engine: EngineInfo;
  events: DockerEventStream;
  /** the containers the metrics cycle knows: the parts tag their points from it */
  registry: ContainerRegistry;
  log: Logger;
}

/**
 * Starts the enabled parts. Event listeners are attached here, so call it
 * before events.start() to miss nothing.
 */
export async function startParts(ctx: PartsContext): Promise<CollectorParts> {
  const { cfg, docker, writer, engine, events, registry, log } = ctx;
  const on = enabled(cfg);
  const labelTags = cfg.collector.labelTags;
  const known = (id: string) => registry.get(id);
  const parts: CollectorParts = { stop: async () => {} };
  const schedulers: IntervalScheduler[] = [];
  const stoppers: Array<() => Promise<void>> = [];

  if (on.events) {
    const recorder = new EventRecorder(writer, engine, { actions: cfg.collector.events.actions, labelTags }, log.child({ part: 'events' }));
    recorder.follow(events);
    parts.recorder = recorder;
    stoppers.push(async () => {
      recorder.unfollow(events);
      await recorder.idle();
    });
  }

  if (on.processes) {
    const plog = log.child({ part: 'processes' });
    // Polled no more often than the metrics cycle, the running containers come from its registry (which
    // events keep current): no list call per poll. Polled more often, Docker is asked each time.
    const running = cfg.collector.processes.interval >= cfg.collector.interval
      ? () => registry.all().filter((c) => c.state === 'running')
      : undefined;
    const processes = new ProcessCollector(docker, selectProcessSource(cfg, docker, plog), writer, engine, { max: cfg.collector.processes.max, labelTags, known, running }, plog);
    parts.processes = processes;
    schedulers.push(new IntervalScheduler(cfg.collector.processes.interval, (t) => processes.poll(t), plog));
  }

  if (on.disk) {
    const dlog = log.child({ part: 'disk' });
    // /system/df may take long on a big host: more time than other calls, never more than the interval.
    const timeout = Math.min(cfg.collector.disk.interval, Math.max(cfg.docker.timeout, 120_000));
    const disk = new DiskCollector(docker, writer, engine, { labelTags, known, timeout }, dlog);
    parts.disk = disk;
    schedulers.push(new IntervalScheduler(cfg.collector.disk.interval, (t) => disk.poll(t), dlog));
    void disk.poll(Date.now());
  }

  if (on.images) {
    const ilog = log.child({ part: 'images' });
    const images = new ImageCollector(docker, writer, engine, {}, ilog);
    images.follow(events);
    parts.images = images;
    schedulers.push(new IntervalScheduler(cfg.collector.images.interval, (t) => images.refresh(t), ilog));
    stoppers.push(async () => {
      images.unfollow(events);
      await images.stop();
    });
    void images.refresh(Date.now());
  }

  if (on.logs) {
    const llog = log.child({ part: 'logs' });
    const resume = await logResume(cfg, writer, engine, llog);
    const logs = new LogCollector(docker, writer, engine, cfg.collector.logs, labelTags, resume, llog, cfg.queue.enabled);
    logs.follow(events);
    parts.logs = logs;
    schedulers.push(new IntervalScheduler(cfg.collector.interval, (t) => logs.tick(t), llog));
    stoppers.push(async () => {
      logs.unfollow(events);
      await logs.stop();
    });
    void logs.start();
  }

  if (on.network) {
    const nlog = log.child({ part: 'network' });
    if (existsSync(path.join(cfg.collector.procRoot, '1', 'net'))) {
      const network = new NetworkCollector(() => registry.all(), writer, engine, {
        procRoot: cfg.collector.procRoot, labelTags, ...cfg.collector.network,
      }, nlog);
      parts.network = network;
      schedulers.push(new IntervalScheduler(cfg.collector.interval, (t) => network.poll(t), nlog));
      stoppers.push(async () => network.close());
    } else {
      nlog.warn({ procRoot: cfg.collector.procRoot }, 'host /proc not visible: no TCP states or service map (mount the host\'s /proc and set collector.procRoot)');
    }
  }

  if (on.posture) {
    const plog = log.child({ part: 'posture' });
    const posture = new PostureCollector(() => registry.all(), writer, engine, await engineSecurityOf(docker, plog), {
      labelTags, every: cfg.collector.infoEvery,
    }, plog);
    parts.posture = posture;
    schedulers.push(new IntervalScheduler(cfg.collector.interval, (t) => posture.poll(t), plog));
  }

  for (const s of schedulers) s.start();
  parts.stop = async () => {
    await Promise.all(schedulers.map((s) => s.stop()));
    for (const stop of stoppers) await stop();
  };
  return parts;
}
