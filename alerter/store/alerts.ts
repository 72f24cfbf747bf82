/** Alert records: the latest transition of each alert and its acknowledgement, by alert key. */
import type { RedisClient } from '../../common/queue/connection.js';
import type { AlertRecord } from '../record.js';
import type { StoreKeys } from './keys.js';

/** Resolved alerts stay listed this long. */
const RESOLVED_KEEP_MS = 7 * 86_400_000;

export class AlertStore {
  private readonly hash: string;

  constructor(private readonly redis: RedisClient, keys: StoreKeys) {
    this.hash = keys.key('alerts');
  }

  async get(key: string): Promise<AlertRecord | undefined> {
    const s = await this.redis.hget(this.hash, key);
    return s ? (JSON.parse(s) as AlertRecord) : undefined;
  }

  async put(r: AlertRecord): Promise<void> {
    await this.redis.hset(this.hash, r.msg.key, JSON.stringify(r));
  }

  async all(): Promise<AlertRecord[]> {
    const all = await this.redis.hgetall(this.hash);
    return Object.values(all).map((s) => JSON.parse(s) as AlertRecord);
  }

  /** Forgets alerts resolved long ago. */
  async prune(now: number): Promise<number> {
    const old = (await this.all()).filter((r) => r.msg.status === 'resolved' && (r.msg.endsAt ?? r.receivedAt) < now - RESOLVED_KEEP_MS);
    if (old.length) await this.redis.hdel(this.hash, ...old.map((r) => r.msg.key));
    return old.length;
  }
}
