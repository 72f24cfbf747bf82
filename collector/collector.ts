/**
 * One collection cycle: bring the container registry up to date, read the
 * running containers' counters, turn everything into lines and hand them to
 * the writer. Timestamps are the cycle's scheduled time, aligned to the interval.
 */
import type { Logger } from '../common/log.js';
import { OnceLogger } from '../common/log.js';
import type { ContainerMeta } from './container.js';
import type { EngineInfo } from '../common/docker.js';
import type { LineSink } from '../common/influx/sink.js';
import { ContainerSeries, statsLines, stateLines, removedLines } from './points.js';
import type { StatsSource } from './sources/source.js';
import { derive, type Derived, type PrevCpu, type StatsSample } from './stats.js';
import type { ContainerRegistry } from './registry.js';
import type { DockerEventStream, DockerEvent } from './events.js';

export interface CollectorOptions {
  labelTags: string[];
  includeStopped: boolean;
  inspectEvery: number;
  /** with a live event stream, list all containers only this often (ms) */
  listEvery?: number;
  /** docker_container_info is written when it changes and at least this often (ms) */
  infoEvery?: number;
}

export interface CycleResult {
  time: number;
  containers: number;
  sampled: number;
  lines: number;
  appeared: string[];
  gone: string[];
}

const HAS_STATS = new Set(['running', 'paused']);

/** One cycle's containers (stopped ones too) with their samples, for the processor's queue. */
export interface CycleSamples {
  time: number;
  host: string;
  containers: Array<{ meta: ContainerMeta; sample?: StatsSample; derived?: Derived }>;
}

/** Takes each cycle's samples (the processor's queue feed); must not throw. */
export interface SamplesSink {
  cycle(c: CycleSamples): void;
}

export interface CollectorDeps {
  /** the host's containers; the collector keeps it current */
  registry: ContainerRegistry;
  source: StatsSource;
  /** where the points go */
  sink: LineSink;
  /** where each cycle's samples go, if anywhere */
  samples?: SamplesSink;
  engine: EngineInfo;
  opts: CollectorOptions;
  log: Logger;
}

export class Collector {
  readonly registry: ContainerRegistry;
  private readonly source: StatsSource;
  private readonly sink: LineSink;
  private readonly samples: SamplesSink | undefined;
  private readonly engine: EngineInfo;
  private readonly opts: CollectorOptions;
  private series = new Map<string, ContainerSeries>();
  /** each container's previous CPU counters, and whether they came from its cgroup files */
  private prev = new Map<string, PrevCpu & { cgroup: boolean }>();
  private readonly outage: OnceLogger;

  constructor(d: CollectorDeps) {
    this.registry = d.registry;
    this.source = d.source;
    this.sink = d.sink;
    this.samples = d.samples;
    this.engine = d.engine;
    this.opts = d.opts;
    this.outage = new OnceLogger(d.log);
  }

  /**
   * Containers named by an event are (re-)inspected next cycle. While the stream
   * is live the registry trusts it between full lists; a reconnect means events
   * may have been missed, so everything is listed and read again.
   */
  follow(events: DockerEventStream): void {
    events.on('event', (e: DockerEvent) => {
      if (e.Type === 'network') {
        const id = e.Actor.Attributes?.container;
        if (id) this.registry.invalidate(id);
        return;
      }
      if (e.Type !== 'container') return;
      if (e.Action === 'destroy') this.registry.destroy(e.Actor.ID);
      else this.registry.invalidate(e.Actor.ID);
    });
    events.on('connected', () => {
      this.registry.invalidateAll();
      this.registry.eventsLive = true;
    });
    events.on('disconnected', () => {
      this.registry.eventsLive = false;
    });
  }

  private seriesOf(meta: ContainerMeta): ContainerSeries {
    let s = this.series.get(meta.id);
    if (!s || s.meta !== meta) {
      s = new ContainerSeries(meta, this.engine, this.opts.labelTags);
      this.series.set(meta.id, s);
    }
    return s;
  }

  /** Runs one cycle stamped with `time` (ms). Never throws: failures are logged and the cycle is skipped. */
  async cycle(time: number): Promise<CycleResult | undefined> {
    let changes;
    try {
      changes = await this.registry.refresh(time);
      this.outage.clear('docker', 'Docker reachable again');
    } catch (e) {
      this.outage.raise('docker', 'Docker unreachable; retrying each cycle', { error: (e as Error).message });
      return undefined;
    }
    const lines: string[] = [];
    for (const gone of changes.gone) {
      const s = this.series.get(gone.id);
      if (s) removedLines(s, this.engine, this.opts.labelTags, time, lines);
      this.series.delete(gone.id);
      this.prev.delete(gone.id);
      this.source.forget(gone.id);
    }
    const all = this.registry.all();
    const running = all.filter((c) => HAS_STATS.has(c.state));
    const { samples } = await this.source.read(running);
    const published: CycleSamples['containers'] | undefined = this.samples ? [] : undefined;
    for (const c of all) {
      const s = this.seriesOf(c);
      const sample = samples.get(c.id);
      // Host CPU time from the API and from /proc/stat may count from different origins (Podman's
      // does): no CPU % across a change of source.
      const last = this.prev.get(c.id);
      const prev = sample && last && last.cgroup === (sample.cgroup !== undefined) ? last : undefined;
      const derived = sample && derive(sample, prev);
      published?.push({ meta: c, sample, derived });
      if (sample) {
        statsLines(s, sample, derived!, time, lines);
        this.prev.set(c.id, { total: sample.cpu.total, system: sample.cpu.system, cgroup: sample.cgroup !== undefined });
      } else if (!HAS_STATS.has(c.state)) {
        this.prev.delete(c.id);
        this.source.forget(c.id);
      }
      if (HAS_STATS.has(c.state) || this.opts.includeStopped) stateLines(s, time, lines, this.opts.infoEvery);
    }
    if (published) this.samples!.cycle({ time, host: this.engine.host, containers: published });
    const out = lines.filter(Boolean);
    this.sink.write(out);
    await this.sink.flush();
    return {
      time,
      containers: all.length,
      sampled: samples.size,
      lines: out.length,
      appeared: changes.appeared.map((c) => c.name),
      gone: changes.gone.map((c) => c.name),
    };
  }
}
