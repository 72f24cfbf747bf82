/** Notification groups: each group's route, labels, pending flush and what its receiver was told; and its members. */
import type { RedisClient } from '../../common/queue/connection.js';
import type { Notified } from '../dedup.js';
import type { StoreKeys } from './keys.js';

export interface GroupState {
  id: string;
  routeId: string;
  labels: Record<string, string>;
  /** scheduled time of the pending flush, 0: none */
  pending: number;
  notified: Notified | null;
  /** flushed at least once: later additions wait groupInterval, not groupWait */
  flushed: boolean;
  /** time of the last notification that announced new firing alerts, 0: none */
  newAt: number;
}

// Claims the flush slot of a group: sets pending when none is set; returns the pending time.
const CLAIM = `
local cur = tonumber(redis.call('HGET', KEYS[1], 'pending') or '0')
if cur == 0 then
  redis.call('HSET', KEYS[1], 'pending', ARGV[1])
  return tonumber(ARGV[1])
end
return cur`;

// Brings the group's flush forward to ARGV[1] unless one is pending at or before it; returns the pending time.
const ADVANCE = `
local cur = tonumber(redis.call('HGET', KEYS[1], 'pending') or '0')
local at = tonumber(ARGV[1])
if cur == 0 or cur > at then
  redis.call('HSET', KEYS[1], 'pending', ARGV[1])
  return at
end
return cur`;

export class GroupStore {
  constructor(private readonly redis: RedisClient, private readonly keys: StoreKeys) {}

  private state(id: string) {
    return this.keys.key('group', id);
  }

  private memberSet(id: string) {
    return this.keys.key('gm', id);
  }

  async get(id: string): Promise<GroupState | undefined> {
    const h = await this.redis.hgetall(this.state(id));
    if (!h.routeId) return undefined;
    return {
      id,
      routeId: h.routeId,
      labels: JSON.parse(h.labels ?? '{}'),
      pending: Number(h.pending ?? 0),
      notified: h.notified ? JSON.parse(h.notified) : null,
      flushed: h.flushed === '1',
      newAt: Number(h.newAt ?? 0),
    };
  }

  async members(id: string): Promise<string[]> {
    return this.redis.smembers(this.memberSet(id));
  }

  /** Adds an alert to a group (created when new); returns the group. */
  async join(id: string, routeId: string, labels: Record<string, string>, alertKey: string): Promise<GroupState> {
    await this.redis.hsetnx(this.state(id), 'routeId', routeId);
    await this.redis.hsetnx(this.state(id), 'labels', JSON.stringify(labels));
    await this.redis.sadd(this.memberSet(id), alertKey);
    return (await this.get(id))!;
  }

  /** Sets the pending flush to `at` unless one is pending; returns the pending time. */
  async claimFlush(id: string, at: number): Promise<number> {
    return Number(await this.redis.eval(CLAIM, 1, this.state(id), String(at)));
  }

  /** Sets the pending flush to `at` unless one is pending at or before it; returns the pending time. */
  async advanceFlush(id: string, at: number): Promise<number> {
    return Number(await this.redis.eval(ADVANCE, 1, this.state(id), String(at)));
  }

  /** `newAt`: the flush announced new firing alerts at this time. */
  async afterFlush(id: string, notified: Notified | null, drop: string[], nextAt: number, newAt?: number): Promise<void> {
    const m = this.redis.multi();
    if (drop.length) m.srem(this.memberSet(id), ...drop);
    m.hset(this.state(id), 'notified', JSON.stringify(notified), 'flushed', '1', 'pending', String(nextAt));
    if (newAt !== undefined) m.hset(this.state(id), 'newAt', String(newAt));
    await m.exec();
  }

  async delete(id: string): Promise<void> {
    await this.redis.del(this.state(id), this.memberSet(id));
  }
}
