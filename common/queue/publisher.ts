/**
 * The producer side of the samples queues: one job per host and cycle, one per
 * Docker event, to the shard of the host. Each job names the previous job of
 * its host, of either kind (prevId), so that workers apply a host's jobs in
 * the order they were published.
 */
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

export class SamplesPublisher {
  private readonly queues: Queue[];
  private readonly client: RedisClient;
  private readonly ownsClient: boolean;
  /** last job published per host: the predecessor named by the next one */
  private readonly last = new Map<string, string>();
  private readonly serializer = new Serializer();

  constructor(private readonly cfg: Pick<Config, 'redis' | 'queue'>, client?: RedisClient) {
    this.ownsClient = !client;
    this.client = client ?? createRedis(cfg.redis, { maxRetriesPerRequest: 3, connectionName: 'shipwatch-publisher' });
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

  /** Publishes one cycle of one host. The job ID makes a repeated publish of the same cycle a no-op. */
  publishSamples(input: SamplesInput): Promise<string> {
    return this.serial(input.host, () => this.addSamples(input));
  }

  private async addSamples(input: SamplesInput): Promise<string> {
    const data: SamplesPayload = { v: PAYLOAD_VERSION, ...input, prevId: this.last.get(input.host) ?? null };
    const job = await this.queueOf(input.host).add(JOB.samples, data, { jobId: samplesJobId(input.host, input.time) });
    // Advance only once added: a lost job is never named as a predecessor.
    this.last.set(input.host, job.id!);
    return job.id!;
  }

  /**
   * Publishes one Docker event. A fault capture still being read takes its
   * place in the host's order now: the host's later jobs wait for it.
   */
  publishEvent(input: EventInput, capture?: Promise<unknown>): Promise<string> {
    return this.serial(input.host, async () => this.addEvent(capture ? { ...input, capture: await capture } : input));
  }

  private async addEvent(input: EventInput): Promise<string> {
    const data: EventPayload = { v: PAYLOAD_VERSION, ...input, prevId: this.last.get(input.host) ?? null };
    const job = await this.queueOf(input.host).add(JOB.event, data, { jobId: eventJobId(input) });
    this.last.set(input.host, job.id!);
    return job.id!;
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.close()));
    if (this.ownsClient) await this.client.quit().catch(() => this.client.disconnect());
  }
}
