/**
 * Messages on the alerter's queue: one per alert transition (firing, resolved).
 * The key is stable for an alert's whole life, so the alerter can de-duplicate
 * and pair a resolve with its firing. A firing carries the key facts of its
 * snapshot, so the alerter can tell them without reading InfluxDB.
 */
import { z } from 'zod';
import { SEVERITIES } from '../severity.js';
import { SettingName } from '../container-settings.js';

export const ALERT_VERSION = 1;

/** The snapshot's facts an on-call engineer reads first (processor/snapshot.ts makes them). */
export const SnapshotSummarySchema = z.object({
  /** [name, value], in the order shown */
  facts: z.array(z.tuple([z.string().max(100), z.string().max(1000)])).max(30),
  /** the last log lines before the fault, oldest first */
  logs: z.array(z.string().max(1000)).max(20),
});

export type SnapshotSummary = z.infer<typeof SnapshotSummarySchema>;

export const AlertMessageSchema = z.object({
  v: z.literal(ALERT_VERSION),
  /** rule|host|container */
  key: z.string().min(1),
  status: z.enum(['firing', 'resolved']),
  rule: z.string().min(1),
  severity: z.enum(SEVERITIES),
  host: z.string().min(1),
  container: z.string(),
  containerId: z.string(),
  summary: z.string(),
  /** the value that triggered or last held the condition */
  value: z.number().nullable(),
  labels: z.record(z.string(), z.string()),
  /** ms since epoch: when it started firing */
  startsAt: z.number(),
  /** ms since epoch: when it resolved */
  endsAt: z.number().nullable(),
  /** readable by ID (common/snapshot.ts; the alerter's GET /api/snapshots/:id) */
  snapshotId: z.string().nullable(),
  /** on a firing with a snapshot: its key facts */
  snapshot: SnapshotSummarySchema.nullable().optional(),
  /** the receiver the container's shipwatch.route label names */
  route: SettingName.optional(),
  /** the recovery rule its shipwatch.recovery label allows ("none": no action) */
  recovery: SettingName.optional(),
});

export type AlertMessage = z.infer<typeof AlertMessageSchema>;

/** Job ID of a transition: adding it twice (a job run again after a crash) keeps one. */
export function alertJobId(m: Pick<AlertMessage, 'key' | 'status' | 'startsAt'>): string {
  return `${m.status}-${m.startsAt}-${m.key}`.replace(/:/g, '_');
}

/** The labels routes, silences, inhibition and recovery actions match on: the alert's own plus its facts. */
export function alertLabels(m: Pick<AlertMessage, 'labels' | 'rule' | 'severity' | 'host' | 'container'>): Record<string, string> {
  // The facts win over same-named free labels: routing on them must not be spoofable by a rule's labels.
  return { ...m.labels, alertname: m.rule, rule: m.rule, severity: m.severity, host: m.host, container: m.container };
}
