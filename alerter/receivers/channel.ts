/** What every receiver channel does: send one notification, or throw so the delivery is retried. */
import type { Notification } from '../notification.js';
import type { DeliveryLog } from '../store/deliveries.js';

export interface SendContext {
  /** idempotency key of this delivery */
  deliveryId: string;
  /** for channels that record parts of a delivery (SMS: each number) */
  deliveries: DeliveryLog;
  signal: AbortSignal;
}

export interface Channel {
  send(n: Notification, ctx: SendContext): Promise<string>;
}

/** fetch that throws on a non-2xx answer, with the start of the body for the record. */
export async function post(url: string, init: RequestInit & { signal: AbortSignal }): Promise<string> {
  const res = await fetch(url, init);
  const text = await res.text().catch(() => '');
  if (!res.ok) throw new Error(`${init.method ?? 'POST'} ${new URL(url).host} answered ${res.status}: ${text.slice(0, 200)}`);
  return `${res.status}`;
}
