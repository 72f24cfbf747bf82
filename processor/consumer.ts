/**
 * Takes jobs from every shard queue and applies them to their host's state.
 *
 * Order: the jobs of one host must be applied in the order the collector
 * published them, whichever worker process takes them. Each job names its
 * predecessor (samples and events alike); a job whose predecessor is not the
 * last one applied waits (up to
 * processor.orderWait) while that job is still queued or running, and is
 * applied at once when it is gone (failed for good, or never queued). A job at
 * or before the host's last applied time is acknowledged without effect.
 *
 * Atomicity: the host lock is taken and the state read in one round trip; the
 * outputs (InfluxDB points, alert jobs, snapshots) are written next, all
 * idempotent (same points, same job IDs), and only then the new state is
 * committed with a check that the lock is still ours. A crash before the
 * commit re-runs the job from the old state with the same outputs; a crash
 * after it is a job already applied.
 */
import { EventEmitter } from 'node:events';
import { Queue, Worker, UnrecoverableError, type Job } from 'bullmq';
import type { Config } from '../common/config.js';
import { OnceLogger, type Logger } from '../common/log.js';
import type { LineSink } from '../common/influx/sink.js';
import type { RedisClient } from '../common/queue/connection.js';
import { SAMPLES_QUEUE, JOB, shardPrefix } from '../common/queue/names.js';
import { validateSamples, validateEvent, type SamplesPayload, type EventPayload } from '../common/queue/payload.js';
import { decodeHostState, encodeHostState, type HostState } from './state.js';
import type { HostEngine, Applied, Order } from './engine.js';
import type { StateStore } from './store.js';
import type { AlertPublisher } from './alert-publisher.js';
import type { SnapshotStore } from './snapshot-store.js';
import { buildSnapshot, snapshotSummary, applyCapture } from './snapshot.js';
import { parseCapture, type FaultCapture } from '../common/capture.js';

/**
 * Jobs that finish close together share one flush: InfluxDB takes a few large
 * writes far more cheaply than many small ones, and each job still commits its
 * state only after its points were sent.
 */
export class GroupFlush {
  private pending: Promise<boolean> | undefined;

  constructor(private readonly writer: LineSink, private readonly delayMs = 50) {}

  flush(): Promise<boolean> {
    if (!this.pending) {
      this.pending = new Promise<boolean>((resolve) => {
        setTimeout(() => {
          this.pending = undefined;
          this.writer.flush().then(resolve, () => resolve(false));
        }, this.delayMs);
      });
    }
    return this.pending;
  }
}

export interface ConsumerDeps {
  engine: HostEngine;
  store: StateStore;
  alerts: AlertPublisher;
  snapshots: SnapshotStore | undefined;
  writer: LineSink;
  log: Logger;
}

export interface JobOutcome {
  /** applied, or why not */
  result: 'applied' | 'duplicate';
  host: string;
  samples: number;
  alerts: number;
}

export interface ConsumerStats {
  applied: number;
  duplicates: number;
  /** jobs applied without their predecessor, which had gone missing */
  outOfOrder: number;
  invalid: number;
  samples: number;
  alerts: number;
}

/** Jobs still to come are in one of these states. */
const PENDING_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'wait']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Parsed =
  | { kind: 'samples'; p: SamplesPayload }
  | { kind: 'event'; p: EventPayload };

function parse(job: Job): Parsed {
  const v = job.name === JOB.samples ? validateSamples(job.data) : job.name === JOB.event ? validateEvent(job.data) : undefined;
  if (!v) throw new UnrecoverableError(`unknown job name "${job.name}"`);
  if (!v.ok) throw new UnrecoverableError(v.reason);
  return { kind: job.name, p: v.value } as Parsed;
}

export class ShardConsumer extends EventEmitter<{ outcome: [JobOutcome, Job] }> {
  private readonly workers: Worker[] = [];
  private readonly queues: Queue[] = [];
  readonly stats: ConsumerStats = { applied: 0, duplicates: 0, outOfOrder: 0, invalid: 0, samples: 0, alerts: 0 };
  private readonly flusher: GroupFlush;
  private readonly outage: OnceLogger;

  constructor(
    private readonly cfg: Pick<Config, 'redis' | 'queue' | 'processor'>,
    private readonly connection: RedisClient,
    private readonly deps: ConsumerDeps,
  ) {
    super();
    this.flusher = new GroupFlush(deps.writer);
    this.outage = new OnceLogger(deps.log);
  }

  start(): void {
    for (let shard = 0; shard < this.cfg.queue.shards; shard++) {
      const prefix = shardPrefix(this.cfg.redis.prefix, shard);
      this.queues.push(new Queue(SAMPLES_QUEUE, { connection: this.connection, prefix }));
      const w = new Worker(SAMPLES_QUEUE, (job) => this.handle(shard, job), {
        connection: this.connection,
        prefix,
        concurrency: this.cfg.processor.concurrency,
      });
      w.on('failed', (job, err) => {
        if (err instanceof UnrecoverableError) this.stats.invalid++;
        this.deps.log.warn({ shard, job: job?.id, attempts: job?.attemptsMade, err: err.message }, 'job failed');
      });
      // An outage of Redis makes every shard's worker fail each reconnect: said once, and once when over.
      w.on('error', (err) => this.outage.raise('worker', 'worker error; the workers reconnect and go on', { shard, err: err.message }));
      w.on('completed', () => this.outage.clear('worker', 'workers take jobs again'));
      this.workers.push(w);
    }
  }

  /** Resolves when every shard's worker is connected and taking jobs. */
  async ready(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
  }

  private order(s: HostState, x: Parsed): Order {
    return x.kind === 'samples' ? this.deps.engine.orderSamples(s, x.p) : this.deps.engine.orderEvent(s, x.p);
  }

  private apply(s: HostState, x: Parsed): Applied {
    return x.kind === 'samples' ? this.deps.engine.applySamples(s, x.p) : this.deps.engine.applyEvent(s, x.p);
  }

  private async handle(shard: number, job: Job): Promise<JobOutcome> {
    const x = parse(job);
    const host = x.p.host;
    const { store } = this.deps;
    const orderDeadline = Date.now() + this.cfg.processor.orderWait;
    let delay = 5;
    let outOfOrder = false;
    for (;;) {
      const lk = await store.lockAndRead(shard, host);
      if (!lk.locked) {
        // Another job of this host is being applied: it takes milliseconds.
        await sleep(delay);
        delay = Math.min(delay * 2, 200);
        continue;
      }
      let committed = false;
      try {
        const s = decodeHostState(host, lk.raw);
        let order = this.order(s, x);
        if (order === 'predecessor') {
          const prevId = x.p.prevId ?? undefined;
          const state = prevId ? await this.queues[shard].getJobState(prevId) : 'unknown';
          if (PENDING_STATES.has(state) && Date.now() < orderDeadline) {
            await store.release(shard, host, lk.token);
            committed = true;
            await sleep(delay);
            delay = Math.min(delay * 2, 200);
            continue;
          }
          outOfOrder = PENDING_STATES.has(state);
          order = 'apply';
        }
        if (order === 'skip') {
          await store.release(shard, host, lk.token);
          committed = true;
          this.stats.duplicates++;
          const out: JobOutcome = { result: 'duplicate', host, samples: 0, alerts: 0 };
          this.emit('outcome', out, job);
          return out;
        }
        if (outOfOrder) {
          this.stats.outOfOrder++;
          this.deps.log.warn({ host, job: job.id }, 'previous job of the host still queued after orderWait; applied without it');
        }
        const applied = this.apply(s, x);
        s.lid = job.id!;
        await this.effects(shard, s, applied, x);
        if (!(await store.commit(shard, host, lk.token, encodeHostState(s)))) {
          committed = true;
          throw new Error(`lost the lock of host ${host} before committing; the job is retried`);
        }
        committed = true;
        this.stats.applied++;
        this.stats.samples += applied.samples;
        this.stats.alerts += applied.transitions.length;
        const out: JobOutcome = { result: 'applied', host, samples: applied.samples, alerts: applied.transitions.length };
        this.emit('outcome', out, job);
        return out;
      } finally {
        if (!committed) await store.release(shard, host, lk.token).catch(() => {});
      }
    }
  }

  /** Outputs before the commit, each idempotent: points overwrite themselves, jobs and captures have fixed keys. */
  private async effects(shard: number, s: HostState, a: Applied, x: Parsed): Promise<void> {
    const { writer, alerts, snapshots, store, log } = this.deps;
    const lines = a.lines;
    const snap = this.cfg.processor.snapshot;
    // The capture an event brought: kept for the fault it starts, now or (a died fault, after stopGrace) later.
    let own: { id: string; capture: FaultCapture } | undefined;
    if (snapshots && x.kind === 'event' && x.p.capture !== undefined) {
      const c = parseCapture(x.p.capture);
      if (c.ok) {
        own = { id: x.p.id, capture: c.value };
        await store.putCapture(shard, s.host, x.p.id, c.value, snap.lookback);
      } else {
        log.warn({ host: s.host, container: x.p.name, reason: c.reason }, 'fault capture dropped; the event is applied without it');
      }
    }
    if (snapshots) {
      for (const f of a.faults) {
        const body = buildSnapshot(s, f.container, f.transition, f.baselines);
        const cap = own?.id === f.container.id ? own.capture : await store.getCapture(shard, s.host, f.container.id);
        if (cap) applyCapture(body, cap, snap.lookback, snap.logLines);
        await snapshots.enrich(body);
        f.transition.snapshot = snapshotSummary(body);
        lines.push(snapshots.line(body));
      }
    }
    writer.write(lines.filter(Boolean));
    await alerts.publish(s.host, a.transitions);
    await this.flusher.flush();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all(this.queues.map((q) => q.close()));
  }
}
