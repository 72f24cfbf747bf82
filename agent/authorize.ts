/**
 * Whether this agent runs an action job it took from Redis (pure). It trusts
 * nothing the job says: the job must be valid and small, for this host, signed
 * with alerter.actions.signingKey when one is set, recent, and name an action
 * rule of the agent's OWN configuration whose matchers match the alert and
 * whose script and arguments (or Docker action, signal, command) are exactly
 * those of the job. What runs is the agent's rule, never the job's text.
 */
import type { ActionRule } from '../common/config-alerter.js';
import { matchesAll, formatMatcher } from '../common/matchers.js';
import { alertLabels } from '../common/queue/alerts.js';
import { formatIssues } from '../common/validation.js';
import { ActionJobSchema, MAX_ACTION_JOB_BYTES, actionCommand, sameSpec, verifyAction, type ActionJob } from '../common/queue/actions.js';

export interface Authority {
  /** the host this agent acts on */
  host: string;
  rules: readonly ActionRule[];
  /** empty: signatures are not checked */
  signingKey: string;
  maxJobAge: number;
}

export type Decision =
  | { ok: true; job: ActionJob; rule: ActionRule }
  /** job: when it was valid enough to tell which run and alert it was for */
  | { ok: false; reason: string; job?: ActionJob };

export function jobSize(data: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(data) ?? '');
  } catch {
    return Infinity;
  }
}

export function authorize(data: unknown, a: Authority, now: number): Decision {
  const size = jobSize(data);
  if (size > MAX_ACTION_JOB_BYTES) return { ok: false, reason: `job of ${size} bytes, more than ${MAX_ACTION_JOB_BYTES}` };
  const parsed = ActionJobSchema.safeParse(data);
  if (!parsed.success) return { ok: false, reason: `invalid job: ${formatIssues(parsed.error)}` };
  const job = parsed.data;
  const no = (reason: string): Decision => ({ ok: false, reason, job });
  if (job.facts.host !== a.host) return no(`for host ${JSON.stringify(job.facts.host)}; this agent acts on ${JSON.stringify(a.host)} only`);
  if (a.signingKey && !verifyAction(job, a.signingKey)) return no(job.sig ? 'signature does not match' : 'not signed (alerter.actions.signingKey is set here)');
  if (now - job.queuedAt > a.maxJobAge) return no(`queued ${Math.round((now - job.queuedAt) / 1000)} s ago, longer than actions.maxJobAge`);
  if (job.queuedAt - now > 60_000) return no('queued in the future');
  const rule = a.rules.find((r) => r.name === job.action);
  if (!rule) return no(`no action rule "${job.action}" in this agent's configuration`);
  if (!sameSpec(job, rule)) return no(`action differs from this agent's rule "${rule.name}" (${actionCommand(rule)} ${JSON.stringify(rule.args)})`);
  const f = job.facts;
  const labels = alertLabels({ labels: f.labels, rule: f.rule, severity: f.severity, host: f.host, container: f.container });
  if (!matchesAll(rule.matchers, labels)) return no(`rule "${rule.name}" does not match this alert (${rule.matchers.map(formatMatcher).join(', ')})`);
  return { ok: true, job, rule };
}
