/**
 * The processor's points, kept in Redis while InfluxDB does not take them.
 *
 * A job commits its host's state once its points are safe: written to
 * InfluxDB, or, when a flush fails or does not finish within influx.timeout,
 * pushed to a Redis list of the processor's (`{<base>:s0}:spill:points`). A
 * processor killed during an InfluxDB outage then loses nothing: the points
 * it still held in memory are in Redis, and any processor writes them once
 * InfluxDB answers (one at a time, under a lease), removing them only after
 * they were written. Points may reach InfluxDB twice (from the writer's own
 * retry buffer and from the list): the same series and time overwrite
 * themselves.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../common/log.js';
import type { LineSink } from '../common/influx/sink.js';
import type { RedisClient } from '../common/queue/connection.js';
import { shardPrefix, SHARD_KEY } from '../common/queue/names.js';

export interface SpillOptions {
  /** how long a flush may take before its points are kept in Redis instead (influx.timeout) */
  flushWait: number;
  /** flush batches kept at most; beyond, the oldest go (influx.maxBufferLines over typical batches) */
  maxBatches: number;
  /** how often a processor looks for kept points to write */
  drainEvery: number;
}

/** Push a batch and keep the list bounded, in one step. */
const PUSH = `
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
return redis.call('LLEN', KEYS[1])`;

/** Remove the first n batches if the lease is still ours. */
const DONE = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('LTRIM', KEYS[1], tonumber(ARGV[2]), -1)
redis.call('DEL', KEYS[2])
return 1`;

type SpillClient = RedisClient & {
  swSpillPush(key: string, batch: string, max: number): Promise<number>;
  swSpillDone(key: string, lease: string, token: string, n: number): Promise<number>;
};

/** Batches written to InfluxDB per drain round. */
const DRAIN_BATCHES = 50;
const LEASE_MS = 60_000;

export const spillKey = (prefix: string) => `${shardPrefix(prefix, 0)}:${SHARD_KEY.spill}:points`;

export class SpillingSink implements LineSink {
  private batch: string[] = [];
  /** the last flush failed: later ones keep their points in Redis at once, until a drain writes again */
  private failing = false;
  private readonly redis: SpillClient;
  private readonly key: string;
  private readonly lease: string;
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  /** lines kept in Redis, and written from there */
  readonly stats = { spilled: 0, drained: 0 };

  constructor(private readonly writer: LineSink, redis: RedisClient, prefix: string, private readonly opts: SpillOptions, private readonly log: Logger) {
    redis.defineCommand('swSpillPush', { numberOfKeys: 1, lua: PUSH });
    redis.defineCommand('swSpillDone', { numberOfKeys: 2, lua: DONE });
    this.redis = redis as SpillClient;
    this.key = spillKey(prefix);
    this.lease = `${this.key}:lease`;
  }

  write(lines: string[]): void {
    this.writer.write(lines);
    for (const l of lines) this.batch.push(l);
  }

  /**
   * Resolves true once the lines written so far are safe: in InfluxDB, or in
   * Redis. Rejects only when neither took them (the job then fails and is retried).
   */
  async flush(): Promise<boolean> {
    const batch = this.batch;
    this.batch = [];
    if (!this.failing && (await this.writtenWithin(this.opts.flushWait))) return true;
    if (!batch.length) return true;
    if (!this.failing) this.log.warn({ lines: batch.length }, 'InfluxDB did not take the points; they are kept in Redis and written when it answers');
    this.failing = true;
    await this.redis.swSpillPush(this.key, batch.join('\n'), this.opts.maxBatches);
    this.stats.spilled += batch.length;
    return true;
  }

  private async writtenWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
    try {
      return await Promise.race([this.writer.flush(), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Looks for kept points every drainEvery; writes them while InfluxDB takes them. */
  start(): void {
    const tick = () => {
      this.draining = this.drain()
        .catch((e) => this.log.debug({ err: (e as Error).message }, 'points kept in Redis not written yet'))
        .finally(() => {
          this.draining = undefined;
          if (this.timer) this.timer = setTimeout(tick, this.opts.drainEvery);
        });
    };
    this.timer = setTimeout(tick, this.opts.drainEvery);
  }

  /** One round: batches from the head of the list, written, then removed; the lease keeps it to one processor. */
  async drain(): Promise<void> {
    for (;;) {
      const token = randomUUID();
      if ((await this.redis.set(this.lease, token, 'PX', LEASE_MS, 'NX')) !== 'OK') return;
      const batches = await this.redis.lrange(this.key, 0, DRAIN_BATCHES - 1);
      if (!batches.length) {
        await this.redis.swSpillDone(this.key, this.lease, token, 0);
        if (this.failing && (await this.writtenWithin(this.opts.flushWait))) this.failing = false;
        return;
      }
      const lines = batches.flatMap((b) => b.split('\n'));
      this.writer.write(lines);
      if (!(await this.writtenWithin(this.opts.flushWait))) {
        // InfluxDB still does not take them: they stay, for the next round.
        await this.redis.swSpillDone(this.key, this.lease, token, 0);
        return;
      }
      await this.redis.swSpillDone(this.key, this.lease, token, batches.length);
      this.stats.drained += lines.length;
      if (this.failing) this.log.info({ lines: this.stats.drained }, 'points kept in Redis written to InfluxDB');
      this.failing = false;
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.draining;
  }
}
