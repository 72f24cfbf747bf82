/** Push channel: a JSON POST to an ntfy or Gotify server (or any service taking ntfy's fields). */
import type { ReceiverConfig } from '../../common/config-alerter.js';
import type { Notification } from '../notification.js';
import { pushBody } from '../format.js';
import { post, type Channel, type SendContext } from './channel.js';

export class PushChannel implements Channel {
  constructor(private readonly cfg: NonNullable<ReceiverConfig['push']>) {}

  send(n: Notification, ctx: SendContext): Promise<string> {
    return post(this.cfg.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': ctx.deliveryId, ...this.cfg.headers },
      body: JSON.stringify(pushBody(n, this.cfg.format, this.cfg.topic)),
      signal: ctx.signal,
    }, ctx.maxResponseBytes);
  }
}
