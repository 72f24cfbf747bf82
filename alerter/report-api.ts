/**
 * The reports in the alerter's API: list, one report's metadata and files
 * (HTML with its charts inlined, CSV, PNG, JSON), and on-demand reports for
 * any range, made by a processor. A report file can also be opened with the
 * signature its link carries instead of the bearer token.
 */
import { randomBytes } from 'node:crypto';
import express, { type Request, type Response, type NextFunction } from 'express';
import { z } from 'zod';
import type { Queue } from 'bullmq';
import { REPORT_HTML, REPORT_ID, type ReportJob, type ReportStore } from '../common/reports.js';
import { issueList } from '../common/validation.js';
import { reportUrl, verifySignature } from './report-mail.js';

export interface ReportApiDeps {
  store: ReportStore;
  /** the processors' report queue */
  queue: Queue<ReportJob>;
  token: string;
  /** the API's address as readers reach it */
  apiUrl: () => string;
  now: () => number;
}

const MAX_RANGE_MS = 400 * 86_400_000;
const when = z.union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()]).transform((v) => (typeof v === 'number' ? v : Date.parse(v)));

const RequestSchema = z.strictObject({
  from: when,
  to: when,
  /** one host; default every host */
  host: z.string().min(1).max(253).optional(),
  /** also mail it to reports.receivers */
  email: z.boolean().default(false),
});

const stamp = (t: number) => new Date(t).toISOString().replace(/[-:]|\.\d+/g, '');

/** Stored HTML with each cid: image replaced by the image itself, so the page stands alone. */
async function inlineImages(d: ReportApiDeps, id: string, html: string): Promise<string> {
  const names = [...new Set([...html.matchAll(/src="cid:([a-z0-9-]+\.png)"/g)].map((m) => m[1]))];
  for (const n of names) {
    const png = await d.store.file(id, n);
    if (png) html = html.replaceAll(`src="cid:${n}"`, `src="data:image/png;base64,${png.toString('base64')}"`);
  }
  return html;
}

async function sendFile(d: ReportApiDeps, req: Request, res: Response): Promise<unknown> {
  const id = String(req.params.id);
  const name = String(req.params.file);
  const meta = await d.store.meta(id);
  const info = meta?.files.find((f) => f.name === name);
  const data = info && (await d.store.file(id, name));
  if (!meta || !info || !data) return res.status(404).json({ error: 'no such report or file' });
  res.set('content-type', info.type);
  res.set('x-content-type-options', 'nosniff');
  if (name === REPORT_HTML) {
    // The page is data: no script, nothing loaded from elsewhere.
    res.set('content-security-policy', "default-src 'none'; img-src data:; style-src 'unsafe-inline'");
    return res.send(await inlineImages(d, id, data.toString()));
  }
  if (name.endsWith('.csv')) res.set('content-disposition', `attachment; filename="${id}-${name}"`);
  return res.send(data);
}

/** GET /api/reports/:id/:file?sig=...: mounted before the token check; without a valid signature it passes on. */
export function signedReportFiles(d: ReportApiDeps) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!verifySignature(d.token, String(req.params.id), req.query.sig)) return next();
    sendFile(d, req, res).catch(next);
  };
}

export function reportRoutes(d: ReportApiDeps): express.Router {
  const r = express.Router();
  const wrap = (fn: (req: Request, res: Response) => Promise<unknown>) => (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };
  const links = (id: string, files: Array<{ name: string }>) => ({
    url: reportUrl(d.apiUrl(), d.token, id),
    files: files.map((f) => ({ ...f, path: `/api/reports/${id}/${f.name}` })),
  });

  r.get('/api/reports', wrap(async (req, res) => {
    const q = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).safeParse(req.query);
    if (!q.success) return res.status(400).json({ error: 'invalid request', issues: issueList(q.error, '(query)') });
    res.json({ reports: (await d.store.list(q.data.limit, d.now())).map((m) => ({ ...m, ...links(m.id, m.files) })) });
  }));

  r.get('/api/reports/:id', wrap(async (req, res) => {
    const id = String(req.params.id);
    const meta = await d.store.meta(id);
    if (meta) return res.json({ ...meta, status: 'done', ...links(id, meta.files) });
    if (!REPORT_ID.test(id)) return res.status(404).json({ error: 'no such report' });
    const state = await d.queue.getJobState(id);
    if (state === 'failed') {
      const job = await d.queue.getJob(id);
      return res.status(500).json({ id, status: 'failed', error: job?.failedReason ?? 'unknown' });
    }
    if (state === 'unknown' || state === 'completed') return res.status(404).json({ error: 'no such report' });
    res.status(202).json({ id, status: state });
  }));

  r.get('/api/reports/:id/:file', wrap((req, res) => sendFile(d, req, res)));

  r.post('/api/reports', express.json({ limit: '4kb' }), wrap(async (req, res) => {
    const body = RequestSchema.safeParse(req.body ?? {});
    if (!body.success) return res.status(400).json({ error: 'invalid request', issues: issueList(body.error, '(body)') });
    const { from, to, host, email } = body.data;
    const problem = to <= from ? ['to', 'must be after from'] : to - from > MAX_RANGE_MS ? ['to', 'at most 400 days after from'] : to > d.now() + 60_000 ? ['to', 'in the future'] : undefined;
    if (problem) return res.status(400).json({ error: 'invalid request', issues: [{ path: problem[0], message: problem[1] }] });
    const id = `adhoc-${stamp(from)}-${stamp(to)}-${randomBytes(3).toString('hex')}`;
    const job: ReportJob = { kind: 'on-demand', id, from, to, host: host ?? null, email };
    await d.queue.add('on-demand', job, { jobId: id });
    res.status(202).location(`/api/reports/${id}`).json({ id, status: 'queued', path: `/api/reports/${id}` });
  }));
  return r;
}
