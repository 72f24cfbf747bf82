/**
 * The handling history, written to InfluxDB (shipwatch_alert_handling,
 * shipwatch_silence): acknowledgements and their withdrawal, silences created,
 * expired and deleted, and every alert a silence or inhibition held back.
 * Holds are recorded once per alert state and reason, expiries once per
 * silence (claims in Redis), so flushes that run again write nothing twice.
 */
import type { LineSink } from '../common/influx/sink.js';
import { HANDLING_EVENTS, SILENCE_EVENTS } from '../common/schema.js';
import { handlingLine, silenceLine } from './lines.js';
import { stateId, type Ack, type AlertRecord } from './record.js';
import type { Silence } from './silences.js';
import type { ClaimStore } from './store/claims.js';

/** Why an alert was held back: the silences that match it, or the alert that inhibits it. */
export type Hold = { silences: string[] } | { inhibitedBy: string };

export class HandlingHistory {
  constructor(private readonly writer: LineSink, private readonly claims: ClaimStore) {}

  acknowledged(r: AlertRecord, ack: Ack): void {
    this.writer.write([handlingLine(r.msg, HANDLING_EVENTS.acknowledged, {
      by: ack.by, comment: ack.comment, timeToAckS: Math.max(0, ack.at - r.msg.startsAt) / 1000,
    }, ack.at)]);
  }

  unacknowledged(r: AlertRecord, by: string, comment: string, at: number): void {
    this.writer.write([handlingLine(r.msg, HANDLING_EVENTS.unacknowledged, { by, comment }, at)]);
  }

  /** A notification or recovery action of a firing alert held back; recorded the first time for this firing. */
  async held(r: AlertRecord, hold: Hold, what: 'notification' | 'recovery', at: number): Promise<void> {
    const event = 'silences' in hold ? HANDLING_EVENTS.silenced : HANDLING_EVENTS.inhibited;
    if (!(await this.claims.claim('held', `${stateId(r.msg)}|${event}|${what}`))) return;
    const detail = 'silences' in hold ? { silenceIds: hold.silences, held: what } : { inhibitedBy: hold.inhibitedBy, held: what };
    this.writer.write([handlingLine(r.msg, event, detail, at)]);
  }

  silenceCreated(s: Silence): void {
    this.writer.write([silenceLine(s, SILENCE_EVENTS.created, s.createdBy, s.comment, s.createdAt)]);
  }

  silenceDeleted(s: Silence, by: string, comment: string, at: number): void {
    this.writer.write([silenceLine(s, SILENCE_EVENTS.deleted, by, comment, at)]);
  }

  /** Records the silences that ended by `now` (at their end time), each once. */
  async expired(silences: readonly Silence[], now: number): Promise<number> {
    let n = 0;
    for (const s of silences) {
      if (s.endsAt > now || !(await this.claims.claim('silence-expired', s.id))) continue;
      this.writer.write([silenceLine(s, SILENCE_EVENTS.expired, s.createdBy, s.comment, s.endsAt)]);
      n++;
    }
    return n;
  }
}
