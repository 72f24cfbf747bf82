/** The alerter's Prometheus metrics (prom-client), served on /metrics. */
import { Registry, Counter, Gauge, collectDefaultMetrics } from 'prom-client';

export class AlerterMetrics {
  readonly registry = new Registry();
  readonly alerts = new Counter({ name: 'shipwatch_alerter_alerts_total', help: 'Alert transitions taken from the queue, by status and change', labelNames: ['status', 'change'], registers: [this.registry] });
  readonly deliveries = new Counter({ name: 'shipwatch_alerter_deliveries_total', help: 'Delivery attempts by receiver, channel and outcome', labelNames: ['receiver', 'channel', 'outcome'], registers: [this.registry] });
  readonly deliveryFailures = new Counter({ name: 'shipwatch_alerter_delivery_failures_total', help: 'Deliveries that failed for good (all attempts used)', labelNames: ['receiver', 'channel'], registers: [this.registry] });
  readonly notifications = new Counter({ name: 'shipwatch_alerter_notifications_total', help: 'Notifications planned by group flushes, by reason', labelNames: ['reason'], registers: [this.registry] });
  readonly recoveryRuns = new Counter({ name: 'shipwatch_alerter_recovery_runs_total', help: 'Recovery runs reported by agents, by action, outcome and recovered', labelNames: ['action', 'outcome', 'recovered'], registers: [this.registry] });
  readonly recoverySkipped = new Counter({ name: 'shipwatch_alerter_recovery_skipped_total', help: 'Recovery actions not queued, by reason (cooldown, attempts, silenced)', labelNames: ['reason'], registers: [this.registry] });
  readonly unrouted = new Counter({ name: 'shipwatch_alerter_unrouted_alerts_total', help: 'Firing alerts no receiver was routed to (they reached no one)', registers: [this.registry] });
  readonly queueDepth: Gauge;

  /** `depths` is read when scraped (queue depths are not polled): queue → state → jobs. */
  constructor(depths: () => Promise<Record<string, Record<string, number>>>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'shipwatch_alerter_' });
    this.queueDepth = new Gauge({
      name: 'shipwatch_alerter_queue_jobs',
      help: 'Jobs in the alert queue and the alerter queues, by queue and state',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [queue, counts] of Object.entries(await depths())) {
          for (const [state, n] of Object.entries(counts)) this.set({ queue, state }, n);
        }
      },
    });
  }
}
