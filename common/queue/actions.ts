/**
 * The recovery actions between the alerter and the agents: each host's agent
 * takes its actions from a queue of its own (own hash tag, so agents on
 * different hosts may sit on different Cluster nodes) and reports outcomes on
 * the results queue, under the alert queue's hash tag.
 */
import { prefixBase } from './names.js';

/** Outcomes of recovery runs, agents → alerter. */
export const RESULTS_QUEUE = 'alerter-action-results';
/** Recovery actions for one host's agent. */
export const ACTIONS_QUEUE = 'actions';

export const agentPrefix = (prefix: string, host: string) => `{${prefixBase(prefix)}:agent:${host.replace(/[{}]/g, '_')}}`;

/** The alert's facts a run gets: recorded with the run and passed to scripts as environment variables. */
export interface ActionFacts {
  containerId: string;
  container: string;
  host: string;
  rule: string;
  severity: string;
  value: number | null;
  snapshotId: string | null;
  alertKey: string;
}

export type DockerAction = 'restart' | 'stop' | 'start';

export interface ActionJob {
  runId: string;
  /** the action rule's name */
  action: string;
  script?: string;
  args: string[];
  docker?: DockerAction;
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

/** What a run executes, as recorded and notified: the script path, or docker:<action>. */
export const actionCommand = (rule: { script?: string; docker?: DockerAction }) => (rule.script ? rule.script : `docker:${rule.docker}`);
