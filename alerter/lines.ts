/** Line protocol of the alerter's measurements (pure; names from common/schema.ts). */
import { seriesKey, line, int } from '../common/lineprotocol.js';
import { TAG, ALERTER_MEASUREMENT as AM, ALERTER_TAG as AT, NOTIFICATION_FIELDS as NF, UNROUTED_FIELDS as UF, PROCESSOR_TAG as PT } from '../common/schema.js';
import type { AlertMessage } from '../common/queue/alerts.js';
import type { Notification } from './notification.js';
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
