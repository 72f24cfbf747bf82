/**
 * Decides recovery actions and hands them to the agent of the alert's host
 * (its own queue), never running anything itself. Limits checked here, in
 * Redis: a cooldown per container, and at most maxAttempts actions per
 * container within attemptWindow; past that the alert is escalated instead.
 * A silenced alert triggers nothing. Outcomes come back on the results queue
 * and are notified: recovered, or still failing and escalated.
 */
import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import type { RedisClient } from '../common/queue/connection.js';
import { matchesAll } from '../common/matchers.js';
import { silencedBy } from './silences.js';
import { stateId, type AlertRecord } from './record.js';
import { notifiedAlert, NOTIFICATION_VERSION, type Notification, type RecoveryOutcome } from './notification.js';
import { enqueueNotification, snapshotUrl, type AlerterContext } from './context.js';
import type { RouteMatch } from './routing.js';
import { ACTIONS_QUEUE, agentPrefix, actionCommand, type ActionJob, type ActionResult } from '../common/queue/actions.js';
import { jobIdPart } from '../common/queue/names.js';

export class ActionDispatcher {
  private readonly queues = new Map<string, Queue<ActionJob>>();

  constructor(private readonly ctx: AlerterContext, private readonly redis: RedisClient, private readonly prefix: string) {}

  /** The action queue of a host's agent. */
  queueFor(host: string): Queue<ActionJob> {
    let q = this.queues.get(host);
    if (!q) {
      // One try: an agent that dies mid-run reports the run as interrupted rather than running it twice.
      q = new Queue<ActionJob>(ACTIONS_QUEUE, {
        connection: this.redis,
        prefix: agentPrefix(this.prefix, host),
        defaultJobOptions: { attempts: 1, removeOnComplete: { age: 86_400 }, removeOnFail: { count: 1000 } },
      });
      q.on('error', () => {});
      this.queues.set(host, q);
    }
    return q;
  }

  async onFiring(record: AlertRecord, labels: Record<string, string>, routes: RouteMatch[]): Promise<void> {
    const { cfg, stores, metrics, log } = this.ctx;
    const rule = cfg.actions.rules.find((r) => matchesAll(r.matchers, labels));
    if (!rule) return;
    const m = record.msg;
    const now = this.ctx.now();
    const sid = stateId(m);
    if (silencedBy(labels, await stores.silences.all(), now).length) {
      metrics.recoverySkipped.inc({ reason: 'silenced' });
      log.info({ key: m.key, action: rule.name }, 'recovery action skipped: alert silenced');
      return;
    }
    // Once per alert state, whatever re-runs.
    if (!(await stores.recovery.claimAction(`${sid}|${rule.name}`))) return;
    const target = `${m.host}|${m.container}`;
    const receivers = [...new Set(routes.map((r) => r.receiver).filter(Boolean))];
    const runId = `r-${createHash('sha1').update(`${sid}|${rule.name}`).digest('hex').slice(0, 20)}`;
    if (!(await stores.recovery.takeCooldown(target, cfg.actions.cooldown))) {
      metrics.recoverySkipped.inc({ reason: 'cooldown' });
      log.info({ key: m.key, action: rule.name }, 'recovery action skipped: container in cooldown');
      return;
    }
    const attempts = await stores.recovery.countAttempt(target, cfg.actions.attemptWindow);
    if (attempts > cfg.actions.maxAttempts) {
      metrics.recoverySkipped.inc({ reason: 'attempts' });
      log.warn({ key: m.key, action: rule.name, attempts }, 'recovery attempts used up: escalating');
      await this.notifyOutcome(record, receivers, {
        action: rule.name, command: actionCommand(rule), runId, outcome: 'refused', exitCode: null, recovered: false,
        detail: `${attempts - 1} actions on this container within ${Math.round(cfg.actions.attemptWindow / 60_000)} min (actions.maxAttempts ${cfg.actions.maxAttempts}): not run again`,
      });
      return;
    }
    await stores.recovery.setRunReceivers(runId, receivers);
    const job: ActionJob = {
      runId,
      action: rule.name,
      script: rule.script,
      args: rule.args,
      docker: rule.docker,
      facts: {
        containerId: m.containerId, container: m.container, host: m.host, rule: m.rule, severity: m.severity,
        value: m.value, snapshotId: m.snapshotId, alertKey: m.key,
      },
      queuedAt: now,
    };
    await this.queueFor(m.host).add(rule.name, job, { jobId: jobIdPart(runId) });
    log.info({ key: m.key, action: rule.name, run: runId, host: m.host }, 'recovery action queued');
  }

  /** An agent's report: count it and notify the outcome. */
  async onResult(r: ActionResult): Promise<void> {
    const { stores, metrics, log } = this.ctx;
    metrics.recoveryRuns.inc({ action: r.action, outcome: r.outcome, recovered: String(r.recovered) });
    log.info({ run: r.runId, outcome: r.outcome, recovered: r.recovered, exitCode: r.exitCode }, 'recovery run finished');
    const record = await stores.alerts.get(r.facts.alertKey);
    if (!record) return;
    await this.notifyOutcome(record, await stores.recovery.runReceivers(r.runId), {
      action: r.action, command: r.command, runId: r.runId, outcome: r.outcome, exitCode: r.exitCode,
      recovered: r.recovered === true, detail: r.detail,
    }, r.recovered === null && r.outcome === 'ok');
  }

  /** Recovered (or a stop done): to the alert's receivers. Still failing: raised to critical, to actions.escalateTo (else the same receivers). */
  private async notifyOutcome(record: AlertRecord, receivers: string[], o: RecoveryOutcome, done = false): Promise<void> {
    const { cfg } = this.ctx;
    // A stop that worked is reported, not escalated.
    const recovered = o.recovered || done;
    const to = recovered || !cfg.actions.escalateTo ? receivers : [cfg.actions.escalateTo];
    const alert = notifiedAlert(record, cfg.grafana, recovered ? record.msg.severity : 'critical', snapshotUrl(this.ctx, record, this.ctx.now()));
    for (const receiver of to) {
      const n: Notification = {
        v: NOTIFICATION_VERSION,
        id: `rec-${o.runId}`,
        kind: 'recovery',
        status: recovered ? 'resolved' : 'firing',
        reason: done ? 'done' : recovered ? 'recovered' : 'escalated',
        receiver,
        groupKey: `recovery:${record.msg.key}`,
        groupLabels: { host: record.msg.host, container: record.msg.container, rule: record.msg.rule },
        alerts: [alert],
        time: this.ctx.now(),
        recovery: o,
      };
      await enqueueNotification(this.ctx, n);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
