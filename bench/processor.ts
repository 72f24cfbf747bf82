/**
 * npm run bench:processor [-- --hosts 2000 --containers 50 --interval 30s --duration 60s --workers 2 --shards 8
 *                          --aligned --cluster --max]
 *
 * Simulates a fleet against the real Redis and InfluxDB: every host publishes
 * one samples job per interval through the real publisher (hosts' clocks
 * spread evenly over the interval, as independent collectors are; all in the
 * same second with --aligned, as collectors on aligned clocks are), while
 * --workers processor processes (the real entry point, shipped defaults)
 * consume them. Prints the offered and sustained container samples/s, the
 * median and p95 lag from sample time to job completion (points flushed and
 * state committed), the sustained/offered ratio and the processors' CPU per
 * sample, all from the same run, and the machine's load average (other work
 * on the machine stretches the lag).
 *
 * --cluster runs it on a three-node Redis Cluster of its own
 * (scripts/redis-cluster.sh). --max steps the rate up by --hosts at a time
 * until the p95 lag reaches 5 s and prints the highest rate that stayed
 * under. Each run removes its database and Redis keys.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { QueueEvents } from 'bullmq';
import { services, testConfig, freshDatabase, uniqueRun, ROOT } from '../test/helpers/services.js';
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
    aligned: { type: 'boolean', default: false },
    cluster: { type: 'boolean', default: false },
    max: { type: 'boolean', default: false },
  },
});
const CONTAINERS = Number(args.containers);
const INTERVAL = parseDuration(args.interval!);
const DURATION = parseDuration(args.duration!);
const WORKERS = Number(args.workers);
const SHARDS = Number(args.shards);
/** The lag the --max search keeps under. */
const MAX_P95_MS = 5000;

const percentile = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs: number[]) => percentile(xs, 50);
const load = () => loadavg()[0].toFixed(1);

/** CPU seconds a process used so far (utime + stime of /proc/<pid>/stat). */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

interface Result {
  offered: number;
  sustained: number;
  p50: number;
  p95: number;
  warmP95: number;
  done: number;
  scheduled: number;
  /** processor processes' CPU per container sample, µs */
  cpuPerSample: number;
}

async function runOnce(hosts: number, redisNodes: string[]): Promise<Result> {
  const env = services();
  const offered = (hosts * CONTAINERS * 1000) / INTERVAL;
  const db = 'sw_bench_processor';
  const prefix = `{${uniqueRun('swbench')}}`;
  const cfg = testConfig(db, { 'redis.prefix': prefix, 'redis.nodes': redisNodes, 'queue.shards': SHARDS });
  const q = await freshDatabase(db);

  // Shipped defaults, but for where the services are.
  const children = Array.from({ length: WORKERS }, () =>
    new ProcessorChild(nestedConfig({}, {
      'influx.url': env.influxUrl,
      'influx.bucket': db,
      'redis.url': cfg.redis.url,
      'redis.nodes': redisNodes,
      'redis.prefix': prefix,
      'queue.shards': SHARDS,
      'log.level': 'info',
    })),
  );
  await Promise.all(children.map((c) => c.ready()));
  const cpuBefore = children.map((c) => cpuSeconds(c.proc.pid!));

  // Lag: from the sample time in the job ID to BullMQ's completion event.
  const conn = createRedis(cfg.redis);
  const lags: Array<{ at: number; lag: number }> = [];
  const events = Array.from({ length: SHARDS }, (_, i) => {
    const qe = new QueueEvents(SAMPLES_QUEUE, { connection: conn, prefix: shardPrefix(prefix, i) });
    qe.on('completed', ({ jobId }) => {
      const t = Number(jobId.slice(jobId.lastIndexOf('-') + 1));
      const now = Date.now();
      lags.push({ at: now, lag: now - t });
    });
    qe.on('failed', ({ jobId, failedReason }) => console.error('job failed', jobId, failedReason));
    return qe;
  });
  await Promise.all(events.map((e) => e.waitUntilReady()));

  const pub = new SamplesPublisher(cfg);
  const rand = rng(7);
  const state = Array.from({ length: hosts }, () => Array.from({ length: CONTAINERS }, () => ({ rx: 0, tx: 0, r: 0, w: 0, mem: 50e6 + rand() * 100e6 })));
  const started = Date.now() - 3_600_000;
  const payload = (h: number): ContainerSample[] => {
    const out: ContainerSample[] = [];
    for (let c = 0; c < CONTAINERS; c++) {
      const s = state[h][c];
      s.rx += 1e5 * rand();
      s.tx += 5e4 * rand();
      s.r += 4096;
      s.w += 8192;
      s.mem += (rand() - 0.5) * 1e6;
      out.push({
        // unique per container: "h1-c2-..." and "h1-c20-..." differ
        id: `h${h}-c${c}-`.padEnd(64, '0'), name: `c${c}`, image: 'app:1', state: 'running', startedAt: started,
        exitCode: 0, oomKilled: false, restartCount: 0, pid: 100 + c, health: null,
        cpu: { percent: 5 + rand() * 20 }, mem: { usage: s.mem, limit: 1e9, percent: null },
        net: { rx: Math.round(s.rx), tx: Math.round(s.tx) }, blkio: { read: s.r, write: s.w }, pids: { current: 5, limit: null },
      });
    }
    return out;
  };

  // Each host ticks at its own phase in the interval (all at :00 and :30 with --aligned).
  const t0 = Math.ceil(Date.now() / INTERVAL) * INTERVAL + INTERVAL;
  const end = t0 + DURATION;
  let publishErrors = 0;
  const phase = (h: number) => (args.aligned ? 0 : Math.floor((h * INTERVAL) / hosts));
  const schedule: Array<{ h: number; at: number }> = [];
  for (let cycle = 0; t0 + cycle * INTERVAL < end; cycle++) {
    for (let h = 0; h < hosts; h++) {
      const at = t0 + cycle * INTERVAL + phase(h);
      if (at < end) schedule.push({ h, at });
    }
  }
  schedule.sort((a, b) => a.at - b.at);
  console.error(`bench: ${hosts} hosts x ${CONTAINERS} containers every ${INTERVAL / 1000} s = ${offered.toFixed(0)} samples/s offered, ` +
    `${WORKERS} processor processes, ${SHARDS} shards, ${redisNodes.length ? `${redisNodes.length}-node Redis Cluster` : 'one Redis'}, ${DURATION / 1000} s, load ${load()}`);
  for (let i = 0; i < schedule.length; ) {
    const wait = schedule[i].at - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, 50)));
    const now = Date.now();
    while (i < schedule.length && schedule[i].at <= now) {
      const { h, at } = schedule[i++];
      pub.publishSamples({ host: `bench-host-${h}`, time: at, containers: payload(h) }).catch(() => void publishErrors++);
    }
  }
  // Let the last jobs drain, up to one interval.
  const drainUntil = Date.now() + INTERVAL;
  while (lags.length < schedule.length && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 200));
  const cpu = children.reduce((sum, c, i) => sum + cpuSeconds(c.proc.pid!) - cpuBefore[i], 0);

  // Sustained rate: median of 5-second windows over the run; lag over all jobs and after the first interval (cold series).
  const windows = new Map<number, number>();
  for (const l of lags) windows.set(Math.floor(l.at / 5000), (windows.get(Math.floor(l.at / 5000)) ?? 0) + CONTAINERS);
  const keys = [...windows.keys()].sort((a, b) => a - b).slice(1, -1);
  const allLag = lags.map((l) => l.lag);
  const result: Result = {
    offered,
    sustained: median(keys.map((k) => windows.get(k)! / 5)) || 0,
    p50: median(allLag),
    p95: percentile(allLag, 95),
    warmP95: percentile(lags.filter((l) => l.at - l.lag >= t0 + INTERVAL).map((l) => l.lag), 95),
    done: lags.length,
    scheduled: schedule.length,
    cpuPerSample: (cpu * 1e6) / Math.max(1, lags.length * CONTAINERS),
  };

  await Promise.all(children.map((c) => c.stop()));
  await Promise.all(events.map((e) => e.close()));
  await pub.close();
  // Leave nothing behind: the bench's database and Redis keys (a Cluster of its own is stopped as a whole).
  if (!redisNodes.length) {
    const r = conn as import('ioredis').Redis;
    for (let cursor = '0'; ; ) {
      const [next, found] = await r.scan(cursor, 'MATCH', `{${prefixBase(prefix)}*`, 'COUNT', 1000);
      if (found.length) await r.del(...found);
      cursor = next;
      if (cursor === '0') break;
    }
  }
  await conn.quit();
  await q.query(`DROP DATABASE ${ident(db)}`);
  console.error(`bench: completed ${result.done} of ${result.scheduled} jobs, ${publishErrors} publish errors; load ${load()}`);
  return result;
}

const ms = (x: number) => `${x.toFixed(0)} ms`;
const line = (r: Result) =>
  `offered ${r.offered.toFixed(0)} samples/s, sustained ${r.sustained.toFixed(0)} samples/s (median of 5 s windows), ` +
  `lag p50 ${ms(r.p50)} p95 ${ms(r.p95)} (after first interval: p95 ${ms(r.warmP95)}), sustained/offered ${(r.sustained / r.offered).toFixed(2)}x, ` +
  `jobs done ${r.done}/${r.scheduled}, processor CPU ${r.cpuPerSample.toFixed(0)} µs/sample`;

let clusterDir: string | undefined;
let nodes: string[] = [];
if (args.cluster) {
  clusterDir = mkdtempSync(path.join(tmpdir(), 'sw-bench-cluster-'));
  nodes = execFileSync(path.join(ROOT, 'scripts/redis-cluster.sh'), ['start', clusterDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    .trim().split('\n');
}
const setup = `${WORKERS} processor process${WORKERS === 1 ? '' : 'es'}, ${nodes.length ? `${nodes.length}-node Redis Cluster` : 'one Redis'}${args.aligned ? ', aligned clocks' : ''}`;
const loadAtStart = load();
try {
  const step = Number(args.hosts);
  if (args.max) {
    // Up the rate until the p95 lag reaches MAX_P95_MS (or the processors fall behind); the last rate under it is the figure.
    let best: Result | undefined;
    let over: Result | undefined;
    for (let hosts = step; ; hosts += step) {
      const r = await runOnce(hosts, nodes);
      console.error(`bench: ${line(r)}`);
      if (r.p95 >= MAX_P95_MS || r.done < r.scheduled) {
        over = r;
        break;
      }
      best = r;
    }
    console.log(
      `processor max (${setup}): ${best ? `${best.offered.toFixed(0)} samples/s with p95 lag ${ms(best.p95)} (sustained ${best.sustained.toFixed(0)}, ` +
        `processor CPU ${best.cpuPerSample.toFixed(0)} µs/sample)` : 'none'} under ${MAX_P95_MS / 1000} s; ` +
        `next step ${over!.offered.toFixed(0)} samples/s: p95 ${ms(over!.p95)}, sustained ${over!.sustained.toFixed(0)}; load ${loadAtStart} → ${load()}`,
    );
  } else {
    const r = await runOnce(step, nodes);
    console.log(`processor (${setup}): ${line(r)}; load ${loadAtStart} → ${load()}`);
  }
} finally {
  if (clusterDir) {
    execFileSync(path.join(ROOT, 'scripts/redis-cluster.sh'), ['stop', clusterDir], { stdio: 'inherit' });
    rmSync(clusterDir, { recursive: true, force: true });
  }
}
process.exit(0);
