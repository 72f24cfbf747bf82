/**
 * The alerter's own queues and job payloads, under the alert queue's hash
 * tag. The recovery queues it shares with the agents are in
 * common/queue/actions.ts.
 */
import { jobIdPart } from '../common/queue/names.js';
import type { Notification } from './notification.js';

/** Delayed flush of one group at its scheduled time. */
export const FLUSH_QUEUE = 'alerter-flush';
/** One job per (notification, receiver, channel). */
export const DELIVERY_QUEUE = 'alerter-delivery';

export type ChannelKind = 'email' | 'webhook' | 'sms' | 'push';
export const CHANNELS: readonly ChannelKind[] = ['email', 'webhook', 'sms', 'push'];

export interface FlushJob {
  groupId: string;
  /** scheduled time: identifies this flush */
  at: number;
}

export interface DeliveryJob {
  n: Notification;
  channel: ChannelKind;
}

/** Idempotency key of one delivery: the same for every retry and re-run. */
export const deliveryId = (n: Pick<Notification, 'id' | 'receiver'>, channel: ChannelKind) => `${n.id}.${n.receiver}.${channel}`;
export const deliveryJobId = (id: string) => `d-${jobIdPart(id)}`;
