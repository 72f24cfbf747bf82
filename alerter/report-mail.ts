/**
 * A report's email and its links (pure): the stored HTML as the body with
 * the charts inline (Content-ID = file name), the CSV files attached. A link
 * carries a signature of the report's ID made with the API token, so a
 * browser (a Grafana data link, a mail client) can open that one report
 * without the token.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ReportMeta } from '../common/reports.js';
import { REPORT_HTML } from '../common/reports.js';

/** A key of its own, derived from the token: a signature never reveals anything usable as the token or as a snapshot link's. */
export function reportSignature(token: string, id: string): string {
  const key = createHmac('sha256', token).update('shipwatch report links').digest();
  return createHmac('sha256', key).update(id).digest('base64url').slice(0, 32);
}

export function verifySignature(token: string, id: string, sig: unknown): boolean {
  if (!token || typeof sig !== 'string') return false;
  const want = Buffer.from(reportSignature(token, id));
  const got = Buffer.from(sig);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** The report's page through the API, signed; '' without a token (no link can open it). */
export function reportUrl(apiUrl: string, token: string, id: string, file = REPORT_HTML): string {
  if (!token || !apiUrl) return '';
  return `${apiUrl.replace(/\/+$/, '')}/api/reports/${encodeURIComponent(id)}/${file}?sig=${reportSignature(token, id)}`;
}

export interface ReportMail {
  subject: string;
  text: string;
  html: string;
  attachments: Array<{ filename: string; content: Buffer; contentType: string; cid?: string }>;
}

export function reportMail(meta: ReportMeta, files: Map<string, Buffer>, url: string): ReportMail {
  const attachments: ReportMail['attachments'] = [];
  for (const f of meta.files) {
    const content = files.get(f.name);
    if (!content || f.name === REPORT_HTML || f.name.endsWith('.json')) continue;
    attachments.push(f.name.endsWith('.png')
      ? { filename: f.name, content, contentType: f.type, cid: f.name }
      : { filename: f.name, content, contentType: f.type });
  }
  const html = files.get(REPORT_HTML)?.toString() ?? '';
  const link = url ? `\n\nRead it online: ${url}` : '';
  return {
    subject: `[REPORT] ${meta.title}, ${meta.period}${meta.empty ? ' (no data)' : ''}`,
    text: `${meta.title}\n${meta.period}\n\n${meta.summary}${link}\n\nThe report is the HTML part of this message; its full data is in the attached CSV files.\n`,
    html: url ? html.replace('</h1>', `</h1>\n<p style="margin:4px 0;font-size:12px"><a href="${url.replace(/&/g, '&amp;')}">Read it online</a></p>`) : html,
    attachments,
  };
}
