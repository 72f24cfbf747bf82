/** Webhook channel: the documented JSON body (docs/alerter.md) or a Slack incoming-webhook body. */
import type { ReceiverConfig } from '../../common/config-alerter.js';
import type { Notification } from '../notification.js';
import { webhookBody, slackBody } from '../format.js';
import { post, type Channel, type SendContext } from './channel.js';

export class WebhookChannel implements Channel {
  constructor(private readonly cfg: NonNullable<ReceiverConfig['webhook']>) {}

  send(n: Notification, ctx: SendContext): Promise<string> {
    const body = this.cfg.format === 'slack' ? slackBody(n) : webhookBody(n, ctx.deliveryId);
    return post(this.cfg.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': ctx.deliveryId, ...this.cfg.headers },
      body: JSON.stringify(body),
      signal: ctx.signal,
    }, ctx.maxResponseBytes);
  }
}
