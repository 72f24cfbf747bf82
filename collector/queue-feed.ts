/**
 * Feeds the processor: each cycle's samples as one job, each container event
 * as one job, on the host's queue shard. Publishing never holds up or fails
 * a cycle: while Redis does not answer, the publisher keeps the jobs and
 * tries again in order (queue.publishRetry), so a crash during a Redis outage
 * still reaches the processor; the outage is logged once, and jobs that
 * waited too long are dropped and counted (the next one names the last job
 * that did get through as its predecessor).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../common/log.js';
import { OnceLogger } from '../common/log.js';
import type { ContainerSample } from '../common/queue/payload.js';
import type { Config } from '../common/config.js';
import { SamplesPublisher, type SamplesInput, type EventInput } from '../common/queue/publisher.js';
import { isCaptureTrigger, type FaultCapture } from '../common/capture.js';
import type { CycleSamples, SamplesSink } from './collector.js';
import type { ContainerMeta } from './container.js';
import type { DockerEvent, DockerEventStream } from './events.js';
import type { StatsSample, Derived } from './stats.js';
import type { FsUsage } from './disk/fsusage.js';
import type { TcpSummary } from './network/collector.js';
import type { Posture } from './posture/checks.js';
import type { ContainerSettings } from '../common/container-settings.js';
import { monitored } from './settings.js';
import type { EngineInfo } from '../common/docker.js';

/** What the collector's other parts know of a container, carried in its sample. */
export interface SampleExtras {
  fs?: FsUsage;
  /** log pattern matches since the last job */
  logMatches?: Record<string, number>;
  tcp?: TcpSummary;
  posture?: Posture;
  /** from its shipwatch.* labels */
  settings?: ContainerSettings;
}

/** How long a stopping collector waits for its publishes under way. */
const STOP_DRAIN_MS = 5_000;

/** Event attributes worth carrying (the rest are labels: unbounded). */
const EVENT_ATTRS = ['exitCode', 'signal', 'name', 'image', 'execDuration'];

export function containerSample(
  meta: ContainerMeta, sample: StatsSample | undefined, d: Derived | undefined, labelTags: string[], extras: SampleExtras = {},
): ContainerSample {
  const labels: Record<string, string> = {};
  for (const l of labelTags) if (meta.labels[l] !== undefined) labels[l] = meta.labels[l];
  const out: ContainerSample = {
    id: meta.id,
    name: meta.name,
    image: meta.image,
    state: meta.state,
    labels,
    startedAt: meta.startedAt || null,
    finishedAt: meta.finishedAt || null,
    exitCode: meta.exitCode,
    oomKilled: meta.oomKilled,
    restartCount: meta.restartCount,
    pid: meta.pid,
    health: meta.health ? { status: meta.health.status, failingStreak: meta.health.failingStreak } : null,
  };
  if (sample && d) {
    out.cpu = { percent: d.cpuPercent ?? null };
    out.mem = { usage: d.memUsed, limit: sample.mem.limit, percent: d.memPercent };
    if (d.net) out.net = { rx: d.net.rx_bytes, tx: d.net.tx_bytes };
    out.blkio = { read: sample.blkio.readBytes, write: sample.blkio.writeBytes };
    out.pids = { current: sample.pids.current, limit: sample.pids.limit ?? null };
  }
  const { fs, logMatches, tcp, posture, settings } = extras;
  if (settings) out.settings = settings;
  if (fs) out.fs = { usage: fs.usage, limit: fs.limit };
  if (logMatches) out.logMatches = logMatches;
  // Socket counts are only current for a running container.
  if (tcp && meta.state === 'running') out.tcp = { ...tcp };
  if (posture) out.posture = { score: posture.score, critical: posture.failed.filter((f) => f.severity === 'critical').map((f) => f.id) };
  return out;
}

/** What the collector's other parts add to a samples job. */
export interface FeedSources {
  /** writable-layer usage per container, known after the disk part's last pass */
  fsOf?: (id: string) => FsUsage | undefined;
  /** log pattern matches per container ID since the last call (the logs part) */
  takeLogMatches?: () => Map<string, Record<string, number>>;
  /** TCP counts per container, from the network part's last pass */
  tcpOf?: (id: string) => TcpSummary | undefined;
  /** security posture per container (the posture part) */
  postureOf?: (id: string) => Posture | undefined;
  /** reads a container's fault capture from Docker (collector.capture) */
  capture?: (id: string, trigger: string) => Promise<FaultCapture>;
  /** settings from the container's shipwatch.* labels */
  settingsOf?: (meta: ContainerMeta) => ContainerSettings | undefined;
}

export function samplesInput(c: CycleSamples, labelTags: string[], facts: SamplesInput['facts'], sources: FeedSources = {}): SamplesInput {
  const matches = sources.takeLogMatches?.();
  return {
    host: c.host,
    time: c.time,
    facts,
    containers: c.containers.map((x) => containerSample(x.meta, x.sample, x.derived, labelTags, {
      fs: sources.fsOf?.(x.meta.id),
      logMatches: matches?.get(x.meta.id),
      tcp: sources.tcpOf?.(x.meta.id),
      posture: sources.postureOf?.(x.meta.id),
      settings: sources.settingsOf?.(x.meta),
    })),
  };
}

export class QueueFeed implements SamplesSink {
  private readonly once: OnceLogger;
  private inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly publisher: SamplesPublisher,
    private readonly host: string,
    private readonly labelTags: string[],
    private readonly facts: SamplesInput['facts'],
    private readonly log: Logger,
    private readonly sources: FeedSources = {},
    /** the engine's kind, on every event: Podman's events announce no requested stop */
    private readonly engine: 'docker' | 'podman' = 'docker',
  ) {
    this.once = new OnceLogger(log);
  }

  /** jobs given up since publishing last worked */
  private dropped = 0;

  /** Logs the publisher's outages: once when they start, once when they end. */
  watch(publisher: SamplesPublisher): void {
    publisher.on('retrying', (e) => {
      this.once.raise('queue', 'cannot publish to the processor queue; jobs are kept and tried again until Redis answers (queue.publishRetry)', { error: e.message });
    });
    publisher.on('published', () => {
      if (this.dropped) this.log.warn({ dropped: this.dropped }, 'processor queue jobs dropped during the outage: they waited longer than queue.publishRetry');
      this.dropped = 0;
      this.once.clear('queue', 'publishing to the processor queue works again');
    });
    publisher.on('dropped', () => void this.dropped++);
  }

  private track(p: Promise<unknown>) {
    const t = p.catch(() => {});
    this.inFlight.add(t);
    void t.then(() => this.inFlight.delete(t));
  }

  /** Jobs given up and not yet reported. */
  get droppedSinceReport(): number {
    return this.dropped;
  }

  cycle(c: CycleSamples): void {
    this.track(this.publisher.publishSamples(samplesInput(c, this.labelTags, this.facts, this.sources)));
  }

  event(e: DockerEvent): void {
    if (e.Type !== 'container' || !monitored(e.Actor.Attributes)) return;
    const attrs = e.Actor.Attributes ?? {};
    const kept: Record<string, string> = {};
    for (const k of EVENT_ATTRS) if (attrs[k] !== undefined) kept[k] = attrs[k];
    const nano = BigInt(e.timeNano ?? e.time * 1e9);
    const input: EventInput = {
      host: this.host,
      time: Number(nano / 1_000_000n),
      nano: nano.toString(),
      type: e.Type,
      action: e.Action,
      id: e.Actor.ID,
      name: attrs.name,
      image: attrs.image,
      attributes: kept,
      engine: this.engine,
    };
    // Read now, while the container's log and state are still those of the fault; published in its place.
    const capture = this.sources.capture && isCaptureTrigger(e.Type, e.Action) ? this.sources.capture(e.Actor.ID, e.Action) : undefined;
    this.track(this.publisher.publishEvent(input, capture));
  }

  follow(events: DockerEventStream): void {
    events.on('event', (e) => this.event(e));
  }

  /** Waits for the publishes under way. */
  async drain(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}

/**
 * Starts publishing Docker events now and the cycles handed to `cycle` (the
 * collector's samples sink); `stop` waits for the publishes under way.
 */
export function startQueueFeed(
  cfg: Config,
  engine: EngineInfo,
  events: DockerEventStream,
  log: Logger,
  sources: FeedSources = {},
): SamplesSink & { stop(): Promise<void> } {
  const publisher = new SamplesPublisher(cfg);
  const kind = engine.kind ?? 'docker';
  const feed = new QueueFeed(publisher, engine.host, cfg.collector.labelTags, { serverVersion: engine.serverVersion, interval: cfg.collector.interval, engine: kind }, log, sources, kind);
  feed.watch(publisher);
  feed.follow(events);
  let stopped = false;
  return {
    cycle(c) {
      if (!stopped) feed.cycle(c);
    },
    async stop() {
      stopped = true;
      // Publishes under way take milliseconds while Redis answers; in an outage, what is still kept is given up.
      const drained = feed.drain();
      await Promise.race([drained, sleep(STOP_DRAIN_MS)]);
      await publisher.close();
      await drained;
      if (feed.droppedSinceReport) log.warn({ dropped: feed.droppedSinceReport }, 'processor queue jobs not published at shutdown: Redis did not answer');
    },
  };
}
