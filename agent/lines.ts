/** Line protocol of the recovery runs (pure; names from common/schema.ts). */
import { seriesKey, line, int } from '../common/lineprotocol.js';
import { TAG, ALERTER_MEASUREMENT as AM, ALERTER_TAG as AT, RECOVERY_FIELDS as RF } from '../common/schema.js';
import type { ActionResult } from '../common/queue/actions.js';

const runKey = (r: Pick<ActionResult, 'host' | 'facts' | 'action'>) =>
  seriesKey(AM.recoveryRun, { [TAG.engineHost]: r.host, [TAG.containerName]: r.facts.container, [AT.rule]: r.facts.rule, [AT.action]: r.action });

/** The run's point, at its start time; the outcome is a tag so runs can be counted by it. */
export function runLine(r: ActionResult, stdout: string, stderr: string): string {
  return line(runKey(r) + `,${AT.outcome}=${r.outcome}`, {
    [RF.runId]: r.runId,
    [RF.alertKey]: r.facts.alertKey,
    [RF.containerId]: r.facts.containerId,
    [RF.command]: r.command,
    [RF.startedAt]: int(r.startedAt),
    [RF.endedAt]: int(r.endedAt),
    [RF.durationMs]: int(r.endedAt - r.startedAt),
    [RF.exitCode]: r.exitCode === null ? undefined : int(r.exitCode),
    [RF.signal]: r.signal ?? undefined,
    [RF.stdout]: stdout,
    [RF.stderr]: stderr,
    [RF.error]: r.detail || undefined,
    [RF.attachments]: r.attachments.length ? r.attachments.join('\n') : undefined,
  }, r.startedAt);
}

/** Adds the verification to the run's point (same series and time: InfluxDB merges the fields). */
export function verifyLine(r: ActionResult, recovered: boolean, at: number): string {
  return line(runKey(r) + `,${AT.outcome}=${r.outcome}`, { [RF.recovered]: recovered, [RF.verifiedAt]: int(at) }, r.startedAt);
}
