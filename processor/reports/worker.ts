/**
 * Runs report jobs in any processor. Scheduled reports are BullMQ job
 * schedulers, one per `reports.schedules` entry, kept in Redis: each period
 * produces one job (its ID holds the scheduled time) whichever processor
 * takes it, however many run. A job's report has a fixed ID, is stored
 * (replacing itself if the job runs again) and then announced to the alerter
 * under that ID, so it is mailed once.
 */
import { Queue, Worker, UnrecoverableError, type Job } from 'bullmq';
import { CronExpressionParser } from 'cron-parser';
import type { Config } from '../../common/config.js';
import type { Logger } from '../../common/log.js';
import type { InfluxQL } from '../../common/influx/query.js';
import type { RedisClient } from '../../common/queue/connection.js';
import { alertsPrefix } from '../../common/queue/names.js';
import { formatIssues } from '../../common/validation.js';
import {
  REPORTS_QUEUE, REPORT_READY_QUEUE, ReportJobSchema, ReportStore, reportsPrefix, type ReportJob, type ReportReady,
} from '../../common/reports.js';
import { buildReport, scheduledReportId, REPORT_JSON, type ReportRequest } from './build.js';
import type { Report } from './model.js';

/** Rejects when `p` takes longer than `ms` (the job then fails and is retried). */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The period a scheduled run reports on: from the schedule's previous time to this run's time. */
export function scheduledPeriod(pattern: string, tz: string, at: number): { from: number; to: number } {
  const from = CronExpressionParser.parse(pattern, { tz, currentDate: new Date(at) }).prev().getTime();
  return { from, to: at };
}

export class ReportWorker {
  private readonly queue: Queue<ReportJob>;
  private readonly ready: Queue<ReportReady>;
  private worker: Worker<ReportJob> | undefined;
  readonly store: ReportStore;

  constructor(private readonly cfg: Config, private readonly redis: RedisClient, private readonly influx: InfluxQL, private readonly log: Logger) {
    const prefix = reportsPrefix(cfg.redis.prefix);
    this.queue = new Queue<ReportJob>(REPORTS_QUEUE, {
      connection: redis, prefix,
      defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 30_000 }, removeOnComplete: { age: 7 * 86_400 }, removeOnFail: { count: 1000 } },
    });
    this.ready = new Queue<ReportReady>(REPORT_READY_QUEUE, {
      connection: redis, prefix: alertsPrefix(cfg.redis.prefix),
      defaultJobOptions: { attempts: 10, backoff: { type: 'exponential', delay: 5_000 }, removeOnComplete: { age: 7 * 86_400 }, removeOnFail: { count: 1000 } },
    });
    for (const q of [this.queue, this.ready]) q.on('error', () => {});
    this.store = new ReportStore(redis, cfg.redis.prefix, cfg.reports.keep);
  }

  /** Brings the job schedulers in line with the configuration, then takes jobs. */
  async start(): Promise<void> {
    await this.schedule();
    this.worker = new Worker<ReportJob>(REPORTS_QUEUE, (job) => this.handle(job), {
      connection: this.redis,
      prefix: reportsPrefix(this.cfg.redis.prefix),
      concurrency: 1,
      // A job is given up at reports.timeout; the lock outlasts it so no second processor takes it meanwhile.
      lockDuration: this.cfg.reports.timeout + 30_000,
    });
    this.worker.on('failed', (job, err) => this.log.error({ job: job?.id, attempts: job?.attemptsMade, err: err.message }, 'report failed'));
    this.worker.on('error', (err) => this.log.debug({ err: err.message }, 'report worker'));
    await this.worker.waitUntilReady();
  }

  private async schedule(): Promise<void> {
    const { schedules, timezone, enabled } = this.cfg.reports;
    const wanted = enabled ? schedules : {};
    for (const s of await this.queue.getJobSchedulers()) {
      const id = s.id ?? s.key;
      if (!(id in wanted)) {
        await this.queue.removeJobScheduler(id);
        this.log.info({ schedule: id }, 'report schedule removed');
      }
    }
    for (const [name, pattern] of Object.entries(wanted)) {
      const cur = await this.queue.getJobScheduler(name);
      if (cur?.pattern === pattern && cur.tz === timezone) continue;
      await this.queue.upsertJobScheduler(name, { pattern, tz: timezone }, { name: 'scheduled', data: { kind: 'scheduled', schedule: name } });
      this.log.info({ schedule: name, pattern, timezone }, 'report scheduled');
    }
  }

  private requestOf(job: Job<ReportJob>): { req: ReportRequest; email: boolean } {
    const parsed = ReportJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`report job invalid: ${formatIssues(parsed.error)}`);
    const d = parsed.data;
    if (d.kind === 'on-demand') {
      if (d.to <= d.from) throw new UnrecoverableError('report job invalid: to must be after from');
      return { req: { id: d.id, kind: 'on-demand', schedule: null, range: { from: d.from, to: d.to, host: d.host } }, email: d.email };
    }
    const pattern = this.cfg.reports.schedules[d.schedule];
    if (!pattern) throw new UnrecoverableError(`no schedule "${d.schedule}" in reports.schedules (configurations differ between processors?)`);
    // The scheduled time of this iteration, whenever it runs: a late run reports on its own period.
    const at = job.opts.prevMillis ?? job.timestamp;
    const range = { ...scheduledPeriod(pattern, this.cfg.reports.timezone, at), host: null };
    return { req: { id: scheduledReportId(d.schedule, at), kind: 'scheduled', schedule: d.schedule, range }, email: this.cfg.reports.receivers.length > 0 };
  }

  private async handle(job: Job<ReportJob>): Promise<string> {
    const { req, email } = this.requestOf(job);
    const started = Date.now();
    const built = await within(buildReport({
      influx: this.influx,
      cfg: this.cfg,
      previousReport: (id) => this.previous(id),
      now: Date.now(),
    }, req), this.cfg.reports.timeout, `report ${req.id} not made within reports.timeout`);
    await this.store.put(built.meta, built.files);
    await this.ready.add('ready', { id: req.id, email }, { jobId: req.id });
    this.log.info({ report: req.id, from: new Date(req.range.from).toISOString(), to: new Date(req.range.to).toISOString(), empty: built.report.empty, tookMs: Date.now() - started }, 'report made');
    return req.id;
  }

  private async previous(id: string): Promise<Report | undefined> {
    const b = await this.store.file(id, REPORT_JSON);
    return b ? (JSON.parse(b.toString()) as Report) : undefined;
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    await this.ready.close();
  }
}
