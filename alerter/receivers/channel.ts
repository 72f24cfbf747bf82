/** What every receiver channel does: send one notification, or throw so the delivery is retried. */
import type { Notification } from '../notification.js';
import type { DeliveryLog } from '../store/deliveries.js';
import { redactUrl } from '../../common/config-redact.js';

export interface SendContext {
  /** idempotency key of this delivery */
  deliveryId: string;
  /** for channels that record parts of a delivery (SMS: each number) */
  deliveries: DeliveryLog;
  signal: AbortSignal;
  /** bytes of the answer read at most */
  maxResponseBytes: number;
}

export interface Channel {
  send(n: Notification, ctx: SendContext): Promise<string>;
}

/** Reads at most `max` bytes of a body and drops the rest unread. */
async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

/**
 * One HTTP request to a receiver: redirects are refused (a receiver that moved is
 * a configuration change, not something to follow with our credentials), the
 * answer is read up to a cap, a non-2xx answer throws with its start. Error
 * messages name the host only: the URL may hold a credential.
 */
export async function post(url: string, init: RequestInit & { signal: AbortSignal }, maxResponseBytes: number): Promise<string> {
  const method = init.method ?? 'POST';
  let host: string;
  try {
    host = new URL(url).host;
  } catch {
    throw new Error(`${method}: not a valid URL (${redactUrl(url)})`);
  }
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: 'manual' });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why = err.name === 'TimeoutError' || err.name === 'AbortError' ? 'timed out' : err.cause?.code ?? err.cause?.message ?? err.message;
    throw new Error(`${method} ${host}: ${String(why).split(url).join(redactUrl(url))}`);
  }
  const text = await readCapped(res, maxResponseBytes).catch(() => '');
  if (res.status >= 300 && res.status < 400) throw new Error(`${method} ${host} answered ${res.status} (a redirect): not followed`);
  if (!res.ok) throw new Error(`${method} ${host} answered ${res.status}: ${text.slice(0, 200)}`);
  return `${res.status}`;
}
