/**
 * npm run bench:processor [-- --hosts 2000 --containers 50 --interval 30s --duration 60s --workers 2 --shards 8]
 *
 * Simulates a fleet against the real Redis and InfluxDB: every host publishes
 * one samples job per interval through the real publisher (hosts' clocks
 * spread evenly over the interval, as independent collectors are), while
 * --workers processor processes (the real entry point) consume them. Prints
 * the offered and sustained container samples/s, the median and p95 lag from
 * sample time to rollup written (job completed: points flushed and state
 * committed), and the sustained/offered ratio, all from the same run. Stops by
 * itself after --duration and removes its database and Redis keys.
 */
import { parseArgs } from 'node:util';
import { QueueEvents } from 'bullmq';
import { services, testConfig, freshDatabase, uniqueRun } from '../test/helpers/services.js';
import { ProcessorChild, nestedConfig, rng } from '../test/helpers/processor.js';
import { parseDuration } from '../common/duration.js';
import { SamplesPublisher } from '../common/queue/publisher.js';
import { createRedis } from '../common/queue/connection.js';
import { SAMPLES_QUEUE, shardPrefix, prefixBase } from '../common/queue/names.js';
import type { ContainerSample } from '../common/queue/payload.js';
import { ident } from '../common/influx/query.js';

const { values: args } = parseArgs({
  options: {
    hosts: { type: 'string', default: '2000' },
    containers: { type: 'string', default: '50' },
    interval: { type: 'string', default: '30s' },
    duration: { type: 'string', default: '60s' },
    workers: { type: 'string', default: '2' },
    shards: { type: 'string', default: '8' },
    concurrency: { type: 'string', default: '8' },
    aligned: { type: 'boolean', default: false },
  },
});
const HOSTS = Number(args.hosts);
const CONTAINERS = Number(args.containers);
const INTERVAL = parseDuration(args.interval!);
const DURATION = parseDuration(args.duration!);
const WORKERS = Number(args.workers);
const offered = (HOSTS * CONTAINERS * 1000) / INTERVAL;

const env = services();
const db = 'sw_bench_processor';
const prefix = `{${uniqueRun('swbench')}}`;
const cfg = testConfig(db, { 'redis.prefix': prefix, 'queue.shards': Number(args.shards), 'processor.faults.logErrors.enabled': false });
const q = await freshDatabase(db);

const percentile = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs: number[]) => percentile(xs, 50);

const children = Array.from({ length: WORKERS }, () =>
  new ProcessorChild(nestedConfig({}, {
    'influx.url': env.influxUrl,
    'influx.bucket': db,
    'redis.url': cfg.redis.url,
    'redis.prefix': prefix,
    'queue.shards': cfg.queue.shards,
    'processor.concurrency': Number(args.concurrency),
    'processor.faults.logErrors.enabled': false,
    'log.level': 'info',
  })),
);
await Promise.all(children.map((c) => c.ready()));

// Lag: from the sample time in the job ID to BullMQ's completion event.
const conn = createRedis(cfg.redis);
const lags: Array<{ at: number; lag: number; samples: number }> = [];
const events = Array.from({ length: cfg.queue.shards }, (_, i) => {
  const qe = new QueueEvents(SAMPLES_QUEUE, { connection: conn, prefix: shardPrefix(prefix, i) });
  qe.on('completed', ({ jobId }) => {
    const t = Number(jobId.slice(jobId.lastIndexOf('-') + 1));
    const now = Date.now();
    lags.push({ at: now, lag: now - t, samples: CONTAINERS });
  });
  qe.on('failed', ({ jobId, failedReason }) => console.error('job failed', jobId, failedReason));
  return qe;
});
await Promise.all(events.map((e) => e.waitUntilReady()));

const pub = new SamplesPublisher(cfg);
const rand = rng(7);
const state = Array.from({ length: HOSTS }, () => Array.from({ length: CONTAINERS }, () => ({ rx: 0, tx: 0, r: 0, w: 0, mem: 50e6 + rand() * 100e6 })));
const started = Date.now() - 3_600_000;

function payload(h: number, time: number): ContainerSample[] {
  const out: ContainerSample[] = [];
  for (let c = 0; c < CONTAINERS; c++) {
    const s = state[h][c];
    s.rx += 1e5 * rand();
    s.tx += 5e4 * rand();
    s.r += 4096;
    s.w += 8192;
    s.mem += (rand() - 0.5) * 1e6;
    out.push({
      id: `h${h}-c${c}-`.padEnd(64, '0'), name: `c${c}`, image: 'app:1', state: 'running', startedAt: started,
      exitCode: 0, oomKilled: false, restartCount: 0, pid: 100 + c, health: null,
      cpu: { percent: 5 + rand() * 20 }, mem: { usage: s.mem, limit: 1e9, percent: null },
      net: { rx: Math.round(s.rx), tx: Math.round(s.tx) }, blkio: { read: s.r, write: s.w }, pids: { current: 5, limit: null },
    });
  }
  return out;
}

// Each host ticks at its own phase in the interval (all at :00 and :30 with --aligned).
const t0 = Math.ceil(Date.now() / INTERVAL) * INTERVAL + INTERVAL;
const end = t0 + DURATION;
let published = 0;
let publishErrors = 0;
const phase = (h: number) => (args.aligned ? 0 : Math.floor((h * INTERVAL) / HOSTS));
const schedule: Array<{ h: number; at: number }> = [];
for (let cycle = 0; t0 + cycle * INTERVAL < end; cycle++) {
  for (let h = 0; h < HOSTS; h++) {
    const at = t0 + cycle * INTERVAL + phase(h);
    if (at < end) schedule.push({ h, at });
  }
}
schedule.sort((a, b) => a.at - b.at);
console.error(`bench: ${HOSTS} hosts x ${CONTAINERS} containers every ${INTERVAL / 1000} s = ${offered.toFixed(0)} samples/s offered, ${WORKERS} processor processes, ${cfg.queue.shards} shards, ${DURATION / 1000} s`);
const cpuStart = process.cpuUsage();
for (let i = 0; i < schedule.length; ) {
  const wait = schedule[i].at - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, 50)));
  const now = Date.now();
  while (i < schedule.length && schedule[i].at <= now) {
    const { h, at } = schedule[i++];
    pub.publishSamples({ host: `bench-host-${h}`, time: at, containers: payload(h, at) }).then(
      () => void published++,
      () => void publishErrors++,
    );
  }
}
// Let the last jobs drain, up to one interval.
const drainUntil = Date.now() + INTERVAL;
while (lags.length < schedule.length && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 200));
const genCpu = process.cpuUsage(cpuStart);

// Sustained rate: median of 5-second windows over the run; lag over all jobs and after the first interval (cold series).
const windows = new Map<number, number>();
for (const l of lags) windows.set(Math.floor(l.at / 5000), (windows.get(Math.floor(l.at / 5000)) ?? 0) + l.samples);
const keys = [...windows.keys()].sort((a, b) => a - b).slice(1, -1);
const sustained = median(keys.map((k) => windows.get(k)! / 5)) || 0;
const allLag = lags.map((l) => l.lag);
const warmLag = lags.filter((l) => l.at - l.lag >= t0 + INTERVAL).map((l) => l.lag);
const done = lags.length;

await Promise.all(children.map((c) => c.stop()));
await Promise.all(events.map((e) => e.close()));
await pub.close();
// Leave nothing behind: the bench's database and Redis keys.
let deleted = 0;
for (let cursor = '0'; ; ) {
  const [next, found] = await (conn as import('ioredis').Redis).scan(cursor, 'MATCH', `{${prefixBase(prefix)}*`, 'COUNT', 1000);
  if (found.length) deleted += await (conn as import('ioredis').Redis).del(...found);
  cursor = next;
  if (cursor === '0') break;
}
await conn.quit();
await q.query(`DROP DATABASE ${ident(db)}`);

console.error(`bench: published ${published} jobs (${publishErrors} errors), completed ${done} of ${schedule.length}; generator CPU ${((genCpu.user + genCpu.system) / 1e6).toFixed(1)} s; ${deleted} Redis keys removed`);
console.log(
  `processor: offered ${offered.toFixed(0)} samples/s, sustained ${sustained.toFixed(0)} samples/s (median of 5 s windows), ` +
    `lag p50 ${median(allLag).toFixed(0)} ms p95 ${percentile(allLag, 95).toFixed(0)} ms (after first interval: p95 ${percentile(warmLag, 95).toFixed(0)} ms), ` +
    `sustained/offered ${(sustained / offered).toFixed(2)}x, jobs done ${done}/${schedule.length}`,
);
process.exit(0);
