/**
 * SMS channel: one request per number to an HTTP gateway whose URL, method,
 * headers and body template are configured. Numbers already sent to are
 * skipped on a retry, so a gateway failing on the third number does not
 * text the first two again.
 */
import type { ReceiverConfig } from '../../common/config-alerter.js';
import type { Notification } from '../notification.js';
import { smsText } from '../format.js';
import { post, type Channel, type SendContext } from './channel.js';

type SmsConfig = NonNullable<ReceiverConfig['sms']>;

const ESCAPE: Record<SmsConfig['encoding'], (s: string) => string> = {
  json: (s) => JSON.stringify(s).slice(1, -1),
  form: (s) => encodeURIComponent(s),
  raw: (s) => s,
};

/** Fills {{to}} and {{message}}; values are escaped for where they land, never interpreted. */
export function renderTemplate(template: string, values: Record<string, string>, escape: (s: string) => string): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (m, k: string) => (k in values ? escape(values[k]) : m));
}

export class SmsChannel implements Channel {
  constructor(private readonly cfg: SmsConfig) {}

  request(n: Notification, to: string): { url: string; init: RequestInit } {
    const values = { to, message: smsText(n, this.cfg.maxLength) };
    const url = renderTemplate(this.cfg.url, values, encodeURIComponent);
    const body = this.cfg.method === 'GET' || !this.cfg.body ? undefined : renderTemplate(this.cfg.body, values, ESCAPE[this.cfg.encoding]);
    const type = this.cfg.encoding === 'json' ? 'application/json' : this.cfg.encoding === 'form' ? 'application/x-www-form-urlencoded' : 'text/plain';
    return { url, init: { method: this.cfg.method, headers: { 'content-type': type, ...this.cfg.headers }, body } };
  }

  async send(n: Notification, ctx: SendContext): Promise<string> {
    const out: string[] = [];
    for (const [i, to] of this.cfg.to.entries()) {
      const id = `${ctx.deliveryId}.${i}`;
      if (await ctx.deliveries.sentAt(id)) continue;
      const { url, init } = this.request(n, to);
      out.push(await post(url, { ...init, signal: ctx.signal }, ctx.maxResponseBytes));
      await ctx.deliveries.markSent(id, Date.now());
    }
    return out.join(',') || 'all numbers sent before';
  }
}
