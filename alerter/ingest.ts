/**
 * Takes one alert transition from the processor: records it (duplicates and
 * stale messages change nothing), adds it to the group of each route it
 * matches, schedules the group's flush when flushtime.ts says (a delayed job
 * in Redis, so the timer survives a restart), and hands firing alerts to the
 * recovery dispatcher.
 */
import { UnrecoverableError } from 'bullmq';
import { AlertMessageSchema, alertLabels, type AlertMessage } from '../common/queue/alerts.js';
import { formatIssues } from '../common/validation.js';
import { applyTransition, type Change } from './record.js';
import { groupOf } from './grouping.js';
import { unroutedLine } from './lines.js';
import type { AlerterContext } from './context.js';
import type { ActionDispatcher } from './dispatcher.js';
import { routesFor } from './settings.js';
import { flushAt } from './flushtime.js';

export const flushJobId = (groupId: string, at: number) => `f-${groupId}-${at}`;

export class AlertIngest {
  private readonly receiverNames: ReadonlySet<string>;

  constructor(private readonly ctx: AlerterContext, private readonly actions: ActionDispatcher | undefined) {
    this.receiverNames = new Set(ctx.receivers.keys());
  }

  async handle(data: unknown): Promise<Change> {
    const parsed = AlertMessageSchema.safeParse(data);
    if (!parsed.success) {
      throw new UnrecoverableError(`alert message invalid: ${formatIssues(parsed.error)}`);
    }
    const msg: AlertMessage = parsed.data;
    const { stores, router, log, metrics } = this.ctx;
    const now = this.ctx.now();
    const { change, record } = applyTransition(await stores.alerts.get(msg.key), msg, now);
    metrics.alerts.inc({ status: msg.status, change });
    if (change === 'duplicate' || change === 'stale') {
      log.debug({ key: msg.key, status: msg.status, change }, 'alert unchanged');
      return change;
    }
    await stores.alerts.put(record);
    const labels = alertLabels(msg);
    const { routes, problem } = routesFor(msg, router.match(labels), this.receiverNames);
    if (problem) this.ctx.labelProblems.report(msg, problem, now);
    for (const route of routes) {
      const g = groupOf(route, labels);
      const group = await stores.groups.join(g.id, g.routeId, g.labels, msg.key);
      const due = flushAt(route, group, msg.status, now);
      if (!due) continue;
      const pending = due.advance ? await stores.groups.advanceFlush(g.id, due.at) : await stores.groups.claimFlush(g.id, due.at);
      // An earlier flush already pending covers this alert too: its job exists.
      if (due.advance && pending !== due.at) continue;
      await this.ctx.flushQueue.add('flush', { groupId: g.id, at: pending }, { jobId: flushJobId(g.id, pending), delay: Math.max(0, pending - now) });
    }
    log.info({ key: msg.key, status: msg.status, change, routes: routes.map((r) => r.id) }, 'alert');
    if (msg.status === 'firing' && routes.every((r) => !r.receiver)) this.unrouted(msg);
    if (msg.status === 'firing' && this.actions) await this.actions.onFiring(record, labels, routes);
    return change;
  }

  /** Said every time, and counted where the Overview dashboard shows it: nobody is told otherwise. */
  private unrouted(msg: AlertMessage) {
    const { log, metrics, receivers, writer } = this.ctx;
    metrics.unrouted.inc();
    const why = receivers.size ? 'no route with a receiver matched it' : 'no receiver configured (alerter.receivers)';
    log.warn({ key: msg.key, rule: msg.rule, severity: msg.severity, host: msg.host, container: msg.container }, `alert reached no one: ${why}`);
    writer.write([unroutedLine(msg)]);
  }
}
