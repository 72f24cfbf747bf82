/** Wires the processor: Redis, the shard consumers, InfluxDB and the alert queue. */
import type { Config } from '../common/config.js';
import type { Logger } from '../common/log.js';
import { InfluxWriter } from '../common/influx/writer.js';
import { setupRetention, MeasurementRouter } from '../common/influx/retention.js';
import type { LineSink } from '../common/influx/sink.js';
import { startHealthServer } from '../common/health.js';
import { PROCESSOR_MEASUREMENT } from '../common/schema.js';
import { createRedis, type RedisClient } from '../common/queue/connection.js';
import { HostEngine } from './engine.js';
import { StateStore } from './store.js';
import { AlertPublisher } from './alert-publisher.js';
import { SnapshotStore } from './snapshot-store.js';
import { ShardConsumer } from './consumer.js';
import { SpillingSink } from './spill.js';
import { processorSummary } from './summary.js';
import { logSummary } from '../common/summary.js';
import { ReportWorker } from './reports/worker.js';

/** How long a job may hold its host's lock; well above any job's run time. */
const LOCK_TTL_MS = 30_000;
/** How often a processor looks for points kept in Redis during an InfluxDB outage. */
const SPILL_DRAIN_MS = 5_000;

export interface RunningProcessor {
  consumer: ShardConsumer;
  reports: ReportWorker;
  writer: InfluxWriter;
  spill: SpillingSink;
  redis: RedisClient;
  store: StateStore;
  stop(): Promise<void>;
}

export async function startProcessorParts(cfg: Config, log: Logger): Promise<RunningProcessor> {
  const writer = new InfluxWriter(cfg.influx, log.child({ part: 'influx' }));
  writer.ensureDatabase().catch((e) => log.error({ err: e }, 'could not create the InfluxDB database'));
  // Rollups go to a retention policy of their own once it exists (docs/retention.md).
  const retentionAbort = new AbortController();
  const retention = cfg.influx.retention.manage
    ? setupRetention(cfg.influx, log.child({ part: 'retention' }), retentionAbort.signal)
    : Promise.resolve({ rollupReady: true, changes: [] });
  const rollupRp = cfg.influx.rollupRetentionPolicy !== cfg.influx.retentionPolicy ? cfg.influx.rollupRetentionPolicy : '';
  const rollupWriter = rollupRp ? new InfluxWriter({ ...cfg.influx, retentionPolicy: rollupRp }, log.child({ part: 'influx-rollup' })) : undefined;
  const out: LineSink = rollupWriter
    ? new MeasurementRouter(writer, [PROCESSOR_MEASUREMENT.rollup], retention.then((r) => (r.rollupReady ? rollupWriter : writer)))
    : writer;
  // Take jobs once retention is set up, or after a while without InfluxDB (rollups then wait in the router).
  // The wait keeps the process alive: a request to an InfluxDB behind a proxy that takes the connection and
  // drops it (docker-proxy before a stopped container) hangs on nothing but its own unreferenced timeout,
  // and with no other handle open yet the process would exit (code 13) before it took a job.
  let waited: NodeJS.Timeout | undefined;
  await Promise.race([retention, new Promise((r) => (waited = setTimeout(r, cfg.influx.timeout)))]);
  clearTimeout(waited);
  const redis = createRedis(cfg.redis, { maxRetriesPerRequest: null, connectionName: 'shipwatch-processor' });
  redis.on('error', (e: Error) => log.debug({ err: e.message }, 'redis'));
  const engine = new HostEngine(cfg.processor, cfg.processor.snapshot.enabled);
  const store = new StateStore(redis, cfg.redis.prefix, { stateTtl: cfg.processor.stateTtl, lockTtl: LOCK_TTL_MS });
  const alerts = new AlertPublisher(redis, cfg);
  const snapshots = cfg.processor.snapshot.enabled ? new SnapshotStore(writer.query, cfg.processor.snapshot) : undefined;
  // Points InfluxDB does not take go to Redis, so a processor killed during an outage loses none.
  const spill = new SpillingSink(out, redis, cfg.redis.prefix, {
    flushWait: cfg.influx.timeout, maxBatches: Math.ceil(cfg.influx.maxBufferLines / 20), drainEvery: SPILL_DRAIN_MS,
  }, log.child({ part: 'spill' }));
  spill.start();
  const consumer = new ShardConsumer(cfg, redis, { engine, store, alerts, snapshots, writer: spill, log: log.child({ part: 'consumer' }) });
  consumer.start();
  await consumer.ready();
  // Scheduled and on-demand reports, whichever processor takes them.
  const reports = new ReportWorker(cfg, redis, writer.query, log.child({ part: 'reports' }));
  await reports.start();
  const health = await startHealthServer(cfg.health, 'processor', () => ({ ok: redis.status === 'ready', redis: redis.status }), log);
  logSummary(log, processorSummary(cfg));
  return {
    consumer,
    reports,
    writer,
    spill,
    redis,
    store,
    async stop() {
      retentionAbort.abort();
      await health?.close();
      await consumer.close();
      await reports.close();
      await spill.close();
      await alerts.close();
      const lost = (await writer.close()) + ((await rollupWriter?.close()) ?? 0);
      if (lost) log.warn({ lost }, 'points not written at shutdown');
      log.info({ ...consumer.stats, lost }, 'processor flushed');
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

export async function startProcessor(cfg: Config, log: Logger) {
  const p = await startProcessorParts(cfg, log);
  return () => p.stop();
}
