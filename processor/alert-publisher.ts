/**
 * Sends alert transitions to the alerter's queue. The job ID is derived from
 * the transition, so a job that runs twice after a crash enqueues it once.
 */
import { Queue } from 'bullmq';
import type { Config } from '../common/config.js';
import type { RedisClient } from '../common/queue/connection.js';
import { ALERTS_QUEUE, alertsPrefix } from '../common/queue/names.js';
import { ALERT_VERSION, alertJobId, type AlertMessage } from '../common/queue/alerts.js';
import { jobOptions } from '../common/queue/options.js';
import type { Transition } from './alerts.js';

export function alertMessage(host: string, tr: Transition): AlertMessage {
  const a = tr.alert;
  return {
    v: ALERT_VERSION,
    key: tr.key,
    status: tr.status,
    rule: a.rule,
    severity: a.severity,
    host,
    container: a.container,
    containerId: a.containerId,
    summary: a.summary,
    value: a.value !== null && Number.isFinite(a.value) ? a.value : null,
    labels: a.labels,
    startsAt: a.startsAt,
    endsAt: tr.status === 'resolved' ? tr.time : null,
    snapshotId: a.snapshotId,
    snapshot: tr.snapshot ?? null,
    ...(a.route ? { route: a.route } : {}),
    ...(a.recovery ? { recovery: a.recovery } : {}),
  };
}

export class AlertPublisher {
  readonly queue: Queue;

  constructor(client: RedisClient, cfg: Pick<Config, 'redis' | 'queue'>) {
    // Alerts are few and matter: keep the completed ones too (bounded) for the alerter's history.
    this.queue = new Queue(ALERTS_QUEUE, {
      connection: client,
      prefix: alertsPrefix(cfg.redis.prefix),
      defaultJobOptions: { ...jobOptions(cfg.queue), attempts: 10, removeOnComplete: { count: 10_000 } },
    });
    this.queue.on('error', () => {});
  }

  async publish(host: string, transitions: Transition[]): Promise<void> {
    if (transitions.length === 0) return;
    await this.queue.addBulk(
      transitions.map((tr) => {
        const data = alertMessage(host, tr);
        return { name: data.status, data, opts: { jobId: alertJobId(data) } };
      }),
    );
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
