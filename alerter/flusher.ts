/**
 * Runs one scheduled flush of a group: works out what its receiver must be
 * told (silences and inhibition applied, dedup in dedup.ts), queues the
 * deliveries and schedules the next flush groupInterval later while alerts
 * remain. Everything derives from the flush's scheduled time, so a flush run
 * again after a crash queues the same deliveries (same job IDs) or none.
 */
import { planFlush } from './dedup.js';
import { alertLabels } from '../common/queue/alerts.js';
import { silencedBy } from './silences.js';
import { inhibitedBy } from './inhibit.js';
import { notifiedAlert, NOTIFICATION_VERSION, type Notification } from './notification.js';
import { enqueueNotification, snapshotUrl, type AlerterContext } from './context.js';
import { flushJobId } from './ingest.js';
import type { FlushJob } from './queues.js';
import type { AlertRecord } from './record.js';
import type { Hold } from './history.js';

export class GroupFlusher {
  constructor(private readonly ctx: AlerterContext) {}

  /** The alerts silenced or inhibited now, by key, with what holds them. */
  async muted(records: AlertRecord[], now: number): Promise<Map<string, Hold>> {
    const { stores, cfg } = this.ctx;
    const silences = await stores.silences.all();
    const firing = cfg.inhibit.length
      ? (await stores.alerts.all()).filter((r) => r.msg.status === 'firing').map((r) => ({ key: r.msg.key, labels: alertLabels(r.msg) }))
      : [];
    const out = new Map<string, Hold>();
    for (const r of records) {
      const labels = alertLabels(r.msg);
      const ids = silencedBy(labels, silences, now);
      const source = ids.length ? undefined : inhibitedBy(labels, r.msg.key, firing, cfg.inhibit);
      if (ids.length) out.set(r.msg.key, { silences: ids });
      else if (source) out.set(r.msg.key, { inhibitedBy: source });
    }
    return out;
  }

  async handle(job: FlushJob): Promise<string> {
    const { stores, router, log } = this.ctx;
    const group = await stores.groups.get(job.groupId);
    if (!group || group.pending !== job.at) return 'stale';
    const route = router.byId(group.routeId);
    if (!route) {
      // The route tree changed under the group: its alerts join current groups when they next change.
      await stores.groups.delete(group.id);
      return 'route gone';
    }
    const keys = await stores.groups.members(group.id);
    const records = (await Promise.all(keys.map((k) => stores.alerts.get(k)))).filter((r): r is AlertRecord => !!r);
    const receiver = this.ctx.receivers.get(route.receiver);
    const now = this.ctx.now();
    const muted = await this.muted(records, now);
    for (const r of records) {
      const hold = muted.get(r.msg.key);
      if (hold && r.msg.status === 'firing') await this.ctx.history.held(r, hold, 'notification', job.at);
    }
    const plan = planFlush({
      records,
      muted: new Set(muted.keys()),
      prev: group.notified,
      now: job.at,
      repeatInterval: route.repeatInterval,
      sendResolved: receiver?.sendResolved ?? true,
    });
    if (plan.reason && route.receiver) {
      const g = this.ctx.cfg.grafana;
      const n: Notification = {
        v: NOTIFICATION_VERSION,
        id: `n-${group.id}-${job.at}`,
        kind: 'alert',
        status: plan.firing.length ? 'firing' : 'resolved',
        reason: plan.reason,
        receiver: route.receiver,
        groupKey: group.id,
        groupLabels: group.labels,
        alerts: [...plan.firing, ...plan.resolved].map((r) => notifiedAlert(r, g, undefined, snapshotUrl(this.ctx, r, job.at))),
        time: job.at,
        recovery: null,
      };
      await enqueueNotification(this.ctx, n);
    }
    const gone = new Set(plan.drop);
    const remaining = keys.filter((k) => !gone.has(k) && records.some((r) => r.msg.key === k));
    if (remaining.length === 0) {
      await stores.groups.delete(group.id);
      return plan.reason ?? 'quiet';
    }
    // After a long stop, skip the missed ticks rather than running them all.
    let next = job.at + route.groupInterval;
    if (next < now) next = now + route.groupInterval - ((now - job.at) % route.groupInterval);
    // The next job first: a crash before the state is written leaves a spare job, never none.
    await this.ctx.flushQueue.add('flush', { groupId: group.id, at: next }, { jobId: flushJobId(group.id, next), delay: Math.max(0, next - now) });
    await stores.groups.afterFlush(group.id, plan.notified, plan.drop, next, plan.reason === 'new' && route.receiver ? job.at : undefined);
    log.debug({ group: group.id, reason: plan.reason, next }, 'group flushed');
    return plan.reason ?? 'quiet';
  }
}
