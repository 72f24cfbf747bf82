/**
 * What the alerter keeps per alert (pure): its latest transition and any
 * acknowledgement, and how a new transition changes it. Duplicates (the same
 * state again) and stale messages (an older life of the alert) change nothing.
 */
import type { AlertMessage } from '../common/queue/alerts.js';

export interface Ack {
  by: string;
  comment: string;
  at: number;
  /** the life of the alert acknowledged: a new firing needs a new acknowledgement */
  startsAt: number;
}

export interface AlertRecord {
  msg: AlertMessage;
  receivedAt: number;
  ack: Ack | null;
}

/** One state of one alert: identity of what a notification told. */
export const stateId = (m: Pick<AlertMessage, 'key' | 'startsAt' | 'status'>) => `${m.key}@${m.startsAt}`;

export const isAcked = (r: AlertRecord) => r.ack !== null && r.ack.startsAt === r.msg.startsAt;

export type Change = 'new' | 'changed' | 'duplicate' | 'stale';

export function applyTransition(prev: AlertRecord | undefined, msg: AlertMessage, now: number): { change: Change; record: AlertRecord } {
  if (!prev) return { change: 'new', record: { msg, receivedAt: now, ack: null } };
  const p = prev.msg;
  if (msg.startsAt < p.startsAt) return { change: 'stale', record: prev };
  if (msg.startsAt === p.startsAt) {
    if (msg.status === p.status) return { change: 'duplicate', record: prev };
    // A firing that arrives after the resolve of the same life is late.
    if (p.status === 'resolved') return { change: 'stale', record: prev };
  }
  const ack = prev.ack && prev.ack.startsAt === msg.startsAt ? prev.ack : null;
  // Only the firing carries the snapshot's facts: the resolve of the same life keeps them.
  const snapshot = msg.snapshot ?? (msg.startsAt === p.startsAt ? p.snapshot : null) ?? null;
  return { change: 'changed', record: { msg: { ...msg, snapshot }, receivedAt: now, ack } };
}
