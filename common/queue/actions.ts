/**
 * The recovery actions between the alerter and the agents: each host's agent
 * takes its actions from a queue of its own (own hash tag, so agents on
 * different hosts may sit on different Cluster nodes) and reports outcomes on
 * the results queue, under the alert queue's hash tag. Both sides validate
 * what they take from Redis with the schemas here, and an action carries an
 * HMAC of its content when alerter.actions.signingKey is set.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { SEVERITIES } from '../severity.js';
import { prefixBase } from './names.js';

/** Outcomes of recovery runs, agents → alerter. */
export const RESULTS_QUEUE = 'alerter-action-results';
/** Recovery actions for one host's agent. */
export const ACTIONS_QUEUE = 'actions';

export const agentPrefix = (prefix: string, host: string) => `{${prefixBase(prefix)}:agent:${host.replace(/[{}]/g, '_')}}`;

/** The agent's record of a run it took, so the same action added again under another job ID is refused. */
export const agentRanKey = (prefix: string, host: string, runId: string) => `${agentPrefix(prefix, host)}:ran:${runId}`;

/** The built-in actions, through the Docker API. Nothing else exists. */
export const DOCKER_ACTIONS = ['restart', 'stop', 'start', 'kill', 'exec'] as const;
export type DockerAction = (typeof DOCKER_ACTIONS)[number];

/** The largest action job an agent takes, as JSON. */
export const MAX_ACTION_JOB_BYTES = 64 * 1024;

const text = (max: number) => z.string().max(max);

/** The alert's facts a run gets: recorded with the run and passed to scripts as environment variables. */
export const ActionFactsSchema = z.strictObject({
  containerId: text(128),
  container: text(1024),
  host: z.string().min(1).max(255),
  rule: text(256),
  severity: z.enum(SEVERITIES),
  value: z.number().finite().nullable(),
  snapshotId: text(256).nullable(),
  alertKey: text(2048),
  /** the alert's own labels, which action rules may match on */
  labels: z.record(text(256), text(4096)).refine((l) => Object.keys(l).length <= 64, 'at most 64 labels').default({}),
});

export type ActionFacts = z.infer<typeof ActionFactsSchema>;

/** What a run executes: a script with arguments, or a built-in Docker action with its signal or command. */
const spec = {
  script: z.string().min(1).max(1024).optional(),
  args: z.array(text(4096)).max(64),
  docker: z.enum(DOCKER_ACTIONS).optional(),
  signal: z.string().regex(/^SIG[A-Z0-9]+$/).optional(),
  command: z.array(text(4096)).min(1).max(64).optional(),
};

export const ActionJobSchema = z.strictObject({
  /** r-<20 hex>: derived from the alert state and the rule, the same for a re-run */
  runId: z.string().regex(/^r-[0-9a-f]{20}$/),
  /** the action rule's name */
  action: z.string().regex(/^[A-Za-z0-9_.-]+$/).max(128),
  ...spec,
  facts: ActionFactsSchema,
  queuedAt: z.number().int().positive(),
  /** HMAC-SHA256 (hex) of the rest, with alerter.actions.signingKey */
  sig: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});

export type ActionJob = z.infer<typeof ActionJobSchema>;
export type ActionSpec = Pick<ActionJob, 'script' | 'args' | 'docker' | 'signal' | 'command'>;

/** The spec of a rule or job, with the absent parts left out (what is compared and signed). */
export const actionSpec = (r: ActionSpec): ActionSpec => ({
  ...(r.script !== undefined && { script: r.script }),
  args: r.args ?? [],
  ...(r.docker !== undefined && { docker: r.docker }),
  ...(r.signal !== undefined && { signal: r.signal }),
  ...(r.command !== undefined && { command: r.command }),
});

export const sameSpec = (a: ActionSpec, b: ActionSpec) => canonicalJson(actionSpec(a)) === canonicalJson(actionSpec(b));

/** JSON with object keys sorted at every level: the bytes that are signed. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

const mac = (job: Omit<ActionJob, 'sig'>, key: string) => createHmac('sha256', key).update(canonicalJson(job)).digest();

export function signAction(job: Omit<ActionJob, 'sig'>, key: string): ActionJob {
  return { ...job, sig: mac(job, key).toString('hex') };
}

/** True when the job carries the signature of its content under this key. */
export function verifyAction(job: ActionJob, key: string): boolean {
  if (!job.sig) return false;
  const { sig, ...rest } = job;
  const want = mac(rest, key);
  const got = Buffer.from(sig, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

export const RUN_OUTCOMES = ['ok', 'failed', 'timeout', 'error', 'refused'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

export const ActionResultSchema = z.strictObject({
  runId: text(64),
  action: text(128),
  command: text(8192),
  host: z.string().min(1).max(255),
  facts: ActionFactsSchema,
  outcome: z.enum(RUN_OUTCOMES),
  exitCode: z.number().int().nullable(),
  signal: text(32).nullable(),
  startedAt: z.number(),
  endedAt: z.number(),
  /** null: not checked (e.g. a stop action, or the run failed) */
  recovered: z.boolean().nullable(),
  detail: text(4096),
  /** files a script left in its run directory, by absolute path on the agent's host */
  attachments: z.array(text(4096)).max(32).default([]),
});

export type ActionResult = z.infer<typeof ActionResultSchema>;

/** What a run executes, as recorded and notified: the script path, or docker:<action> with its signal or command. */
export function actionCommand(r: ActionSpec): string {
  if (r.script) return r.script;
  if (r.docker === 'kill') return `docker:kill ${r.signal ?? 'SIGKILL'}`;
  if (r.docker === 'exec') return `docker:exec ${JSON.stringify(r.command ?? [])}`;
  return `docker:${r.docker}`;
}
