/**
 * Email channel: nodemailer over SMTP, text and HTML with the snapshot's key
 * facts (carried by the alert) and a dashboard link. The Message-ID is derived from the delivery's
 * idempotency key, so a message sent twice after a crash is one message to
 * any mail client that de-duplicates by Message-ID.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { AlerterConfig, ReceiverConfig } from '../../common/config-alerter.js';
import type { Notification } from '../notification.js';
import { subject, emailText, emailHtml } from '../format.js';
import type { Channel, SendContext } from './channel.js';

export const messageIdFor = (deliveryId: string) => `<${deliveryId.replace(/[^A-Za-z0-9.-]/g, '_')}@shipwatch>`;

export class EmailChannel implements Channel {
  constructor(
    private readonly cfg: NonNullable<ReceiverConfig['email']>,
    private readonly smtp: AlerterConfig['smtp'],
    private readonly transport: Transporter,
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

  async send(n: Notification, ctx: SendContext): Promise<string> {
    const info = await this.transport.sendMail({
      from: this.cfg.from || this.smtp.from,
      to: this.cfg.to,
      subject: subject(n),
      text: emailText(n),
      html: emailHtml(n),
      messageId: messageIdFor(ctx.deliveryId),
      headers: { 'X-Shipwatch-Notification': n.id },
    });
    return String(info.response ?? 'accepted');
  }
}
