/**
 * Takes the processor's "report ready" messages: records the report in
 * shipwatch_report (with the link that opens it) and mails it to each of
 * `reports.receivers`, with the delivery guarantee of every notification:
 * recorded in Redis once the SMTP peer accepted it, skipped when recorded
 * (a re-run of the job), the same Message-ID on a copy. A failure throws and
 * the job is retried with backoff.
 */
import { UnrecoverableError } from 'bullmq';
import type { Transporter } from 'nodemailer';
import type { Config } from '../common/config.js';
import { ReportReadySchema, type ReportStore } from '../common/reports.js';
import { formatIssues } from '../common/validation.js';
import type { AlerterContext } from './context.js';
import { EmailChannel, messageIdFor } from './receivers/email.js';
import { reportDeliveryLine, reportLine } from './lines.js';
import { reportMail, reportUrl } from './report-mail.js';


export class ReportMailer {
  private transport: Transporter | undefined;

  constructor(
    private readonly ctx: AlerterContext,
    private readonly store: ReportStore,
    private readonly reports: Config['reports'],
    private readonly apiUrl: () => string,
  ) {}

  async handle(data: unknown, attempt: number): Promise<string> {
    const parsed = ReportReadySchema.safeParse(data);
    if (!parsed.success) throw new UnrecoverableError(`report message invalid: ${formatIssues(parsed.error)}`);
    const { id, email } = parsed.data;
    const { cfg, writer, stores, log, metrics } = this.ctx;
    const meta = await this.store.meta(id);
    if (!meta) throw new UnrecoverableError(`report ${id} is not in the store (expired, or written by another version)`);
    const url = cfg.api.enabled ? reportUrl(this.apiUrl(), cfg.api.token, id) : '';
    writer.write([reportLine(meta, url)]);
    if (!email) return 'stored';
    const files = new Map<string, Buffer>();
    for (const f of meta.files) {
      const b = await this.store.file(id, f.name);
      if (b) files.set(f.name, b);
    }
    const mail = reportMail(meta, files, url);
    let sent = 0;
    for (const name of this.reports.receivers) {
      const to = this.ctx.receivers.get(name)?.email;
      if (!to) continue;
      const delivery = `${id}.${name}.email`;
      const started = Date.now();
      if (await stores.deliveries.sentAt(delivery)) {
        writer.write([reportDeliveryLine(id, name, 'duplicate', attempt, 0, '', started)]);
        continue;
      }
      this.transport ??= EmailChannel.transport(cfg.smtp);
      try {
        await this.transport.sendMail({
          from: to.from || cfg.smtp.from, to: to.to, subject: mail.subject, text: mail.text, html: mail.html, attachments: mail.attachments,
          messageId: messageIdFor(delivery), headers: { 'X-Shipwatch-Report': id },
        });
      } catch (e) {
        const msg = (e as Error).message;
        writer.write([reportDeliveryLine(id, name, 'failed', attempt, Date.now() - started, msg, Date.now())]);
        metrics.deliveries.inc({ receiver: name, channel: 'email', outcome: 'failed' });
        log.warn({ report: id, receiver: name, attempt, error: msg }, 'report email failed; will retry');
        throw e;
      }
      await stores.deliveries.markSent(delivery, Date.now());
      writer.write([reportDeliveryLine(id, name, 'sent', attempt, Date.now() - started, '', Date.now())]);
      metrics.deliveries.inc({ receiver: name, channel: 'email', outcome: 'sent' });
      sent++;
    }
    log.info({ report: id, sent }, 'report mailed');
    return `mailed to ${sent}`;
  }

  close(): void {
    this.transport?.close();
  }
}
