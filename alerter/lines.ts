/** Line protocol of the alerter's measurements (pure; names from common/schema.ts). */
import { seriesKey, line, int } from '../common/lineprotocol.js';
import {
  TAG, ALERTER_MEASUREMENT as AM, ALERTER_TAG as AT, NOTIFICATION_FIELDS as NF, UNROUTED_FIELDS as UF, PROCESSOR_TAG as PT, HANDLING_EVENTS,
  HANDLING_FIELDS as HF, SILENCE_EVENTS, SILENCE_FIELDS as SF, REPORT_FIELDS as RPF,
} from '../common/schema.js';
import type { ReportMeta } from '../common/reports.js';
import { formatMatcher } from '../common/matchers.js';
import type { AlertMessage } from '../common/queue/alerts.js';
import type { Notification } from './notification.js';
import type { Silence } from './silences.js';
import type { ChannelKind } from './queues.js';

export type DeliveryOutcome = 'sent' | 'failed' | 'duplicate';

export function notificationLine(n: Notification, channel: ChannelKind, outcome: DeliveryOutcome, attempt: number, durationMs: number, error: string, t: number): string {
  const a = n.alerts[0];
  return line(seriesKey(AM.notification, {
    [AT.receiver]: n.receiver,
    [AT.channel]: channel,
    [AT.outcome]: outcome,
    [AT.kind]: n.kind === 'recovery' ? 'recovery' : n.status,
    [AT.rule]: a?.rule,
    [TAG.engineHost]: a?.host,
    [TAG.containerName]: a?.container,
  }), {
    [NF.notificationId]: n.id,
    [NF.groupKey]: n.groupKey,
    [NF.attempt]: int(attempt),
    [NF.durationMs]: int(durationMs),
    [NF.alerts]: int(n.alerts.length),
    [NF.error]: error || undefined,
  }, t);
}

/** A firing alert no receiver was routed to, at the time it started (the same alert twice writes one point). */
export function unroutedLine(m: AlertMessage): string {
  return line(seriesKey(AM.unrouted, {
    [AT.rule]: m.rule,
    [PT.severity]: m.severity,
    [TAG.engineHost]: m.host,
    [TAG.containerName]: m.container || undefined,
  }), {
    [UF.alertKey]: m.key,
    [UF.summary]: m.summary,
  }, m.startsAt);
}

export type HandlingEvent = (typeof HANDLING_EVENTS)[keyof typeof HANDLING_EVENTS];

export interface HandlingDetail {
  by?: string;
  comment?: string;
  /** acknowledged: seconds since the firing started */
  timeToAckS?: number;
  silenceIds?: string[];
  inhibitedBy?: string;
  held?: 'notification' | 'recovery';
}

/** One step of an alert's handling (acknowledged, held back by a silence, ...), at `t`. */
export function handlingLine(m: Pick<AlertMessage, 'key' | 'rule' | 'host' | 'container' | 'startsAt'>, event: HandlingEvent, d: HandlingDetail, t: number): string {
  return line(seriesKey(AM.alertHandling, {
    [TAG.engineHost]: m.host,
    [TAG.containerName]: m.container,
    [AT.rule]: m.rule,
    [AT.event]: event,
  }), {
    [HF.alertKey]: m.key,
    [HF.startsAt]: int(m.startsAt),
    [HF.by]: d.by || undefined,
    [HF.comment]: d.comment || undefined,
    [HF.timeToAck]: d.timeToAckS,
    [HF.silenceIds]: d.silenceIds?.length ? d.silenceIds.join(',') : undefined,
    [HF.inhibitedBy]: d.inhibitedBy,
    [HF.held]: d.held,
  }, t);
}

export type SilenceEvent = (typeof SILENCE_EVENTS)[keyof typeof SILENCE_EVENTS];

/** A silence created, expired (at its end) or deleted; `by` and `comment` say who and why. */
export function silenceLine(s: Silence, event: SilenceEvent, by: string, comment: string, t: number): string {
  return line(seriesKey(AM.silence, { [AT.event]: event }), {
    [SF.silenceId]: s.id,
    [SF.matchers]: s.matchers.map(formatMatcher).join(', '),
    [SF.by]: by || undefined,
    [SF.comment]: comment || undefined,
    [SF.startsAt]: int(s.startsAt),
    [SF.endsAt]: int(s.endsAt),
  }, t);
}

/** A report's email to one receiver, in shipwatch_notification (kind report). */
export function reportDeliveryLine(reportId: string, receiver: string, outcome: DeliveryOutcome, attempt: number, durationMs: number, error: string, t: number): string {
  return line(seriesKey(AM.notification, { [AT.receiver]: receiver, [AT.channel]: 'email', [AT.outcome]: outcome, [AT.kind]: 'report' }), {
    [NF.notificationId]: reportId,
    [NF.attempt]: int(attempt),
    [NF.durationMs]: int(durationMs),
    [NF.error]: error || undefined,
  }, t);
}

/** A stored report, at its creation, with the link that opens it. */
export function reportLine(m: ReportMeta, url: string): string {
  return line(seriesKey(AM.report, { [AT.reportKind]: m.kind, [AT.schedule]: m.schedule ?? undefined, [TAG.engineHost]: m.host ?? undefined }), {
    [RPF.reportId]: m.id,
    [RPF.title]: m.title,
    [RPF.from]: int(m.from),
    [RPF.to]: int(m.to),
    [RPF.summary]: m.summary,
    [RPF.empty]: m.empty,
    [RPF.url]: url,
  }, m.createdAt);
}
