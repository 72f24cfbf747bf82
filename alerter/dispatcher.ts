/**
 * Decides recovery actions and hands them to the agent of the alert's host
 * (its own queue), never running anything itself. Limits checked here, in
 * Redis: a cooldown per container, and at most maxAttempts actions per
 * container within attemptWindow; past that the alert is escalated instead.
 * A silenced alert triggers nothing. Outcomes come back on the results queue
 * and are notified: recovered, or still failing and escalated. The alerter
 * signs each action (alerter.actions.signingKey) and checks each outcome it
 * takes back: valid, from the host the alert was on, for a run it queued.
 */
import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import type { RedisClient } from '../common/queue/connection.js';
import { silencedBy } from './silences.js';
import { stateId, type AlertRecord } from './record.js';
import { notifiedAlert, NOTIFICATION_VERSION, type Notification, type RecoveryOutcome } from './notification.js';
import { enqueueNotification, snapshotUrl, type AlerterContext } from './context.js';
import type { RouteMatch } from './routing.js';
import {
  ACTIONS_QUEUE, ActionResultSchema, agentPrefix, actionCommand, actionSpec, signAction, type ActionJob,
} from '../common/queue/actions.js';
import { jobIdPart } from '../common/queue/names.js';
import { formatIssues } from '../common/validation.js';
import { recoveryRuleFor } from './settings.js';

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
    const m = record.msg;
    const now = this.ctx.now();
    const { rule, problem } = recoveryRuleFor(m, labels, cfg.actions.rules);
    if (problem) this.ctx.labelProblems.report(m, problem, now);
    if (!rule) return;
    const sid = stateId(m);
    const silences = silencedBy(labels, await stores.silences.all(), now);
    if (silences.length) {
      metrics.recoverySkipped.inc({ reason: 'silenced' });
      await this.ctx.history.held(record, { silences }, 'recovery', now);
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
    const unsigned: Omit<ActionJob, 'sig'> = {
      runId,
      action: rule.name,
      ...actionSpec(rule),
      facts: {
        containerId: m.containerId, container: m.container, host: m.host, rule: m.rule, severity: m.severity,
        value: m.value, snapshotId: m.snapshotId, alertKey: m.key, labels: m.labels,
      },
      queuedAt: now,
    };
    const job: ActionJob = cfg.actions.signingKey ? signAction(unsigned, cfg.actions.signingKey) : unsigned;
    await this.queueFor(m.host).add(rule.name, job, { jobId: jobIdPart(runId) });
    log.info({ key: m.key, action: rule.name, run: runId, host: m.host }, 'recovery action queued');
  }

  /** An agent's report: checked, counted and notified. Anything that is not a report of a run this alerter queued is dropped and logged. */
  async onResult(data: unknown): Promise<void> {
    const { stores, metrics, log } = this.ctx;
    const parsed = ActionResultSchema.safeParse(data);
    if (!parsed.success) {
      log.warn({ error: formatIssues(parsed.error) }, 'recovery result invalid: dropped');
      return;
    }
    const r = parsed.data;
    metrics.recoveryRuns.inc({ action: r.action, outcome: r.outcome, recovered: String(r.recovered) });
    log[r.outcome === 'refused' ? 'warn' : 'info']({ run: r.runId, host: r.host, outcome: r.outcome, recovered: r.recovered, exitCode: r.exitCode, detail: r.detail || undefined }, 'recovery run finished');
    const record = r.facts.alertKey ? await stores.alerts.get(r.facts.alertKey) : undefined;
    if (!record) return;
    // An agent speaks for its own host only, and about runs queued here.
    const receivers = await stores.recovery.runReceivers(r.runId);
    if (r.host !== record.msg.host || r.facts.host !== r.host || !(await stores.recovery.runQueued(r.runId))) {
      log.warn({ run: r.runId, host: r.host, alertHost: record.msg.host }, 'recovery result not for a run queued for that host: not notified');
      return;
    }
    await this.notifyOutcome(record, receivers, {
      action: r.action, command: r.command, runId: r.runId, outcome: r.outcome, exitCode: r.exitCode,
      recovered: r.recovered === true, detail: r.detail, attachments: r.attachments,
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
