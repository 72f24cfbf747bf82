/**
 * What a group flush sends (pure), after Alertmanager's dedup stage: notify
 * when a firing alert is new to the receiver, when alerts it was told about
 * resolved (send_resolved), or when repeatInterval passed since the last
 * notification and some firing alert is not acknowledged.
 */
import { stateId, isAcked, type AlertRecord } from './record.js';

/** What the group's receiver was last told. */
export interface Notified {
  firing: string[];
  resolved: string[];
  /** flush time of that notification */
  at: number;
}

export type Reason = 'new' | 'resolved' | 'repeat';

export interface FlushInput {
  records: AlertRecord[];
  /** keys of alerts silenced or inhibited now */
  muted: ReadonlySet<string>;
  prev: Notified | null;
  /** the flush's scheduled time: the same on a retried flush */
  now: number;
  repeatInterval: number;
  sendResolved: boolean;
}

export interface FlushPlan {
  reason: Reason | null;
  firing: AlertRecord[];
  /** resolved alerts the receiver had been told were firing */
  resolved: AlertRecord[];
  notified: Notified | null;
  /** alert keys leaving the group: resolved and handled */
  drop: string[];
}

export function planFlush(i: FlushInput): FlushPlan {
  const firing = i.records.filter((r) => r.msg.status === 'firing' && !i.muted.has(r.msg.key));
  const resolvedAll = i.records.filter((r) => r.msg.status === 'resolved');
  const drop = resolvedAll.map((r) => r.msg.key);
  const told = new Set(i.prev?.firing ?? []);
  const resolved = resolvedAll.filter((r) => told.has(stateId({ ...r.msg, status: 'firing' })));
  const firingIds = firing.map((r) => stateId(r.msg));
  const resolvedIds = resolved.map((r) => stateId(r.msg));
  const sent = (reason: Reason): FlushPlan => ({
    reason, firing, resolved, drop, notified: { firing: firingIds, resolved: resolvedIds, at: i.now },
  });
  const quiet = (notified: Notified | null): FlushPlan => ({ reason: null, firing, resolved, drop, notified });

  if (!i.prev) return firing.length ? sent('new') : quiet(null);
  if (firingIds.some((id) => !told.has(id))) return sent('new');
  if (firing.length === 0) {
    // Everything the receiver knew of resolved (or is muted now).
    if (resolved.length === 0) return quiet(i.prev);
    return i.sendResolved ? sent('resolved') : quiet({ firing: [], resolved: resolvedIds, at: i.now });
  }
  if (resolved.length && i.sendResolved) return sent('resolved');
  if (i.now - i.prev.at >= i.repeatInterval && firing.some((r) => !isAcked(r))) return sent('repeat');
  // Drop resolved ones from what the receiver knows as firing, keep the rest.
  return quiet(resolved.length ? { ...i.prev, firing: firingIds } : i.prev);
}
