/**
 * The alerter's state in Redis, under the alert queue's hash tag (one Cluster
 * slot, so the few multi-key scripts work there too): alert records, groups,
 * silences, delivery records and the recovery limits.
 */
import type { RedisClient } from '../common/queue/connection.js';
import { alertsPrefix } from '../common/queue/names.js';
import type { AlertRecord } from './record.js';
import type { Notified } from './dedup.js';
import type { Silence } from './silences.js';

export interface GroupState {
  id: string;
  routeId: string;
  labels: Record<string, string>;
  /** scheduled time of the pending flush, 0: none */
  pending: number;
  notified: Notified | null;
  /** flushed at least once: later additions wait groupInterval, not groupWait */
  flushed: boolean;
}

/** Resolved alerts stay listed this long. */
const RESOLVED_KEEP_MS = 7 * 86_400_000;
/** Delivery records outlive any retry of the delivery. */
const SENT_TTL_S = 14 * 86_400;

// Claims the flush slot of a group: sets pending when none is set; returns the pending time.
const CLAIM = `
local cur = tonumber(redis.call('HGET', KEYS[1], 'pending') or '0')
if cur == 0 then
  redis.call('HSET', KEYS[1], 'pending', ARGV[1])
  return tonumber(ARGV[1])
end
return cur`;

export class AlerterStore {
  readonly base: string;

  constructor(readonly redis: RedisClient, prefix: string) {
    this.base = `${alertsPrefix(prefix)}:alerter`;
  }

  private k(...parts: string[]) {
    return [this.base, ...parts].join(':');
  }

  // --- alerts

  async getAlert(key: string): Promise<AlertRecord | undefined> {
    const s = await this.redis.hget(this.k('alerts'), key);
    return s ? (JSON.parse(s) as AlertRecord) : undefined;
  }

  async putAlert(r: AlertRecord): Promise<void> {
    await this.redis.hset(this.k('alerts'), r.msg.key, JSON.stringify(r));
  }

  async alerts(): Promise<AlertRecord[]> {
    const all = await this.redis.hgetall(this.k('alerts'));
    return Object.values(all).map((s) => JSON.parse(s) as AlertRecord);
  }

  /** Forgets alerts resolved long ago. */
  async prune(now: number): Promise<number> {
    const old = (await this.alerts()).filter((r) => r.msg.status === 'resolved' && (r.msg.endsAt ?? r.receivedAt) < now - RESOLVED_KEEP_MS);
    if (old.length) await this.redis.hdel(this.k('alerts'), ...old.map((r) => r.msg.key));
    return old.length;
  }

  // --- groups

  async group(id: string): Promise<GroupState | undefined> {
    const h = await this.redis.hgetall(this.k('group', id));
    if (!h.routeId) return undefined;
    return {
      id,
      routeId: h.routeId,
      labels: JSON.parse(h.labels ?? '{}'),
      pending: Number(h.pending ?? 0),
      notified: h.notified ? JSON.parse(h.notified) : null,
      flushed: h.flushed === '1',
    };
  }

  async members(id: string): Promise<string[]> {
    return this.redis.smembers(this.k('gm', id));
  }

  /** Adds an alert to a group (created when new); returns the group. */
  async join(id: string, routeId: string, labels: Record<string, string>, alertKey: string): Promise<GroupState> {
    await this.redis.hsetnx(this.k('group', id), 'routeId', routeId);
    await this.redis.hsetnx(this.k('group', id), 'labels', JSON.stringify(labels));
    await this.redis.sadd(this.k('gm', id), alertKey);
    return (await this.group(id))!;
  }

  /** Sets the pending flush to `at` unless one is pending; returns the pending time. */
  async claimFlush(id: string, at: number): Promise<number> {
    return Number(await this.redis.eval(CLAIM, 1, this.k('group', id), String(at)));
  }

  async afterFlush(id: string, notified: Notified | null, drop: string[], nextAt: number): Promise<void> {
    const m = this.redis.multi();
    if (drop.length) m.srem(this.k('gm', id), ...drop);
    m.hset(this.k('group', id), 'notified', JSON.stringify(notified), 'flushed', '1', 'pending', String(nextAt));
    await m.exec();
  }

  async deleteGroup(id: string): Promise<void> {
    await this.redis.del(this.k('group', id), this.k('gm', id));
  }

  // --- silences

  async silences(): Promise<Silence[]> {
    const all = await this.redis.hgetall(this.k('silences'));
    return Object.values(all).map((s) => JSON.parse(s) as Silence);
  }

  async putSilence(s: Silence): Promise<void> {
    await this.redis.hset(this.k('silences'), s.id, JSON.stringify(s));
  }

  async deleteSilence(id: string): Promise<boolean> {
    return (await this.redis.hdel(this.k('silences'), id)) > 0;
  }

  // --- deliveries: the idempotency record of (notification, receiver, channel)

  async sentAt(deliveryId: string): Promise<number | undefined> {
    const v = await this.redis.get(this.k('sent', deliveryId));
    return v ? Number(v) : undefined;
  }

  async markSent(deliveryId: string, at: number): Promise<void> {
    await this.redis.set(this.k('sent', deliveryId), String(at), 'EX', SENT_TTL_S);
  }

  // --- recovery limits

  /** Takes the container's cooldown; false while one runs. */
  async takeCooldown(target: string, ms: number): Promise<boolean> {
    if (ms <= 0) return true;
    return (await this.redis.set(this.k('cool', target), '1', 'PX', ms, 'NX')) === 'OK';
  }

  /** Counts an attempt on the container within the window; returns the count including this one. */
  async countAttempt(target: string, windowMs: number): Promise<number> {
    const key = this.k('tries', target);
    const n = await this.redis.incr(key);
    if (n === 1) await this.redis.pexpire(key, windowMs);
    return n;
  }

  /** The action dispatched for an alert state, so a re-run of its job dispatches nothing twice. */
  async claimAction(id: string): Promise<boolean> {
    return (await this.redis.set(this.k('action', id), '1', 'EX', SENT_TTL_S, 'NX')) === 'OK';
  }

  /** Where the outcome of a run is sent: the alert's routes' receivers. */
  async setRunReceivers(runId: string, receivers: string[]): Promise<void> {
    await this.redis.set(this.k('runrcv', runId), JSON.stringify(receivers), 'EX', SENT_TTL_S);
  }

  async runReceivers(runId: string): Promise<string[]> {
    const v = await this.redis.get(this.k('runrcv', runId));
    return v ? (JSON.parse(v) as string[]) : [];
  }
}
