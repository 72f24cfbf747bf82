/** The recovery limits: cooldowns and attempts per container, actions claimed per alert state, and where each run's outcome goes. */
import type { RedisClient } from '../../common/queue/connection.js';
import { RECORD_TTL_S, type StoreKeys } from './keys.js';

const COUNT_ATTEMPT = `
local n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`;

export class RecoveryStore {
  constructor(private readonly redis: RedisClient, private readonly keys: StoreKeys) {}

  /** Takes the container's cooldown; false while one runs. */
  async takeCooldown(target: string, ms: number): Promise<boolean> {
    if (ms <= 0) return true;
    return (await this.redis.set(this.keys.key('cool', target), '1', 'PX', ms, 'NX')) === 'OK';
  }

  /**
   * Counts an attempt on the container within the window; returns the count including this one.
   * One script, so atomic: the counter never exists without its expiry, and one a crash left without
   * one (between two separate calls, as once done) gets it back.
   */
  async countAttempt(target: string, windowMs: number): Promise<number> {
    return Number(await this.redis.eval(COUNT_ATTEMPT, 1, this.keys.key('tries', target), String(windowMs)));
  }

  /** The action dispatched for an alert state, so a re-run of its job dispatches nothing twice. */
  async claimAction(id: string): Promise<boolean> {
    return (await this.redis.set(this.keys.key('action', id), '1', 'EX', RECORD_TTL_S, 'NX')) === 'OK';
  }

  /** Where the outcome of a run is sent: the alert's routes' receivers. */
  async setRunReceivers(runId: string, receivers: string[]): Promise<void> {
    await this.redis.set(this.keys.key('runrcv', runId), JSON.stringify(receivers), 'EX', RECORD_TTL_S);
  }

  /** Whether this alerter queued the run (its receivers were recorded when it did). */
  async runQueued(runId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.key('runrcv', runId))) === 1;
  }

  async runReceivers(runId: string): Promise<string[]> {
    const v = await this.redis.get(this.keys.key('runrcv', runId));
    return v ? (JSON.parse(v) as string[]) : [];
  }
}
