/** What the alerter's parts share: configuration, state, queues, output. */
import type { Queue } from 'bullmq';
import type { AlerterConfig, ReceiverConfig } from '../common/config-alerter.js';
import type { Logger } from '../common/log.js';
import type { LineSink } from '../common/influx/sink.js';
import type { AlerterStores } from './store/index.js';
import type { Router } from './routing.js';
import type { AlerterMetrics } from './metrics.js';
import type { HandlingHistory } from './history.js';
import type { LabelProblemLog } from './label-problems.js';
import type { Notification } from './notification.js';
import type { SnapshotLinks } from './links.js';
import type { AlertRecord } from './record.js';
import { CHANNELS, deliveryId, deliveryJobId, type DeliveryJob, type FlushJob } from './queues.js';

export interface AlerterContext {
  cfg: AlerterConfig;
  stores: AlerterStores;
  router: Router;
  receivers: Map<string, ReceiverConfig>;
  flushQueue: Queue<FlushJob>;
  deliveryQueue: Queue<DeliveryJob>;
  writer: LineSink;
  metrics: AlerterMetrics;
  /** links to snapshot pages in notifications */
  links: SnapshotLinks;
  /** acknowledgements, silences and held-back alerts, to InfluxDB */
  history: HandlingHistory;
  /** container labels naming a receiver or recovery rule that does not exist */
  labelProblems: LabelProblemLog;
  log: Logger;
  now: () => number;
}

/** The link to an alert's snapshot page in a notification sent at `at`; '' when it has none. */
export const snapshotUrl = (ctx: AlerterContext, r: AlertRecord, at: number) => (r.msg.snapshotId ? ctx.links.url(r.msg.snapshotId, at) : '');

/** Queues one delivery per channel of the notification's receiver; adding the same notification again adds nothing. */
export async function enqueueNotification(ctx: AlerterContext, n: Notification): Promise<number> {
  const r = ctx.receivers.get(n.receiver);
  if (!r) return 0;
  const jobs = CHANNELS.filter((c) => r[c]).map((channel) => ({
    name: channel,
    data: { n, channel },
    opts: { jobId: deliveryJobId(deliveryId(n, channel)) },
  }));
  if (jobs.length) await ctx.deliveryQueue.addBulk(jobs);
  ctx.metrics.notifications.inc({ reason: n.reason });
  ctx.log.info({ notification: n.id, receiver: n.receiver, reason: n.reason, alerts: n.alerts.length, channels: jobs.map((j) => j.name) }, 'notification queued');
  return jobs.length;
}
