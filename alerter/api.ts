/**
 * The alerter's HTTP API (express): health, Prometheus metrics, alerts and
 * acknowledgements, silences, snapshots, recovery runs, the service map. Everything but
 * /healthz and /readyz needs `Authorization: Bearer <alerter.api.token>`;
 * bodies are validated and a 400 says what is wrong.
 */
import { randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response, type NextFunction } from 'express';
import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import type { AlerterConfig } from '../common/config-alerter.js';
import type { InfluxQL } from '../common/influx/query.js';
import { ident, literal } from '../common/influx/query.js';
import { ALERTER_MEASUREMENT, TAG } from '../common/schema.js';
import type { RedisClient } from '../common/queue/connection.js';
import { parseDuration } from '../common/duration.js';
import { MatcherSchema } from '../common/config-alerter.js';
import { formatMatcher } from '../common/matchers.js';
import { issueList } from '../common/validation.js';
import { readSnapshot, listSnapshots } from '../common/snapshot.js';
import { SnapshotLinks } from './links.js';
import { snapshotPage } from './snapshot-page.js';
import { dashboardUrl, type GrafanaLink } from './notification.js';
import { readServiceMap } from './servicemap.js';
import type { AlertStore } from './store/alerts.js';
import type { SilenceStore } from './store/silences.js';
import type { AlerterMetrics } from './metrics.js';
import type { HandlingHistory } from './history.js';
import { reportRoutes, signedReportFiles, type ReportApiDeps } from './report-api.js';
import { silenceState, silencedBy, type Silence } from './silences.js';
import { isAcked, type AlertRecord } from './record.js';
import { alertLabels } from '../common/queue/alerts.js';
import type { Logger } from '../common/log.js';

export interface ApiDeps {
  host: string;
  port: number;
  token: string;
  /** rate limit and silence caps */
  limits: Pick<AlerterConfig['api'], 'rateLimit' | 'silences'>;
  alerts: AlertStore;
  silences: SilenceStore;
  redis: RedisClient;
  query: InfluxQL;
  metrics: AlerterMetrics;
  /** problems of the configuration (alerter/summary.ts), reported by /readyz */
  warnings?: string[];
  /** checks the signed links of snapshot pages */
  links?: SnapshotLinks;
  /** the page of a snapshot links to the container's dashboard here */
  grafana?: GrafanaLink;
  history: HandlingHistory;
  /** reports: list, read, ask for one */
  reports?: ReportApiDeps;
  log: Logger;
  now?: () => number;
}

const AckSchema = z.strictObject({
  by: z.string().min(1).max(200),
  comment: z.string().max(2000).default(''),
});

/** Who withdraws an acknowledgement or deletes a silence, and why (query parameters). */
const ByQuery = z.object({
  by: z.string().min(1).max(200),
  comment: z.string().max(2000).default(''),
});

const when = z.union([z.iso.datetime({ offset: true }), z.number().int().positive()]).transform((v) => (typeof v === 'number' ? v : Date.parse(v)));

const silenceSchema = (maxMatchers: number) => z
  .strictObject({
    matchers: z.array(MatcherSchema).min(1).max(maxMatchers),
    /** default: now */
    startsAt: when.optional(),
    /** give endsAt or duration */
    endsAt: when.optional(),
    duration: z.string().max(64).optional(),
    createdBy: z.string().min(1).max(200),
    comment: z.string().min(1).max(2000),
  })
  .transform((s, ctx) => {
    let endsAt = s.endsAt;
    if (s.duration !== undefined) {
      try {
        endsAt = (s.startsAt ?? Date.now()) + parseDuration(s.duration);
      } catch (e) {
        ctx.addIssue({ code: 'custom', path: ['duration'], message: (e as Error).message });
        return z.NEVER;
      }
    }
    if (endsAt === undefined) {
      ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'give endsAt or duration' });
      return z.NEVER;
    }
    return { ...s, endsAt };
  });

/** Expired silences are kept this long for the record, then removed (as Alertmanager's default retention). */
const SILENCE_RETENTION_MS = 5 * 86_400_000;

const sha = (s: string) => createHash('sha256').update(s).digest();

const name = z.string().min(1).max(256);
/** A time in a query string: ms since epoch or RFC 3339. */
const queryTime = z.string().transform((v, ctx) => {
  const t = /^\d{1,16}$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t)) {
    ctx.addIssue({ code: 'custom', message: 'not a time: give ms since epoch or RFC 3339 (2024-05-07T21:09:36Z)' });
    return z.NEVER;
  }
  return t;
});
/** GET /api/snapshots: filters and one page, bounded. */
const SnapshotQuery = z.strictObject({
  host: name.optional(),
  container: name.optional(),
  rule: name.optional(),
  from: queryTime.optional(),
  to: queryTime.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(10_000).default(0),
}).refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, { message: 'from is after to', path: ['from'] });

function badRequest(res: Response, error: z.ZodError) {
  res.status(400).json({
    error: 'invalid request',
    issues: issueList(error, '(body)'),
  });
}

const alertView = (r: AlertRecord, silenced: string[]) => ({
  ...r.msg,
  startsAt: new Date(r.msg.startsAt).toISOString(),
  endsAt: r.msg.endsAt ? new Date(r.msg.endsAt).toISOString() : null,
  receivedAt: new Date(r.receivedAt).toISOString(),
  acknowledged: isAcked(r),
  ack: r.ack,
  silencedBy: silenced,
});

const silenceView = (s: Silence, now: number) => ({
  ...s,
  matchers: s.matchers.map(formatMatcher),
  startsAt: new Date(s.startsAt).toISOString(),
  endsAt: new Date(s.endsAt).toISOString(),
  createdAt: new Date(s.createdAt).toISOString(),
  state: silenceState(s, now),
});

export function apiApp(d: ApiDeps): express.Express {
  const now = d.now ?? Date.now;
  const SilenceSchema = silenceSchema(d.limits.silences.maxMatchers);
  const app = express();
  app.disable('x-powered-by');
  const wrap = (fn: (req: Request, res: Response) => Promise<unknown>) => (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', wrap(async (_req, res) => {
    try {
      await Promise.race([d.redis.ping(), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 2000))]);
      // Ready to take alerts even when they reach no one: the warnings say so, the status does not hide it.
      res.json({ status: 'ready', redis: 'ok', warnings: d.warnings ?? [] });
    } catch (e) {
      res.status(503).json({ status: 'not ready', redis: (e as Error).message, warnings: d.warnings ?? [] });
    }
  }));

  // Per client address, before the token check: guessing the token is as limited as anything else.
  app.use(rateLimit({
    windowMs: d.limits.rateLimit.window,
    limit: d.limits.rateLimit.requests,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    message: { error: 'too many requests: try again later' },
  }));

  // A report's file opens with the signature its link carries, as well as with the token.
  if (d.reports) app.get('/api/reports/:id/:file', signedReportFiles(d.reports));

  // Compared as hashes: constant time whatever the length of what was sent.
  const expected = d.token ? sha(d.token) : undefined;
  /** The token as a bearer token, or as the password of HTTP Basic (what a browser asks for). */
  const authorized = (req: Request) => {
    const h = req.get('authorization') ?? '';
    const bearer = /^Bearer (.+)$/.exec(h)?.[1];
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(h)?.[1];
    const given = bearer ?? (basic ? Buffer.from(basic, 'base64').toString('utf8').split(':').slice(1).join(':') : undefined);
    return !!expected && given !== undefined && timingSafeEqual(sha(given), expected);
  };
  const unauthorized = (res: Response, challenge: string) =>
    res.status(401).set('www-authenticate', challenge).json({ error: expected ? 'missing or wrong token' : 'no API token configured (alerter.api.token)' });

  // A snapshot's page: for a browser, so a signed link from a notification opens it, or the token as a Basic password.
  app.get('/snapshots/:id', wrap(async (req, res) => {
    const id = String(req.params.id);
    if (!d.links?.check(id, req.query.exp, req.query.sig, now()) && !authorized(req)) {
      return unauthorized(res, 'Basic realm="Shipwatch alerter: the API token is the password", charset="UTF-8"');
    }
    const s = await readSnapshot(d.query, id);
    res.set({
      // The body is hostile input: escaped, and no script may run should something slip through.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      // The signed link must not travel on to the dashboard it links to.
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    if (!s) return res.status(404).type('text/plain').send('no such snapshot\n');
    const g = d.grafana;
    res.type('html').send(snapshotPage(s, {
      json: `/api/snapshots/${encodeURIComponent(id)}`,
      dashboard: g ? dashboardUrl(g, s.host, s.container?.name ?? '', s.alert?.startsAt ?? s.time, null) : '',
    }));
  }));

  app.use((req, res, next) => {
    if (!authorized(req)) return void unauthorized(res, 'Bearer');
    next();
  });

  app.get('/metrics', wrap(async (_req, res) => {
    res.set('content-type', d.metrics.registry.contentType).send(await d.metrics.registry.metrics());
  }));

  app.get('/api/alerts', wrap(async (req, res) => {
    const status = typeof req.query.status === 'string' ? req.query.status : undefined;
    const silences = await d.silences.all();
    const t = now();
    const list = (await d.alerts.all())
      .filter((r) => !status || r.msg.status === status)
      .sort((a, b) => b.msg.startsAt - a.msg.startsAt)
      .map((r) => alertView(r, silencedBy(alertLabels(r.msg), silences, t)));
    res.json({ alerts: list });
  }));

  app.get('/api/alerts/:key', wrap(async (req, res) => {
    const r = await d.alerts.get(String(req.params.key));
    if (!r) return res.status(404).json({ error: 'no such alert' });
    res.json(alertView(r, silencedBy(alertLabels(r.msg), await d.silences.all(), now())));
  }));

  app.post('/api/alerts/:key/ack', express.json({ limit: '16kb' }), wrap(async (req, res) => {
    const body = AckSchema.safeParse(req.body ?? {});
    if (!body.success) return badRequest(res, body.error);
    const r = await d.alerts.get(String(req.params.key));
    if (!r) return res.status(404).json({ error: 'no such alert' });
    if (r.msg.status !== 'firing') return res.status(409).json({ error: 'the alert is not firing' });
    r.ack = { by: body.data.by, comment: body.data.comment, at: now(), startsAt: r.msg.startsAt };
    await d.alerts.put(r);
    d.history.acknowledged(r, r.ack);
    d.log.info({ key: r.msg.key, by: body.data.by }, 'alert acknowledged');
    res.json(alertView(r, []));
  }));

  app.delete('/api/alerts/:key/ack', wrap(async (req, res) => {
    const q = ByQuery.safeParse(req.query);
    if (!q.success) return badRequest(res, q.error);
    const r = await d.alerts.get(String(req.params.key));
    if (!r) return res.status(404).json({ error: 'no such alert' });
    if (!isAcked(r)) return res.status(409).json({ error: 'the alert is not acknowledged' });
    r.ack = null;
    await d.alerts.put(r);
    d.history.unacknowledged(r, q.data.by, q.data.comment, now());
    d.log.info({ key: r.msg.key, by: q.data.by }, 'acknowledgement withdrawn');
    res.json(alertView(r, []));
  }));

  app.get('/api/silences', wrap(async (_req, res) => {
    const t = now();
    res.json({ silences: (await d.silences.all()).sort((a, b) => b.createdAt - a.createdAt).map((s) => silenceView(s, t)) });
  }));

  app.post('/api/silences', express.json({ limit: '64kb' }), wrap(async (req, res) => {
    const body = SilenceSchema.safeParse(req.body ?? {});
    if (!body.success) return badRequest(res, body.error);
    const t = now();
    const s: Silence = {
      id: randomUUID(),
      matchers: body.data.matchers,
      startsAt: body.data.startsAt ?? t,
      endsAt: body.data.endsAt,
      createdBy: body.data.createdBy,
      comment: body.data.comment,
      createdAt: t,
    };
    if (s.endsAt <= s.startsAt) {
      return res.status(400).json({ error: 'invalid request', issues: [{ path: 'endsAt', message: 'must be after startsAt' }] });
    }
    const caps = d.limits.silences;
    if (s.endsAt - s.startsAt > caps.maxDuration || s.startsAt - t > caps.maxDuration) {
      return res.status(400).json({ error: 'invalid request', issues: [{ path: 'endsAt', message: `a silence lasts and starts within ${Math.round(caps.maxDuration / 3_600_000)} h (alerter.api.silences.maxDuration)` }] });
    }
    const all = await d.silences.all();
    const old = all.filter((x) => x.endsAt + SILENCE_RETENTION_MS < t);
    await Promise.all(old.map((x) => d.silences.delete(x.id)));
    if (all.filter((x) => x.endsAt > t).length >= caps.max) {
      return res.status(409).json({ error: `${caps.max} silences pending or active (alerter.api.silences.max): delete or let some expire first` });
    }
    await d.silences.put(s);
    d.history.silenceCreated(s);
    d.log.info({ silence: s.id, by: s.createdBy, matchers: s.matchers.map(formatMatcher) }, 'silence created');
    res.status(201).json(silenceView(s, t));
  }));

  app.delete('/api/silences/:id', wrap(async (req, res) => {
    const q = ByQuery.safeParse(req.query);
    if (!q.success) return badRequest(res, q.error);
    const s = await d.silences.get(String(req.params.id));
    if (!s || !(await d.silences.delete(s.id))) return res.status(404).json({ error: 'no such silence' });
    d.history.silenceDeleted(s, q.data.by, q.data.comment, now());
    d.log.info({ silence: s.id, by: q.data.by }, 'silence deleted');
    res.status(204).end();
  }));

  app.get('/api/snapshots', wrap(async (req, res) => {
    const q = SnapshotQuery.safeParse(req.query);
    if (!q.success) return badRequest(res, q.error);
    const f = q.data;
    const items = await listSnapshots(d.query, f);
    res.json({
      snapshots: items.map((s) => ({
        ...s,
        time: new Date(s.time).toISOString(),
        links: { json: `/api/snapshots/${encodeURIComponent(s.id)}`, html: SnapshotLinks.path(s.id) },
      })),
      limit: f.limit,
      offset: f.offset,
      // A full page may have a next one.
      next: items.length === f.limit ? f.offset + f.limit : null,
    });
  }));

  app.get('/api/snapshots/:id', wrap(async (req, res) => {
    const s = await readSnapshot(d.query, String(req.params.id));
    if (!s) return res.status(404).json({ error: 'no such snapshot' });
    res.json(s);
  }));

  app.get('/api/service-map', wrap(async (req, res) => {
    const q = z.object({
      host: z.string().min(1).max(253).optional(),
      /** edges written within this long before now */
      window: z.string().default('2m').transform((v, ctx) => {
        try {
          const ms = parseDuration(v);
          if (ms >= 1000 && ms <= 86_400_000) return ms;
        } catch {
          /* reported below */
        }
        ctx.addIssue({ code: 'custom', message: 'a duration from 1s to 1d, e.g. 2m' });
        return z.NEVER;
      }),
    }).safeParse(req.query);
    if (!q.success) return badRequest(res, q.error);
    res.json(await readServiceMap(d.query, { host: q.data.host, windowMs: q.data.window }));
  }));

  app.get('/api/recovery-runs', wrap(async (req, res) => {
    const q = z.object({
      container: z.string().optional(),
      host: z.string().optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }).safeParse(req.query);
    if (!q.success) return badRequest(res, q.error);
    const where = [
      q.data.container ? `${ident(TAG.containerName)} = ${literal(q.data.container)}` : '',
      q.data.host ? `${ident(TAG.engineHost)} = ${literal(q.data.host)}` : '',
    ].filter(Boolean);
    const rows = await d.query.rows(
      `SELECT * FROM ${ident(ALERTER_MEASUREMENT.recoveryRun)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY time DESC LIMIT ${q.data.limit}`,
    ).catch((e: Error) => {
      // No run yet: the measurement does not exist.
      if (/not found|does not exist/i.test(e.message)) return [];
      throw e;
    });
    res.json({ runs: rows });
  }));

  if (d.reports) app.use(reportRoutes(d.reports));

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'not found' });
  });
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.parse.failed') return res.status(400).json({ error: 'invalid request', issues: [{ path: '(body)', message: 'not valid JSON' }] });
    d.log.error({ err: err.message }, 'API request failed');
    res.status(err.status && err.status < 500 ? err.status : 500).json({ error: err.status && err.status < 500 ? err.message : 'internal error' });
  });
  return app;
}

export async function startApi(d: ApiDeps): Promise<{ port: number; close(): Promise<void> }> {
  const app = apiApp(d);
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(d.port, d.host, (err?: Error) => (err ? reject(err) : resolve(s)));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  d.log.debug({ host: d.host, port }, 'alerter API listening');
  return {
    port,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
