/**
 * The producer side of the samples queues: one job per host and cycle, one per
 * Docker event, to the shard of the host. Each job names the previous job of
 * its host, of either kind (prevId), so that workers apply a host's jobs in
 * the order they were published.
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import type { Config } from '../config.js';
import { createRedis, type RedisClient } from './connection.js';
import { SAMPLES_QUEUE, JOB, shardPrefix, jobIdPart } from './names.js';
import { shardOf } from './shard.js';
import { jobOptions } from './options.js';
import { Serializer } from '../serial.js';
import { PAYLOAD_VERSION, type SamplesPayload, type EventPayload } from './payload.js';

export type SamplesInput = Omit<SamplesPayload, 'v' | 'prevId'>;
export type EventInput = Omit<EventPayload, 'v' | 'prevId'>;

/** Job IDs: publishing the same cycle or event twice adds one job. */
export const samplesJobId = (host: string, time: number) => `s-${jobIdPart(host)}-${time}`;
export const eventJobId = (e: Pick<EventInput, 'host' | 'nano' | 'action' | 'id'>) =>
  `e-${jobIdPart(e.host)}-${e.nano}-${jobIdPart(e.action)}-${e.id.slice(0, 12)}`.replace(/\s+/g, '_');

/**
 * What the publisher reports while Redis does not take its jobs: `retrying`
 * at each failed try of a job it keeps, `published` when one got through,
 * `dropped` when a job waited longer than queue.publishRetry or the
 * publisher closed.
 */
export interface PublisherEvents {
  retrying: [error: Error];
  published: [];
  dropped: [jobId: string, why: string];
}

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;

export class SamplesPublisher extends EventEmitter<PublisherEvents> {
  private readonly queues: Queue[];
  private readonly client: RedisClient;
  private readonly ownsClient: boolean;
  /** last job published per host: the predecessor named by the next one */
  private readonly last = new Map<string, string>();
  private readonly serializer = new Serializer();
  private closing = false;
  private readonly wakeClose = new AbortController();
  /** Rejects at close: an add() that waits for a connection never made would otherwise never settle. */
  private readonly closed = new Promise<never>((_, reject) =>
    this.wakeClose.signal.addEventListener('abort', () => reject(new Error('the publisher closed')), { once: true }),
  );

  constructor(private readonly cfg: Pick<Config, 'redis' | 'queue'>, client?: RedisClient) {
    super();
    this.closed.catch(() => {});
    this.ownsClient = !client;
    this.client = client ?? createRedis(cfg.redis, { maxRetriesPerRequest: 3, connectionName: 'shipwatch-publisher' });
    // Connection errors surface on add() and are reported as `retrying`; unheard, ioredis prints each one.
    if (this.ownsClient) this.client.on('error', () => {});
    this.queues = Array.from({ length: cfg.queue.shards }, (_, i) => {
      const q = new Queue(SAMPLES_QUEUE, { connection: this.client, prefix: shardPrefix(cfg.redis.prefix, i), defaultJobOptions: jobOptions(cfg.queue) });
      // Failures surface on add(); an unheard 'error' would throw.
      q.on('error', () => {});
      return q;
    });
  }

  queueOf(host: string): Queue {
    return this.queues[shardOf(host, this.queues.length)];
  }

  /** Runs the publishes of one host one after another, so each names the one before it. */
  private serial<T>(host: string, fn: () => Promise<T>): Promise<T> {
    return this.serializer.run(host, fn);
  }

  /**
   * Adds the job, trying again while Redis does not answer, until
   * queue.publishRetry after `made`: the host's later jobs wait behind it, so
   * order and the predecessor chain hold through an outage. A job given up
   * is rejected and never named as a predecessor.
   */
  private async add(host: string, name: string, data: SamplesPayload | EventPayload, jobId: string, made: number): Promise<string> {
    const deadline = made + this.cfg.queue.publishRetry;
    for (let wait = RETRY_FIRST_MS; ; wait = Math.min(wait * 2, RETRY_MAX_MS)) {
      try {
        const job = await Promise.race([this.queueOf(host).add(name, data, { jobId }), this.closed]);
        this.emit('published');
        return job.id!;
      } catch (e) {
        const why = this.closing ? 'the publisher closed' : Date.now() + wait > deadline ? 'Redis did not answer within queue.publishRetry' : '';
        if (why) {
          this.emit('dropped', jobId, why);
          throw e;
        }
        this.emit('retrying', e as Error);
        await sleep(wait, undefined, { signal: this.wakeClose.signal }).catch(() => {});
      }
    }
  }

  /** Publishes one cycle of one host. The job ID makes a repeated publish of the same cycle a no-op. */
  publishSamples(input: SamplesInput): Promise<string> {
    const made = Date.now();
    return this.serial(input.host, () => this.addSamples(input, made));
  }

  private async addSamples(input: SamplesInput, made: number): Promise<string> {
    const data: SamplesPayload = { v: PAYLOAD_VERSION, ...input, prevId: this.last.get(input.host) ?? null };
    const id = await this.add(input.host, JOB.samples, data, samplesJobId(input.host, input.time), made);
    // Advance only once added: a lost job is never named as a predecessor.
    this.last.set(input.host, id);
    return id;
  }

  /**
   * Publishes one Docker event. A fault capture still being read takes its
   * place in the host's order now: the host's later jobs wait for it.
   */
  publishEvent(input: EventInput, capture?: Promise<unknown>): Promise<string> {
    const made = Date.now();
    return this.serial(input.host, async () => this.addEvent(capture ? { ...input, capture: await capture } : input, made));
  }

  private async addEvent(input: EventInput, made: number): Promise<string> {
    const data: EventPayload = { v: PAYLOAD_VERSION, ...input, prevId: this.last.get(input.host) ?? null };
    const id = await this.add(input.host, JOB.event, data, eventJobId(input), made);
    this.last.set(input.host, id);
    return id;
  }

  /** Jobs still kept for a retry are given up at once (reported as dropped). */
  async close(): Promise<void> {
    this.closing = true;
    this.wakeClose.abort();
    await Promise.all(this.queues.map((q) => q.close()));
    if (this.ownsClient) await this.client.quit().catch(() => this.client.disconnect());
  }
}
