/** The delivery log: when each delivery (notification, receiver, channel) was sent, its idempotency record. */
import type { RedisClient } from '../../common/queue/connection.js';
import { RECORD_TTL_S, type StoreKeys } from './keys.js';

export class DeliveryLog {
  constructor(private readonly redis: RedisClient, private readonly keys: StoreKeys) {}

  async sentAt(deliveryId: string): Promise<number | undefined> {
    const v = await this.redis.get(this.keys.key('sent', deliveryId));
    return v ? Number(v) : undefined;
  }

  async markSent(deliveryId: string, at: number): Promise<void> {
    await this.redis.set(this.keys.key('sent', deliveryId), String(at), 'EX', RECORD_TTL_S);
  }
}
