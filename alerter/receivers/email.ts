/**
 * Email channel: nodemailer over SMTP, text and HTML with the snapshot's key
 * facts and a dashboard link. The Message-ID is derived from the delivery's
 * idempotency key, so a message sent twice after a crash is one message to
 * any mail client that de-duplicates by Message-ID.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { AlerterConfig, ReceiverConfig } from '../../common/config-alerter.js';
import type { InfluxQL } from '../../common/influx/query.js';
import { readSnapshot } from '../../processor/snapshot-store.js';
import type { SnapshotBody } from '../../processor/snapshot.js';
import type { Notification } from '../notification.js';
import { subject, emailText, emailHtml } from '../format.js';
import type { Channel, SendContext } from './channel.js';

export const messageIdFor = (deliveryId: string) => `<${deliveryId.replace(/[^A-Za-z0-9.-]/g, '_')}@shipwatch>`;

export class EmailChannel implements Channel {
  constructor(
    private readonly cfg: NonNullable<ReceiverConfig['email']>,
    private readonly smtp: AlerterConfig['smtp'],
    private readonly transport: Transporter,
    private readonly query: InfluxQL | undefined,
    private readonly snapshotWait: number,
  ) {}

  static transport(smtp: AlerterConfig['smtp']): Transporter {
    return nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      auth: smtp.user ? { user: smtp.user, pass: smtp.password } : undefined,
      connectionTimeout: smtp.timeout,
      greetingTimeout: smtp.timeout,
      socketTimeout: smtp.timeout,
    });
  }

  /** The snapshots of the alerts; the processor writes them just before the alert, so allow a short wait. */
  private async snapshots(n: Notification, signal: AbortSignal): Promise<Map<string, SnapshotBody>> {
    const out = new Map<string, SnapshotBody>();
    if (!this.query) return out;
    const ids = [...new Set(n.alerts.map((a) => a.snapshotId).filter((x): x is string => !!x))];
    const deadline = Date.now() + this.snapshotWait;
    for (let delay = 100; ; delay = Math.min(delay * 2, 500)) {
      for (const id of ids.filter((i) => !out.has(i))) {
        const s = await readSnapshot(this.query, id).catch(() => undefined);
        if (s) out.set(id, s);
      }
      if (out.size === ids.length || Date.now() + delay > deadline || signal.aborted) return out;
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  async send(n: Notification, ctx: SendContext): Promise<string> {
    const snaps = await this.snapshots(n, ctx.signal);
    const info = await this.transport.sendMail({
      from: this.cfg.from || this.smtp.from,
      to: this.cfg.to,
      subject: subject(n),
      text: emailText(n, snaps),
      html: emailHtml(n, snaps),
      messageId: messageIdFor(ctx.deliveryId),
      headers: { 'X-Shipwatch-Notification': n.id },
    });
    return String(info.response ?? 'accepted');
  }
}
