/**
 * Processor test scaffolding: a deterministic fleet scenario published through
 * the real publisher, completion tracking through BullMQ QueueEvents, the
 * processor run in-process or as child processes of the real entry point, and
 * the outputs read back from InfluxDB for comparison.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QueueEvents } from 'bullmq';
import { stringify } from 'yaml';
import { DEFAULTS, type Config } from '../../common/config.js';
import { createRedis, type RedisClient } from '../../common/queue/connection.js';
import { SAMPLES_QUEUE, shardPrefix } from '../../common/queue/names.js';
import { SamplesPublisher } from '../../common/queue/publisher.js';
import type { ContainerSample } from '../../common/queue/payload.js';
import type { InfluxQL } from '../../common/influx/query.js';
import { shardOf } from '../../common/queue/shard.js';
import { StateStore } from '../../processor/store.js';
import { decodeHostState, type HostState } from '../../processor/state.js';
import { ROOT } from './services.js';

export const INTERVAL = 30_000;

/** Static rules the scenario trips. */
export const SCENARIO_RULES = [
  { name: 'cpu_high', metric: 'cpu_percent', op: '>', value: 80, for: '1m', severity: 'critical', labels: { team: 'web' } },
  { name: 'rx_burst', metric: 'net_rx_rate', op: '>', value: 1e7, for: '0s' },
];

/** Processor settings of the scenario runs (test-sized thresholds so they warm up). */
export function scenarioOverrides(bucket: string, prefix: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'influx.bucket': bucket,
    'redis.prefix': prefix,
    'queue.shards': 4,
    'queue.keepFailed': 1000,
    'processor.rules': SCENARIO_RULES,
    'processor.thresholds.warmup': '5m',
    'processor.thresholds.for': '30s',
    'processor.prediction.minSamples': 5,
    'processor.faults.logErrors.enabled': false,
    ...extra,
  };
}

/** Small deterministic PRNG (mulberry32). */
export function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type ScenarioJob =
  | { kind: 'samples'; host: string; time: number; containers: ContainerSample[] }
  | { kind: 'event'; host: string; time: number; action: string; id: string; name: string; attributes: Record<string, string> };

/**
 * A fleet of `hosts` × 3 containers over `cycles` cycles, with faults planted:
 * a CPU spike (host0/c0), a restart loop (host1/c1), a counter reset and a
 * restart (host2/c0), missing values (host3), a crash without stop
 * (host4/c2), a requested `docker stop` (host5/c0), a memory leak (host0/c1), a filling
 * filesystem (host0/c2).
 */
export function scenario(t0: number, hosts = 6, cycles = 30): ScenarioJob[] {
  const jobs: ScenarioJob[] = [];
  const rand = rng(42);
  const counters = new Map<string, { rx: number; tx: number; r: number; w: number; restarts: number; started: number }>();
  for (let i = 0; i < cycles; i++) {
    const t = t0 + i * INTERVAL;
    for (let h = 0; h < hosts; h++) {
      const host = `host${h}`;
      const containers: ContainerSample[] = [];
      for (let c = 0; c < 3; c++) {
        const id = `${host}-c${c}`.padEnd(64, '0');
        let k = counters.get(id);
        if (!k) counters.set(id, (k = { rx: 0, tx: 0, r: 0, w: 0, restarts: 0, started: t0 - 3_600_000 }));
        k.rx += 100_000 + Math.floor(rand() * 10_000);
        k.tx += 50_000 + Math.floor(rand() * 5_000);
        k.r += 4096;
        k.w += 8192;
        let state = 'running';
        if (h === 2 && c === 0 && i === 15) {
          // Restarted: counters start over.
          k.rx = 1000;
          k.tx = 500;
          k.started = t - 5_000;
        }
        if (h === 1 && c === 1 && i >= 5 && i <= 7) k.restarts++;
        if (h === 4 && c === 2 && i === 14) k.started = t - 2000;
        if (h === 4 && c === 2 && (i === 12 || i === 13)) state = 'exited';
        let cpu: number | null = 5 + rand() * 10;
        if (h === 0 && c === 0 && i >= 10 && i < 16) cpu = 95 + rand();
        if (h === 3 && i % 5 === 0) cpu = null;
        const leak = h === 0 && c === 1 ? 50e6 + i * 8e6 : 80e6 + rand() * 1e6;
        const running = state === 'running';
        containers.push({
          id,
          name: `c${c}`,
          image: 'app:1',
          state,
          startedAt: k.started,
          finishedAt: h === 4 && c === 2 && i >= 12 ? t0 + 12 * INTERVAL + 1000 : null,
          exitCode: h === 4 && c === 2 && i >= 12 ? 1 : 0,
          oomKilled: false,
          restartCount: k.restarts,
          pid: running ? 1000 + c : 0,
          health: null,
          cpu: running ? { percent: cpu } : null,
          mem: running ? { usage: leak, limit: 256e6, percent: null } : null,
          net: running ? { rx: h === 3 && i % 7 === 0 ? null : k.rx, tx: k.tx } : null,
          blkio: running ? { read: k.r, write: k.w } : null,
          pids: running ? { current: 4, limit: null } : null,
          // host0/c2's writable layer fills Docker's filesystem
          fs: h === 0 && c === 2 ? { usage: 1e9 + i * 40e6, limit: 3e9 } : { usage: 5e6, limit: 3e9 },
        });
      }
      jobs.push({ kind: 'samples', host, time: t, containers });
      if (h === 4 && i === 12) {
        jobs.push({ kind: 'event', host, time: t + 1000, action: 'die', id: `${host}-c2`.padEnd(64, '0'), name: 'c2', attributes: { exitCode: '1' } });
      }
      if (h === 4 && i === 14) {
        jobs.push({ kind: 'event', host, time: t - 2000, action: 'start', id: `${host}-c2`.padEnd(64, '0'), name: 'c2', attributes: {} });
      }
      if (h === 5 && i === 8) {
        const id = `${host}-c0`.padEnd(64, '0');
        jobs.push({ kind: 'event', host, time: t + 1000, action: 'kill', id, name: 'c0', attributes: { signal: '15' } });
        jobs.push({ kind: 'event', host, time: t + 1500, action: 'die', id, name: 'c0', attributes: { exitCode: '143' } });
        jobs.push({ kind: 'event', host, time: t + 1600, action: 'stop', id, name: 'c0', attributes: {} });
        jobs.push({ kind: 'event', host, time: t + 2500, action: 'start', id, name: 'c0', attributes: {} });
      }
    }
  }
  return jobs;
}

/** Publishes the jobs; hosts in parallel (the publisher keeps each host's order), or one by one. */
export async function publishAll(pub: SamplesPublisher, jobs: ScenarioJob[], parallel = false): Promise<string[]> {
  const one = (j: ScenarioJob) =>
    j.kind === 'samples'
      ? pub.publishSamples({ host: j.host, time: j.time, containers: j.containers })
      : pub.publishEvent({
          host: j.host, time: j.time, nano: (BigInt(j.time) * 1_000_000n).toString(), type: 'container',
          action: j.action, id: j.id, name: j.name, attributes: j.attributes,
        });
  if (parallel) return Promise.all(jobs.map(one));
  const ids: string[] = [];
  for (const j of jobs) ids.push(await one(j));
  return ids;
}

/** Counts completed and failed jobs on every shard, from BullMQ's event streams. */
export class JobTracker {
  /** latest outcome per job ID, and how many completions and failures were seen (a job ID may recur) */
  readonly completed = new Map<string, unknown>();
  readonly failed = new Map<string, string>();
  private count = 0;
  private readonly events: QueueEvents[] = [];
  private waiters: Array<() => void> = [];

  constructor(cfg: Pick<Config, 'redis' | 'queue'>, private readonly connection: RedisClient = createRedis(cfg.redis)) {
    for (let i = 0; i < cfg.queue.shards; i++) {
      const qe = new QueueEvents(SAMPLES_QUEUE, { connection: this.connection, prefix: shardPrefix(cfg.redis.prefix, i) });
      qe.on('completed', ({ jobId, returnvalue }) => {
        this.completed.set(jobId, returnvalue);
        this.count++;
        this.poke();
      });
      qe.on('failed', ({ jobId, failedReason }) => {
        this.failed.set(jobId, failedReason);
        this.count++;
        this.poke();
      });
      this.events.push(qe);
    }
  }

  private poke() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async ready(): Promise<void> {
    await Promise.all(this.events.map((e) => e.waitUntilReady()));
  }

  get done() {
    return this.count;
  }

  /** Resolves once `n` jobs finished (completed or failed for good). */
  async until(n: number, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.done < n) {
      if (Date.now() > deadline) throw new Error(`only ${this.done} of ${n} jobs finished within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, 1000);
        this.waiters.push(() => {
          clearTimeout(timer);
          r();
        });
      });
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.events.map((e) => e.close()));
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}

/** The processor's entry point as a child process, with a YAML config of its own. */
export class ProcessorChild {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  stderr = '';

  constructor(config: Record<string, unknown>) {
    const dir = mkdtempSync(path.join(tmpdir(), 'sw-proc-'));
    const file = path.join(dir, 'shipwatch.yaml');
    writeFileSync(file, stringify(config));
    this.proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'processor/main.ts'), '--config', file], {
      cwd: ROOT,
      env: { ...process.env, SHIPWATCH_CONFIG: file },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-20_000);
    });
    this.exited = new Promise((r) => this.proc.on('exit', (code) => r(code)));
  }

  /** Resolves when the processor logged that it takes jobs. */
  async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.stderr.includes('"msg":"processor ready:')) {
      if (this.proc.exitCode !== null) throw new Error(`processor exited (${this.proc.exitCode}): ${this.stderr.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`processor not ready within ${timeoutMs} ms: ${this.stderr.slice(-2000)}`);
      await new Promise((r) => this.proc.stderr!.once('data', r).once('close', r));
    }
  }

  /** SIGTERM: the processor finishes its jobs under way and exits. */
  async stop(): Promise<number | null> {
    if (this.proc.exitCode === null) this.proc.kill('SIGTERM');
    return this.exited;
  }
}

/** Nested config object (for YAML) from dotted overrides on top of a base. */
export function nestedConfig(base: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const out = structuredClone(base) as Record<string, any>;
  for (const [k, v] of Object.entries(overrides)) {
    const parts = k.split('.');
    let cur = out;
    for (const p of parts.slice(0, -1)) cur = cur[p] ??= {};
    cur[parts[parts.length - 1]] = v;
  }
  return out;
}

export interface Outputs {
  /** one row per container and closed window, every metric's figures as `<metric>_<stat>` columns */
  rollups: Array<Record<string, unknown>>;
  thresholds: Array<Record<string, unknown>>;
  predictions: Array<Record<string, unknown>>;
  alerts: Array<Record<string, unknown>>;
}

const sortRows = (rows: Array<Record<string, unknown>>, keys: string[]) =>
  rows.sort((a, b) => {
    for (const k of keys) {
      const x = String(a[k] ?? '');
      const y = String(b[k] ?? '');
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  });

/** Everything the processor wrote, in a stable order. */
export async function readOutputs(q: InfluxQL): Promise<Outputs> {
  const perContainer = 'GROUP BY "engine_host", "container_name"';
  const [rollups, thresholds, predictions, alerts] = await Promise.all([
    // Rollups live in their own retention policy (influx.rollupRetentionPolicy, docs/retention.md).
    q.rows(`SELECT * FROM "${DEFAULTS.influx.rollupRetentionPolicy}"."shipwatch_rollup" ${perContainer}`),
    q.rows(`SELECT * FROM "shipwatch_threshold" ${perContainer}`),
    q.rows(`SELECT "limit", "slope", "eta_s", "predicted" FROM "shipwatch_prediction" GROUP BY "engine_host", "container_name", "metric"`),
    q.rows(`SELECT "key", "starts_at", "summary", "snapshot_id" FROM "shipwatch_alerts" GROUP BY "engine_host", "container_name", "rule", "status"`),
  ]);
  const k = ['engine_host', 'container_name', 'time'];
  return {
    rollups: sortRows(rollups, k),
    thresholds: sortRows(thresholds, k),
    predictions: sortRows(predictions, [...k.slice(0, 2), 'metric', 'time']),
    alerts: sortRows(alerts, ['key', 'status', 'time']),
  };
}

/** Removes every Redis key of a test's prefix (queues, host state, alerts). */
export async function dropKeys(cfg: Pick<Config, 'redis'>): Promise<number> {
  const base = cfg.redis.prefix.replace(/^\{|\}$/g, '');
  const conn = createRedis({ ...cfg.redis, nodes: [] });
  let n = 0;
  try {
    for (let cursor = '0'; ; ) {
      const [next, keys] = await (conn as import('ioredis').Redis).scan(cursor, 'MATCH', `{${base}*`, 'COUNT', 1000);
      if (keys.length) n += await (conn as import('ioredis').Redis).del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    await conn.quit().catch(() => conn.disconnect());
  }
  return n;
}

/**
 * A host's state as the processor last committed it, read from Redis the way
 * a worker reads it; undefined before its first job. What the processor
 * applied shows here, not in InfluxDB: it writes rollups per closed window.
 */
export async function readHostState(store: StateStore, shards: number, host: string): Promise<HostState | undefined> {
  const raw = await store.read(shardOf(host, shards), host);
  return raw ? decodeHostState(host, raw) : undefined;
}

/** The state store of a processor running elsewhere (another process). */
export const stateStoreOf = (redis: RedisClient, prefix: string) => new StateStore(redis, prefix, { stateTtl: 0, lockTtl: 0 });

/** Samples of a container's metric in the processor's averaging window (0: none applied yet). */
export function windowSamples(s: HostState | undefined, container: string, metric: string): number {
  const c = Object.values(s?.c ?? {}).find((x) => x.name === container);
  return (c?.m[metric]?.w.length ?? 0) / 2;
}
