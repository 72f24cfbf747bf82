/**
 * Runs one delivery job: (notification, receiver, channel). A delivery
 * already recorded as sent is not sent again (the job re-ran after a crash);
 * otherwise the channel sends and the send is recorded in Redis before the
 * job completes (record-then-ack). A failure throws, and BullMQ retries the
 * job with backoff; other deliveries go on meanwhile. Every attempt is
 * written to shipwatch_notification.
 */
import type { Job } from 'bullmq';
import type { Transporter } from 'nodemailer';
import { deliveryId, type DeliveryJob } from './queues.js';
import { notificationLine, type DeliveryOutcome } from './lines.js';
import type { AlerterContext } from './context.js';
import type { Channel } from './receivers/channel.js';
import { EmailChannel } from './receivers/email.js';
import { WebhookChannel } from './receivers/webhook.js';
import { SmsChannel } from './receivers/sms.js';
import { PushChannel } from './receivers/push.js';

/**
 * Test-only hook: when set, the process logs "paused after send" and stops
 * working right after a delivery was sent and recorded, before its job
 * completes, so a test can kill it at exactly that point.
 */
export const PAUSE_AFTER_SEND_ENV = 'SHIPWATCH_ALERTER_TEST_PAUSE_AFTER_SEND';

export class Deliverer {
  private readonly channels = new Map<string, Channel>();
  private transport: Transporter | undefined;

  constructor(private readonly ctx: AlerterContext) {
    for (const r of ctx.receivers.values()) {
      if (r.email) {
        this.transport ??= EmailChannel.transport(ctx.cfg.smtp);
        this.channels.set(`${r.name}.email`, new EmailChannel(r.email, ctx.cfg.smtp, this.transport));
      }
      if (r.webhook) this.channels.set(`${r.name}.webhook`, new WebhookChannel(r.webhook));
      if (r.sms) this.channels.set(`${r.name}.sms`, new SmsChannel(r.sms));
      if (r.push) this.channels.set(`${r.name}.push`, new PushChannel(r.push));
    }
  }

  private record(job: DeliveryJob, outcome: DeliveryOutcome, attempt: number, started: number, error = '') {
    const { n, channel } = job;
    const now = Date.now();
    this.ctx.writer.write([notificationLine(n, channel, outcome, attempt, now - started, error, now)]);
    this.ctx.metrics.deliveries.inc({ receiver: n.receiver, channel, outcome });
  }

  async process(job: Job<DeliveryJob>): Promise<string> {
    const { n, channel } = job.data;
    const id = deliveryId(n, channel);
    const attempt = job.attemptsMade + 1;
    const started = Date.now();
    if (await this.ctx.stores.deliveries.sentAt(id)) {
      this.record(job.data, 'duplicate', attempt, started);
      return 'sent before';
    }
    const ch = this.channels.get(`${n.receiver}.${channel}`);
    if (!ch) throw new Error(`receiver ${n.receiver} has no ${channel} channel (configuration changed)`);
    let detail: string;
    try {
      detail = await ch.send(n, { deliveryId: id, deliveries: this.ctx.stores.deliveries, signal: AbortSignal.timeout(this.ctx.cfg.delivery.timeout), maxResponseBytes: this.ctx.cfg.delivery.maxResponseBytes });
    } catch (e) {
      const msg = (e as Error).message;
      this.record(job.data, 'failed', attempt, started, msg);
      const last = attempt >= (job.opts.attempts ?? 1);
      if (last) this.ctx.metrics.deliveryFailures.inc({ receiver: n.receiver, channel });
      this.ctx.log[last ? 'error' : 'warn']({ delivery: id, attempt, error: msg }, last ? 'delivery failed for good' : 'delivery failed; will retry');
      throw e;
    }
    await this.ctx.stores.deliveries.markSent(id, Date.now());
    this.record(job.data, 'sent', attempt, started);
    this.ctx.log.info({ delivery: id, attempt, detail }, 'delivered');
    if (process.env[PAUSE_AFTER_SEND_ENV]) {
      this.ctx.log.warn({ delivery: id }, 'paused after send');
      await new Promise(() => {});
    }
    return detail;
  }

  close(): void {
    this.transport?.close();
  }
}
