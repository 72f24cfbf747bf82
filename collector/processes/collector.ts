/**
 * Polls the processes of every running container on its own interval and
 * writes the busiest ones, plus a point for each process gone since the last poll.
 */
import type Docker from 'dockerode';
import type { Logger } from '../../common/log.js';
import { OnceLogger } from '../../common/log.js';
import { fromInspect, type ContainerMeta } from '../container.js';
import { isGone } from '../../common/docker.js';
import type { LineSink } from '../../common/influx/sink.js';
import type { EngineInfo } from '../../common/docker.js';
import { ContainerSeries } from '../points.js';
import { ProcessTracker } from './tracker.js';
import { processLines, goneLines } from './lines.js';
import type { ProcessSource } from './source.js';
import { mapLimit } from '../../common/pool.js';
import { monitored } from '../settings.js';

export interface ProcessCollectorOptions {
  max: number;
  labelTags: string[];
  /** what the metrics path already knows of a container (same tags), if anything */
  known?: (id: string) => ContainerMeta | undefined;
  /** the running containers as the metrics path knows them; absent: Docker is asked each poll */
  running?: () => ContainerMeta[];
  concurrency?: number;
}

interface Watched {
  tracker: ProcessTracker;
  series: ContainerSeries;
}

export interface ProcessPollResult {
  containers: number;
  processes: number;
  gone: number;
  lines: number;
}

export class ProcessCollector {
  private watched = new Map<string, Watched>();
  private inspected = new Map<string, ContainerMeta>();
  /** processes per container at the last poll */
  private counts = new Map<string, number>();
  private readonly outage: OnceLogger;

  constructor(
    private readonly docker: Docker,
    readonly source: ProcessSource,
    private readonly sink: LineSink,
    private readonly engine: EngineInfo,
    private readonly opts: ProcessCollectorOptions,
    private readonly log: Logger,
  ) {
    this.outage = new OnceLogger(log);
  }

  private async metaOf(id: string): Promise<ContainerMeta | undefined> {
    const known = this.opts.known?.(id);
    if (known && known.pid) return known;
    const cached = this.inspected.get(id);
    if (cached) return cached;
    try {
      const meta = fromInspect(await this.docker.getContainer(id).inspect());
      this.inspected.set(id, meta);
      return meta;
    } catch (e) {
      if (isGone(e)) return undefined;
      throw e;
    }
  }

  /** One poll stamped `time` (ms). Never throws. */
  async poll(time: number): Promise<ProcessPollResult | undefined> {
    let running: Array<{ id: string; name: string }>;
    if (this.opts.running) {
      running = this.opts.running().map((m) => ({ id: m.id, name: m.name }));
    } else {
      try {
        const list = (await this.docker.listContainers({ filters: { status: ['running'] } })).filter((c) => monitored(c.Labels));
        running = list.map((c) => ({ id: c.Id, name: c.Names?.[0] ?? c.Id }));
        this.outage.clear('docker', 'Docker reachable again');
      } catch (e) {
        this.outage.raise('docker', 'Docker unreachable; process list skipped', { error: (e as Error).message });
        return undefined;
      }
    }
    const lines: string[] = [];
    const seen = new Set<string>();
    let processes = 0;
    let goneCount = 0;
    await mapLimit(running, this.opts.concurrency ?? 8, async (c) => {
      seen.add(c.id);
      try {
        const meta = await this.metaOf(c.id);
        if (!meta) return;
        const now = Date.now();
        const list = await this.source.list(meta, now);
        if (list === undefined || list === 'unreadable') {
          if (list === 'unreadable') this.outage.raise(`unreadable:${c.id}`, 'processes of container not readable', { container: meta.name });
          this.end(c.id, time, lines);
          return;
        }
        let w = this.watched.get(c.id);
        if (!w || w.series.meta !== meta) {
          const series = new ContainerSeries(meta, this.engine, this.opts.labelTags);
          w = { tracker: w?.tracker ?? new ProcessTracker(this.opts.max), series };
          this.watched.set(c.id, w);
        }
        const lastPoll = w.tracker.lastPoll;
        const r = w.tracker.poll(list, now);
        processes += r.count;
        this.counts.set(c.id, r.count);
        goneCount += r.gone.length;
        processLines(w.series, r.top, time, lines);
        goneLines(w.series, r.gone, lastPoll || now, time, lines);
      } catch (e) {
        // A container stopping while it is read is normal; anything else is logged once per container.
        this.outage.raise(`read:${c.id}`, 'reading the processes of a container failed', { container: c.name, error: (e as Error).message });
      }
    });
    for (const id of [...this.watched.keys()]) {
      if (!seen.has(id)) {
        goneCount += this.end(id, time, lines);
      }
    }
    for (const id of [...this.inspected.keys()]) if (!seen.has(id)) this.inspected.delete(id);
    const out = lines.filter(Boolean);
    this.sink.write(out);
    await this.sink.flush();
    return { containers: running.length, processes, gone: goneCount, lines: out.length };
  }

  /** Processes the container had at the last poll, if it was read. */
  countOf(id: string): number | undefined {
    return this.counts.get(id);
  }

  /** The container is no longer running: its processes are gone. */
  private end(id: string, time: number, lines: string[]): number {
    this.counts.delete(id);
    const w = this.watched.get(id);
    this.source.forget(id);
    if (!w) return 0;
    this.watched.delete(id);
    const gone = w.tracker.end();
    goneLines(w.series, gone, w.tracker.lastPoll || time, time, lines);
    return gone.length;
  }
}
