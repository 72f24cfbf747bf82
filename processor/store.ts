/**
 * Host state in Redis: one document per host (processor/state.ts), under the host's shard
 * hash tag (same slot as its queue). A job takes the host's lock and reads the
 * state in one round trip, and commits the new state and releases the lock in
 * one script that first checks it still holds the lock: a worker that stalled
 * past the lock's life cannot overwrite what another applied since.
 */
import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../common/queue/connection.js';
import { shardPrefix, SHARD_KEY } from '../common/queue/names.js';
import { parseCapture, type FaultCapture } from '../common/capture.js';

const COMMIT = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
return 1`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface Locked {
  /** false: another job of this host holds the lock */
  locked: boolean;
  raw: Buffer | null;
  token: string;
}

type ScriptClient = RedisClient & {
  swCommit(stateKey: string, lockKey: string, token: string, state: Buffer, ttl: number): Promise<number>;
  swRelease(lockKey: string, token: string): Promise<number>;
};

export class StateStore {
  private readonly redis: ScriptClient;

  constructor(
    redis: RedisClient,
    private readonly prefix: string,
    private readonly opts: { stateTtl: number; lockTtl: number },
  ) {
    redis.defineCommand('swCommit', { numberOfKeys: 2, lua: COMMIT });
    redis.defineCommand('swRelease', { numberOfKeys: 1, lua: RELEASE });
    this.redis = redis as ScriptClient;
  }

  stateKey(shard: number, host: string) {
    return `${shardPrefix(this.prefix, shard)}:${SHARD_KEY.state}:${host}`;
  }

  lockKey(shard: number, host: string) {
    return `${shardPrefix(this.prefix, shard)}:${SHARD_KEY.lock}:${host}`;
  }

  async lockAndRead(shard: number, host: string): Promise<Locked> {
    const token = randomUUID();
    const res = await this.redis
      .pipeline()
      .set(this.lockKey(shard, host), token, 'PX', this.opts.lockTtl, 'NX')
      .getBuffer(this.stateKey(shard, host))
      .exec();
    if (!res) throw new Error('Redis pipeline returned nothing');
    for (const [err] of res) if (err) throw err;
    return { locked: res[0][1] === 'OK', raw: res[1][1] as Buffer | null, token };
  }

  /** Writes the state and releases the lock; false when the lock was lost (nothing written). */
  async commit(shard: number, host: string, token: string, state: Buffer): Promise<boolean> {
    const ok = await this.redis.swCommit(this.stateKey(shard, host), this.lockKey(shard, host), token, state, this.opts.stateTtl);
    return ok === 1;
  }

  async release(shard: number, host: string, token: string): Promise<void> {
    await this.redis.swRelease(this.lockKey(shard, host), token);
  }

  captureKey(shard: number, host: string, containerId: string) {
    return `${shardPrefix(this.prefix, shard)}:${SHARD_KEY.capture}:${host}:${containerId}`;
  }

  /**
   * Keeps a container's latest fault capture for `ttl` ms, apart from the
   * host's state (it is large, and needed only when a fault fires): a died
   * fault fires stopGrace after the event that brought it.
   */
  async putCapture(shard: number, host: string, containerId: string, capture: FaultCapture, ttl: number): Promise<void> {
    await this.redis.set(this.captureKey(shard, host, containerId), JSON.stringify(capture), 'PX', ttl);
  }

  /** The container's latest capture; undefined when there is none or it does not read back. */
  async getCapture(shard: number, host: string, containerId: string): Promise<FaultCapture | undefined> {
    const raw = await this.redis.get(this.captureKey(shard, host, containerId));
    if (!raw) return undefined;
    try {
      const p = parseCapture(JSON.parse(raw));
      return p.ok ? p.value : undefined;
    } catch {
      return undefined;
    }
  }

  /** The stored state document of a host (for tools and tests). */
  async read(shard: number, host: string): Promise<Buffer | null> {
    return this.redis.getBuffer(this.stateKey(shard, host));
  }
}
