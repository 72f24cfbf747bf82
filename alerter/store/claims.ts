/** One-time claims: the first caller of claim(kind, id) gets true, every later one false (kept 14 days). */
import type { RedisClient } from '../../common/queue/connection.js';
import { RECORD_TTL_S, type StoreKeys } from './keys.js';

export class ClaimStore {
  constructor(private readonly redis: RedisClient, private readonly keys: StoreKeys) {}

  async claim(kind: string, id: string): Promise<boolean> {
    return (await this.redis.set(this.keys.key('claim', kind, id), '1', 'EX', RECORD_TTL_S, 'NX')) === 'OK';
  }
}
