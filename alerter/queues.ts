/**
 * The alerter's own queues and job payloads. They live under the alert
 * queue's hash tag, except each host's action queue, which has its own so
 * that agents on different hosts may sit on different Cluster nodes.
 */
import { prefixBase, alertsPrefix, jobIdPart } from '../common/queue/names.js';
import type { Notification } from './notification.js';
import type { ActionFacts } from './script-env.js';

/** Delayed flush of one group at its scheduled time. */
export const FLUSH_QUEUE = 'alerter-flush';
/** One job per (notification, receiver, channel). */
export const DELIVERY_QUEUE = 'alerter-delivery';
/** Outcomes of recovery runs, agents → alerter. */
export const RESULTS_QUEUE = 'alerter-action-results';
/** Recovery actions for one host's agent. */
export const ACTIONS_QUEUE = 'actions';

export { alertsPrefix };
export const agentPrefix = (prefix: string, host: string) => `{${prefixBase(prefix)}:agent:${host.replace(/[{}]/g, '_')}}`;

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

export interface ActionJob {
  runId: string;
  /** the action rule's name */
  action: string;
  script?: string;
  args: string[];
  docker?: 'restart' | 'stop' | 'start';
  facts: ActionFacts;
  queuedAt: number;
}

export type RunOutcome = 'ok' | 'failed' | 'timeout' | 'error';

export interface ActionResult {
  runId: string;
  action: string;
  command: string;
  host: string;
  facts: ActionFacts;
  outcome: RunOutcome;
  exitCode: number | null;
  signal: string | null;
  startedAt: number;
  endedAt: number;
  /** null: not checked (e.g. a stop action, or the run failed) */
  recovered: boolean | null;
  detail: string;
}
