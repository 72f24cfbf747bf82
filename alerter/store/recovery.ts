/** The recovery limits: cooldowns and attempts per container, actions claimed per alert state, and where each run's outcome goes. */
import type { RedisClient } from '../../common/queue/connection.js';
import { RECORD_TTL_S, type StoreKeys } from './keys.js';

export class RecoveryStore {
  constructor(private readonly redis: RedisClient, private readonly keys: StoreKeys) {}

  /** Takes the container's cooldown; false while one runs. */
  async takeCooldown(target: string, ms: number): Promise<boolean> {
    if (ms <= 0) return true;
    return (await this.redis.set(this.keys.key('cool', target), '1', 'PX', ms, 'NX')) === 'OK';
  }

  /** Counts an attempt on the container within the window; returns the count including this one. */
  async countAttempt(target: string, windowMs: number): Promise<number> {
    const key = this.keys.key('tries', target);
    const n = await this.redis.incr(key);
    if (n === 1) await this.redis.pexpire(key, windowMs);
    return n;
  }

  /** The action dispatched for an alert state, so a re-run of its job dispatches nothing twice. */
  async claimAction(id: string): Promise<boolean> {
    return (await this.redis.set(this.keys.key('action', id), '1', 'EX', RECORD_TTL_S, 'NX')) === 'OK';
  }

  /** Where the outcome of a run is sent: the alert's routes' receivers. */
  async setRunReceivers(runId: string, receivers: string[]): Promise<void> {
    await this.redis.set(this.keys.key('runrcv', runId), JSON.stringify(receivers), 'EX', RECORD_TTL_S);
  }

  async runReceivers(runId: string): Promise<string[]> {
    const v = await this.redis.get(this.keys.key('runrcv', runId));
    return v ? (JSON.parse(v) as string[]) : [];
  }
}
