/** Line protocol of the alerter's measurements (pure; names from common/schema.ts). */
import { seriesKey, line, int } from '../common/lineprotocol.js';
import { TAG, ALERTER_MEASUREMENT as AM, ALERTER_TAG as AT, NOTIFICATION_FIELDS as NF } from '../common/schema.js';
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
