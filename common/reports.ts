/**
 * What the processor (which makes reports) and the alerter (which mails and
 * serves them) share: the report queue and its jobs, the "report ready"
 * message, and the report store in Redis. Each side validates what the other
 * wrote with these schemas.
 */
import { gzipSync, gunzipSync } from 'node:zlib';
import { z } from 'zod';
import type { RedisClient } from './queue/connection.js';
import { prefixBase } from './queue/names.js';

/** Report jobs (scheduled and on demand), taken by any processor. */
export const REPORTS_QUEUE = 'reports';
/** "Report ready" messages, processor → alerter: mail it to the report receivers. */
export const REPORT_READY_QUEUE = 'alerter-reports';

/** The report queue and store have a hash tag of their own. */
export const reportsPrefix = (prefix: string) => `{${prefixBase(prefix)}:reports}`;

export const REPORT_ID = /^[A-Za-z0-9_-]{1,100}$/;
const reportId = z.string().regex(REPORT_ID, 'a report ID: letters, digits, _ - only');

export const ReportJobSchema = z.discriminatedUnion('kind', [
  /** from a job scheduler: reports on the time since the schedule's previous run */
  z.strictObject({ kind: z.literal('scheduled'), schedule: z.string().regex(/^[A-Za-z0-9_-]+$/) }),
  /** asked for through the API: any range */
  z.strictObject({
    kind: z.literal('on-demand'),
    id: reportId,
    from: z.number().int().nonnegative(),
    to: z.number().int().positive(),
    host: z.string().min(1).max(253).nullable(),
    /** also mail it to the report receivers */
    email: z.boolean(),
  }),
]);
export type ReportJob = z.infer<typeof ReportJobSchema>;

export const ReportReadySchema = z.strictObject({ id: reportId, email: z.boolean() });
export type ReportReady = z.infer<typeof ReportReadySchema>;

export const ReportFileInfoSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9-]+\.(html|csv|png|json)$/),
  type: z.string().min(1),
  bytes: z.number().int().nonnegative(),
});

export const REPORT_META_VERSION = 1;

export const ReportMetaSchema = z.strictObject({
  v: z.literal(REPORT_META_VERSION),
  id: reportId,
  title: z.string().max(500),
  /** the period in words, in the report's time zone: "2026-11-28 06:00 to 2026-11-29 06:00 (UTC)" */
  period: z.string().max(200),
  kind: z.enum(['scheduled', 'on-demand']),
  schedule: z.string().nullable(),
  /** the period, ms since epoch: [from, to) */
  from: z.number().int(),
  to: z.number().int(),
  host: z.string().nullable(),
  timezone: z.string(),
  createdAt: z.number().int(),
  /** no container data in the period */
  empty: z.boolean(),
  /** one line: containers, CPU, memory, alerts */
  summary: z.string().max(2000),
  files: z.array(ReportFileInfoSchema).max(50),
});
export type ReportMeta = z.infer<typeof ReportMetaSchema>;

export interface ReportFile {
  name: string;
  /** content type, e.g. text/csv; charset=utf-8 */
  type: string;
  data: Buffer;
}

/** The file every report has: its HTML, images referenced as cid:<name>. */
export const REPORT_HTML = 'report.html';

const compressed = (name: string) => !name.endsWith('.png');

/**
 * Reports in Redis, kept `keepMs`: per report one hash (its metadata and its
 * files, text gzipped), and an index by creation time. Under one hash tag, so
 * a report is written in one transaction on a Cluster too.
 */
export class ReportStore {
  private readonly base: string;

  constructor(private readonly redis: RedisClient, prefix: string, private readonly keepMs: number) {
    this.base = `${reportsPrefix(prefix)}:store`;
  }

  private key(id: string) {
    return `${this.base}:r:${id}`;
  }

  private get index() {
    return `${this.base}:index`;
  }

  /** Writes a report (replacing one of the same ID, as a re-run of its job does). */
  async put(meta: ReportMeta, files: ReportFile[]): Promise<void> {
    const key = this.key(meta.id);
    const m = this.redis.multi();
    m.del(key);
    m.hset(key, 'meta', JSON.stringify(meta));
    for (const f of files) m.hset(key, `f:${f.name}`, compressed(f.name) ? gzipSync(f.data) : f.data);
    m.pexpire(key, this.keepMs);
    m.zadd(this.index, meta.createdAt, meta.id);
    m.zremrangebyscore(this.index, '-inf', `(${meta.createdAt - this.keepMs}`);
    await m.exec();
  }

  async meta(id: string): Promise<ReportMeta | undefined> {
    if (!REPORT_ID.test(id)) return undefined;
    const raw = await this.redis.hget(this.key(id), 'meta');
    if (!raw) return undefined;
    const r = ReportMetaSchema.safeParse(JSON.parse(raw));
    return r.success ? r.data : undefined;
  }

  async file(id: string, name: string): Promise<Buffer | undefined> {
    if (!REPORT_ID.test(id)) return undefined;
    const b = await this.redis.hgetBuffer(this.key(id), `f:${name}`);
    if (!b) return undefined;
    return compressed(name) ? gunzipSync(b) : b;
  }

  /** The newest reports first. */
  async list(limit = 100, now = Date.now()): Promise<ReportMeta[]> {
    await this.redis.zremrangebyscore(this.index, '-inf', `(${now - this.keepMs}`);
    const ids = await this.redis.zrevrange(this.index, 0, limit - 1);
    const out: ReportMeta[] = [];
    for (const id of ids) {
      const m = await this.meta(id);
      if (m) out.push(m);
    }
    return out;
  }
}
