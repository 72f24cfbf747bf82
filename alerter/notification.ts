/**
 * A notification (pure data): what one flush of a group, or one recovery
 * outcome, tells one receiver. Its ID is deterministic (group and scheduled
 * flush time), so a flush or delivery run again after a crash names the same
 * notification and is recognised as already sent.
 */
import type { Severity } from '../common/severity.js';
import type { SnapshotSummary } from '../common/queue/alerts.js';
import type { AlertRecord } from './record.js';
import { isAcked } from './record.js';
import type { Reason } from './dedup.js';

export const NOTIFICATION_VERSION = 1;

export interface NotifiedAlert {
  key: string;
  status: 'firing' | 'resolved';
  rule: string;
  severity: Severity;
  host: string;
  container: string;
  containerId: string;
  summary: string;
  value: number | null;
  labels: Record<string, string>;
  startsAt: number;
  endsAt: number | null;
  snapshotId: string | null;
  /** the snapshot's key facts, when the alert came with them */
  snapshot: SnapshotSummary | null;
  acknowledged: boolean;
  dashboardUrl: string;
  /** the snapshot's page (alerter.api.publicUrl); '' when there is none */
  snapshotUrl: string;
}

export interface RecoveryOutcome {
  action: string;
  /** script path or docker:restart, ... */
  command: string;
  runId: string;
  /** ok, failed, timeout, error (the run), plus refused when limits stopped it or the agent would not run it */
  outcome: string;
  exitCode: number | null;
  recovered: boolean;
  detail: string;
  /** files the script left in its run directory, paths on the agent's host */
  attachments?: string[];
}

export interface Notification {
  v: number;
  id: string;
  kind: 'alert' | 'recovery';
  /** firing while any alert in it fires */
  status: 'firing' | 'resolved';
  /** recovery: recovered; escalated (still failing); done (a stop, which is not meant to bring it back) */
  reason: Reason | 'recovered' | 'escalated' | 'done';
  receiver: string;
  groupKey: string;
  groupLabels: Record<string, string>;
  /** firing first, then resolved */
  alerts: NotifiedAlert[];
  /** ms since epoch */
  time: number;
  recovery: RecoveryOutcome | null;
}

export interface GrafanaLink {
  url: string;
  dashboardUid: string;
}

/** The container's dashboard around the alert: 15 min before it started to 5 min after it ended (or now). */
export function dashboardUrl(g: GrafanaLink, host: string, container: string, startsAt: number, endsAt: number | null): string {
  if (!g.url) return '';
  const q = new URLSearchParams({
    'var-host': host,
    'var-container': container,
    from: String(startsAt - 15 * 60_000),
    to: endsAt ? String(endsAt + 5 * 60_000) : 'now',
  });
  return `${g.url.replace(/\/+$/, '')}/d/${encodeURIComponent(g.dashboardUid)}?${q}`;
}

export function notifiedAlert(r: AlertRecord, g: GrafanaLink, severity = r.msg.severity, snapshotUrl = ''): NotifiedAlert {
  const m = r.msg;
  return {
    key: m.key, status: m.status, rule: m.rule, severity, host: m.host, container: m.container,
    containerId: m.containerId, summary: m.summary, value: m.value, labels: m.labels, startsAt: m.startsAt,
    endsAt: m.endsAt, snapshotId: m.snapshotId, snapshot: m.snapshot ?? null, acknowledged: isAcked(r),
    dashboardUrl: dashboardUrl(g, m.host, m.container, m.startsAt, m.endsAt),
    snapshotUrl,
  };
}
