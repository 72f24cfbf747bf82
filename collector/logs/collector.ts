/**
 * Follows the logs of the selected containers: one stream per container, opened
 * when it starts (event) or is found running (at start and every interval), read
 * from where the last one stopped. Lines go to docker_log with their level;
 * counts and pattern matches go out every interval, the matches also to the
 * processor with the next samples job (takeMatches).
 */
import type Docker from 'dockerode';
import type { Config } from '../../common/config.js';
import type { Logger } from '../../common/log.js';
import { OnceLogger } from '../../common/log.js';
import type { LineSink } from '../../common/influx/sink.js';
import { fromInspect, type ContainerMeta } from '../container.js';
import { isGone } from '../../common/docker.js';
import type { DockerEvent, DockerEventStream } from '../events.js';
import type { EngineInfo } from '../../common/docker.js';
import { ContainerSeries } from '../points.js';
import { msToNs } from '../nstime.js';
import type { LogResume } from '../resume.js';
import { ContainerLogStream } from './stream.js';
import { ContainerLogState } from './state.js';
import { LogSeries, logLine, logStatsLines } from './lines.js';
import { parseLogLine } from './parse.js';
import { detectLevel } from './level.js';
import { compilePatterns, type CompiledPattern } from './patterns.js';
import { logSelector } from './select.js';
import type { LogStreamName } from '../../common/schema.js';
import { monitored } from '../settings.js';

export type LogsConfig = Config['collector']['logs'];

interface Followed {
  id: string;
  series: LogSeries;
  state: ContainerLogState;
  stream?: ContainerLogStream;
  /** where a container never read before starts: its creation, or backfill ago */
  fallbackSince: bigint;
  removed: boolean;
  retry?: NodeJS.Timeout;
  retryDelay: number;
}

const RUNNING = new Set(['running', 'paused', 'restarting']);

export class LogCollector {
  private followed = new Map<string, Followed>();
  private attaching = new Set<string>();
  /** containers the selection leaves out: not inspected again until destroyed */
  private ignored = new Set<string>();
  private pending: string[] = [];
  private flushScheduled = false;
  private stopped = false;
  private readonly select: (name: string, labels: Record<string, string>) => boolean;
  private readonly patterns: CompiledPattern[];
  private readonly outage: OnceLogger;
  readonly stats = { lines: 0, written: 0, dropped: 0, replayed: 0, opened: 0 };
  /** pattern matches per container since the last takeMatches(), when kept for the processor */
  private matchesForQueue: Map<string, Record<string, number>> | undefined;
  private readonly onEvent = (e: DockerEvent) => {
    if (e.Type !== 'container') return;
    if (e.Action === 'start') void this.attach(e.Actor.ID);
    else if (e.Action === 'destroy') this.removed(e.Actor.ID);
  };
  private readonly onConnected = () => void this.reconcile(false);

  constructor(
    private readonly docker: Docker,
    private readonly sink: LineSink,
    private readonly engine: EngineInfo,
    private readonly cfg: LogsConfig,
    private readonly labelTags: string[],
    private readonly resume: LogResume,
    private readonly log: Logger,
    /** keep the pattern matches for takeMatches() (the processor's queue is on) */
    keepMatches = false,
  ) {
    if (keepMatches) this.matchesForQueue = new Map();
    this.select = logSelector(cfg);
    this.patterns = compilePatterns(cfg.patterns);
    this.outage = new OnceLogger(log);
  }

  follow(events: DockerEventStream): void {
    events.on('event', this.onEvent);
    events.on('connected', this.onConnected);
  }

  unfollow(events: DockerEventStream): void {
    events.off('event', this.onEvent);
    events.off('connected', this.onConnected);
  }

  /** Opens the streams of the running containers, and reads what is left of those that logged before a restart. */
  async start(): Promise<void> {
    await this.reconcile(true);
  }

  /** Finds containers to follow that no event announced. Never throws. */
  async reconcile(startup: boolean): Promise<void> {
    let list: Docker.ContainerInfo[];
    try {
      list = await this.docker.listContainers({ all: startup });
      this.outage.clear('list', 'Docker reachable again');
    } catch (e) {
      this.outage.raise('list', 'listing containers for logs failed; retrying', { error: (e as Error).message });
      return;
    }
    const backfillFrom = Date.now() - this.cfg.backfill;
    await Promise.all(
      list.map(async (c) => {
        if (this.ignored.has(c.Id) || this.followed.get(c.Id)?.stream?.isOpen) return;
        const recent = c.Created * 1000 >= backfillFrom;
        if (RUNNING.has(c.State) || (startup && (this.resume.has(c.Id) || recent))) await this.attach(c.Id);
      }),
    );
  }

  /** Starts following a container (again). Never throws. */
  async attach(id: string): Promise<void> {
    if (this.stopped || this.attaching.has(id) || this.ignored.has(id)) return;
    const known = this.followed.get(id);
    if (known?.stream?.isOpen) return;
    this.attaching.add(id);
    try {
      let meta: ContainerMeta;
      try {
        meta = fromInspect(await this.docker.getContainer(id).inspect());
      } catch (e) {
        if (!isGone(e)) this.log.warn({ container: id, error: (e as Error).message }, 'inspect for logs failed');
        return;
      }
      if (!monitored(meta.labels) || !this.select(meta.name, meta.labels)) {
        this.ignored.add(id);
        return;
      }
      const f = this.entry(meta);
      clearTimeout(f.retry);
      const since = f.state.rewind(f.fallbackSince);
      const stream = new ContainerLogStream(this.docker, id, meta.tty, this.cfg.maxLineBytes);
      stream.on('line', (s, buf) => {
        try {
          this.onLine(f, s, buf);
        } catch (e) {
          // Runs inside the socket's data handler: a throw here would end the process.
          this.outage.raise(`line:${id}`, 'log line not handled', { container: meta.name, error: (e as Error).message });
        }
      });
      stream.on('daemonError', (text) => this.log.warn({ container: meta.name, error: text.slice(0, 300) }, 'Docker reported an error in the log stream'));
      stream.on('end', (e) => this.onEnd(f, stream, e));
      f.stream = stream;
      try {
        await stream.open(since);
        if (this.stopped) {
          stream.close();
          return;
        }
        this.stats.opened++;
        f.retryDelay = 1000;
        this.outage.clear(`open:${id}`, 'container log readable again');
      } catch (e) {
        f.stream = undefined;
        if (isGone(e)) return;
        // e.g. a logging driver without read support (syslog, none): say so once.
        this.outage.raise(`open:${id}`, 'container log not readable', { container: meta.name, error: (e as Error).message });
        if (/does not support reading|configured logging driver/i.test(String((e as Error).message))) this.ignored.add(id);
      }
    } finally {
      this.attaching.delete(id);
    }
  }

  private entry(meta: ContainerMeta): Followed {
    let f = this.followed.get(meta.id);
    const series = new LogSeries(new ContainerSeries(meta, this.engine, this.labelTags));
    if (!f) {
      const floors = this.resume.get(meta.id);
      f = {
        id: meta.id,
        series,
        state: new ContainerLogState({ rate: this.cfg.rateLimit, burst: this.cfg.burst, patterns: this.patterns }, floors),
        fallbackSince: msToNs(Math.max(meta.created, Date.now() - this.cfg.backfill)),
        removed: false,
        retryDelay: 1000,
      };
      this.followed.set(meta.id, f);
    } else {
      // Renamed or relabelled since: new tags from here on.
      f.series = series;
      f.removed = false;
    }
    return f;
  }

  private onLine(f: Followed, stream: LogStreamName, buf: Buffer): void {
    const p = parseLogLine(buf);
    const now = Date.now();
    const v = f.state.accept(stream, p.ns ?? msToNs(now), p.text, buf.length);
    if (!v.write) {
      if (v.reason === 'replayed') this.stats.replayed++;
      else {
        this.stats.dropped++;
        this.stats.lines++;
        this.outage.raise(`rate:${f.id}`, 'container log over the rate limit: lines dropped and counted', { container: f.series.series.meta.name, rateLimit: this.cfg.rateLimit });
      }
      return;
    }
    this.stats.lines++;
    this.stats.written++;
    this.pending.push(logLine(f.series.stream(stream), f.id, p.text, detectLevel(p.text), v.ns));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushPending());
    }
  }

  private flushPending(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    this.sink.write(lines);
  }

  private onEnd(f: Followed, stream: ContainerLogStream, err: Error | undefined): void {
    if (f.stream !== stream) return;
    f.stream = undefined;
    this.flushPending();
    if (this.stopped || f.removed) return;
    // Ended because the container stopped (its next start event reopens it), or
    // the connection broke while it runs: then read on from where it stopped.
    void (async () => {
      let running = false;
      try {
        running = RUNNING.has((await this.docker.getContainer(f.id).inspect()).State.Status);
      } catch (e) {
        if (isGone(e)) return;
        running = true;
      }
      if (!running || this.stopped) return;
      if (err) this.outage.raise(`stream:${f.id}`, 'container log stream broke; reading on', { container: f.series.series.meta.name, error: err.message });
      clearTimeout(f.retry);
      f.retry = setTimeout(() => void this.attach(f.id), f.retryDelay);
      f.retryDelay = Math.min(f.retryDelay * 2, 30_000);
    })();
  }

  private removed(id: string): void {
    this.ignored.delete(id);
    const f = this.followed.get(id);
    if (!f) return;
    f.removed = true;
    clearTimeout(f.retry);
  }

  /** Writes each followed container's counts for the interval ending `time` (ms); also looks for containers to follow. */
  async tick(time: number): Promise<void> {
    this.flushPending();
    const lines: string[] = [];
    for (const [id, f] of this.followed) {
      const open = !!f.stream?.isOpen;
      const t = f.state.take();
      if (open || t.dirty) {
        logStatsLines(f.series, t.counts, t.matches, time, lines);
        this.keepMatches(id, t.matches);
      }
      if (f.removed && !open) this.followed.delete(id);
    }
    this.sink.write(lines.filter(Boolean));
    await this.sink.flush();
    await this.reconcile(false);
  }

  private keepMatches(id: string, matches: Map<string, number>): void {
    if (!this.matchesForQueue) return;
    const kept = this.matchesForQueue.get(id) ?? {};
    for (const [name, n] of matches) kept[name] = (kept[name] ?? 0) + n;
    this.matchesForQueue.set(id, kept);
  }

  /** Pattern matches per container ID counted since the last call (containers followed meanwhile, zeros included). */
  takeMatches(): Map<string, Record<string, number>> {
    const out = this.matchesForQueue ?? new Map();
    if (this.matchesForQueue) this.matchesForQueue = new Map();
    return out;
  }

  /** Containers whose log stream is open now. */
  get open(): string[] {
    return [...this.followed.values()].filter((f) => f.stream?.isOpen).map((f) => f.id);
  }

  /** Closes every stream and writes the counts of the unfinished interval. */
  async stop(): Promise<void> {
    this.stopped = true;
    const time = Date.now();
    const lines: string[] = [];
    for (const f of this.followed.values()) {
      clearTimeout(f.retry);
      f.stream?.close();
      const t = f.state.take();
      if (t.dirty) logStatsLines(f.series, t.counts, t.matches, time, lines);
    }
    this.flushPending();
    this.sink.write(lines.filter(Boolean));
    await this.sink.flush();
  }
}
