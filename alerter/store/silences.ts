/** Silences, by ID. */
import type { RedisClient } from '../../common/queue/connection.js';
import type { Silence } from '../silences.js';
import type { StoreKeys } from './keys.js';

export class SilenceStore {
  private readonly hash: string;

  constructor(private readonly redis: RedisClient, keys: StoreKeys) {
    this.hash = keys.key('silences');
  }

  async all(): Promise<Silence[]> {
    const all = await this.redis.hgetall(this.hash);
    return Object.values(all).map((s) => JSON.parse(s) as Silence);
  }

  async get(id: string): Promise<Silence | undefined> {
    const s = await this.redis.hget(this.hash, id);
    return s ? (JSON.parse(s) as Silence) : undefined;
  }

  async put(s: Silence): Promise<void> {
    await this.redis.hset(this.hash, s.id, JSON.stringify(s));
  }

  async delete(id: string): Promise<boolean> {
    return (await this.redis.hdel(this.hash, id)) > 0;
  }
}
