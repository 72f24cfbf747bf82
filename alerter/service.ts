/**
 * Wires the alerter: Redis, the alert queue's consumer, group flushes,
 * deliveries, recovery dispatch and results, InfluxDB output and the API.
 */
import { Queue, Worker, type Job } from 'bullmq';
import type { Config } from '../common/config.js';
import type { Logger } from '../common/log.js';
import { InfluxWriter } from '../common/influx/writer.js';
import { Serializer } from '../common/serial.js';
import { createRedis, type RedisClient } from '../common/queue/connection.js';
import { ALERTS_QUEUE, alertsPrefix } from '../common/queue/names.js';
import { RESULTS_QUEUE, type ActionResult } from '../common/queue/actions.js';
import { createStores } from './store/index.js';
import { Router } from './routing.js';
import { AlerterMetrics } from './metrics.js';
import { AlertIngest } from './ingest.js';
import { GroupFlusher } from './flusher.js';
import { Deliverer } from './delivery.js';
import { ActionDispatcher } from './dispatcher.js';
import { startApi } from './api.js';
import { alerterSummary, alerterWarnings, apiPublicUrl } from './summary.js';
import { SnapshotLinks } from './links.js';
import { logSummary } from '../common/summary.js';
import { HandlingHistory } from './history.js';
import { LabelProblemLog } from './label-problems.js';
import { ReportMailer } from './reports.js';
import { REPORTS_QUEUE, REPORT_READY_QUEUE, ReportStore, reportsPrefix, type ReportJob } from '../common/reports.js';
import type { AlerterContext } from './context.js';
import { FLUSH_QUEUE, DELIVERY_QUEUE, type DeliveryJob, type FlushJob } from './queues.js';

/** How often ended silences are looked for (their points carry their end time, whatever the sweep's delay). */
const SILENCE_SWEEP_MS = 15_000;

export interface RunningAlerter {
  ctx: AlerterContext;
  redis: RedisClient;
  apiPort: number | undefined;
  stop(): Promise<void>;
}

export async function startAlerterParts(cfg: Config, log: Logger): Promise<RunningAlerter> {
  const a = cfg.alerter;
  const writer = new InfluxWriter(cfg.influx, log.child({ part: 'influx' }));
  writer.ensureDatabase().catch((e) => log.error({ err: e }, 'could not create the InfluxDB database'));
  const redis = createRedis(cfg.redis, { maxRetriesPerRequest: null, connectionName: 'shipwatch-alerter' });
  redis.on('error', (e: Error) => log.debug({ err: e.message }, 'redis'));
  const prefix = alertsPrefix(cfg.redis.prefix);
  const keep = { removeOnComplete: { age: 2 * 86_400 }, removeOnFail: { count: 10_000 } };
  const flushQueue = new Queue<FlushJob>(FLUSH_QUEUE, {
    connection: redis, prefix, defaultJobOptions: { attempts: 20, backoff: { type: 'exponential', delay: 1000 }, ...keep },
  });
  const deliveryQueue = new Queue<DeliveryJob>(DELIVERY_QUEUE, {
    connection: redis, prefix, defaultJobOptions: { attempts: a.delivery.attempts, backoff: { type: 'exponential', delay: a.delivery.backoff }, ...keep },
  });
  const depthQueues = [new Queue(ALERTS_QUEUE, { connection: redis, prefix }), flushQueue, deliveryQueue, new Queue(RESULTS_QUEUE, { connection: redis, prefix })];
  for (const q of depthQueues) q.on('error', () => {});
  const metrics = new AlerterMetrics(async () => {
    const out: Record<string, Record<string, number>> = {};
    for (const q of depthQueues) out[q.name] = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
    return out;
  });
  const stores = createStores(redis, cfg.redis.prefix);
  const history = new HandlingHistory(writer, stores.claims);
  // Reports: the processors make them; the alerter mails and serves them and queues on-demand ones.
  const reportStore = new ReportStore(redis, cfg.redis.prefix, cfg.reports.keep);
  const reportQueue = new Queue<ReportJob>(REPORTS_QUEUE, {
    connection: redis, prefix: reportsPrefix(cfg.redis.prefix),
    defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 30_000 }, removeOnComplete: { age: 7 * 86_400 }, removeOnFail: { count: 1000 } },
  });
  reportQueue.on('error', () => {});
  let apiPort: number | undefined;
  const publicUrl = (): string => apiPublicUrl(a, apiPort);
  // The API first: its address goes into the links of the first notifications.
  const api = a.api.enabled
    ? await startApi({
      host: a.api.host, port: a.api.port, token: a.api.token, limits: a.api, alerts: stores.alerts, silences: stores.silences, redis,
      query: writer.query, metrics, warnings: alerterWarnings(a), links: new SnapshotLinks('', a.api.token, a.api.linkTtl), grafana: a.grafana, history,
      reports: { store: reportStore, queue: reportQueue, token: a.api.token, apiUrl: publicUrl, now: Date.now }, log: log.child({ part: 'api' }),
    })
    : undefined;
  apiPort = api?.port;
  const ctx: AlerterContext = {
    cfg: a,
    stores,
    router: new Router(a.route),
    receivers: new Map(a.receivers.map((r) => [r.name, r])),
    flushQueue,
    deliveryQueue,
    writer,
    metrics,
    links: new SnapshotLinks(apiPublicUrl(a, api?.port), a.api.token, a.api.linkTtl),
    history,
    labelProblems: new LabelProblemLog(writer, log),
    log,
    now: Date.now,
  };
  const dispatcher = a.actions.rules.length ? new ActionDispatcher(ctx, redis, cfg.redis.prefix) : undefined;
  const mailer = new ReportMailer(ctx, reportStore, cfg.reports, publicUrl);
  const ingest = new AlertIngest(ctx, dispatcher);
  const flusher = new GroupFlusher(ctx);
  const deliverer = new Deliverer(ctx);
  // One at a time: alert intake, group flushes and recovery results touch the same groups and records.
  const serializer = new Serializer();
  const serial = <T>(fn: () => Promise<T>) => serializer.run('groups', fn);

  const onError = (what: string) => (e: Error) => log.debug({ err: e.message }, what);
  const workers: Worker[] = [
    new Worker(ALERTS_QUEUE, (job: Job) => serial(() => ingest.handle(job.data)), { connection: redis, prefix, concurrency: 1, autorun: false }),
    new Worker<FlushJob>(FLUSH_QUEUE, (job) => serial(() => flusher.handle(job.data)), { connection: redis, prefix, concurrency: 1, autorun: false }),
    new Worker<DeliveryJob>(DELIVERY_QUEUE, (job) => deliverer.process(job), {
      connection: redis,
      prefix,
      concurrency: a.delivery.concurrency,
      lockDuration: a.delivery.stalledAfter,
      stalledInterval: a.delivery.stalledAfter,
      maxStalledCount: 5,
      autorun: false,
    }),
  ];
  workers.push(new Worker(REPORT_READY_QUEUE, (job) => mailer.handle(job.data, job.attemptsMade + 1), { connection: redis, prefix, concurrency: 1, autorun: false }));
  if (dispatcher) {
    workers.push(new Worker<ActionResult>(RESULTS_QUEUE, (job) => serial(() => dispatcher.onResult(job.data as unknown)), { connection: redis, prefix, concurrency: 1, autorun: false }));
  }
  for (const w of workers) {
    w.on('error', onError(w.name));
    w.on('failed', (job, e) => {
      if (w.name !== DELIVERY_QUEUE) log.error({ queue: w.name, job: job?.id, err: e.message }, 'job failed');
    });
    void w.run();
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  const pruner = setInterval(() => void ctx.stores.alerts.prune(Date.now()).catch(() => {}), 3_600_000);
  pruner.unref();
  // Silences that ended are recorded as expired at their end time, within a sweep.
  const sweep = () => void stores.silences.all().then((s) => history.expired(s, Date.now())).catch((e: Error) => log.debug({ err: e.message }, 'silence sweep'));
  const sweeper = setInterval(sweep, SILENCE_SWEEP_MS);
  sweeper.unref();
  logSummary(log, alerterSummary(cfg, api?.port));
  return {
    ctx,
    redis,
    apiPort: api?.port,
    async stop() {
      clearInterval(pruner);
      clearInterval(sweeper);
      await api?.close();
      await Promise.all(workers.map((w) => w.close()));
      await dispatcher?.close();
      await Promise.all(depthQueues.map((q) => q.close()));
      await reportQueue.close();
      deliverer.close();
      mailer.close();
      const lost = await writer.close();
      if (lost) log.warn({ lost }, 'points not written at shutdown');
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

export async function startAlerter(cfg: Config, log: Logger) {
  const a = await startAlerterParts(cfg, log);
  return () => a.stop();
}
