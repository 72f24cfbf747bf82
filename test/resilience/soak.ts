/**
 * Soak run: the whole pipeline as separate processes (a Docker engine, Redis
 * and InfluxDB of the run's own, the collector, two processors, the alerter
 * and the recovery agent, each from its real entry point and with the shipped
 * defaults but for the addresses) watching 200 containers for a long time.
 * It reads each component's RSS and heap (after a full collection) at the
 * start, the middle and the end, and counts the points written, the jobs the
 * processors applied and the warnings and errors each component logged.
 * Memory levels off when the heap grew less from the middle to the end than
 * from the start to the middle (or by less than 10 MiB).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OwnEngine } from '../helpers/engine.js';
import { services, TEST_LABEL } from '../helpers/services.js';
import { ComponentProcess, InfluxServer, Pipeline, RedisServer, freePort, sleep, type Memory } from '../helpers/stack.js';
import { InfluxQL, ident, literal } from '../../common/influx/query.js';
import { MEASUREMENT as M, PROCESSOR_MEASUREMENT as PM, TAG } from '../../common/schema.js';

export interface SoakOptions {
  durationMs: number;
  containers: number;
  /** collector.interval; undefined: the shipped default */
  intervalMs?: number;
  keep?: boolean;
  log?: (line: string) => void;
}

export interface SoakReport {
  memory: Array<{ component: string; start: Memory; middle: Memory; end: Memory }>;
  points: Record<string, number>;
  jobs: number;
  cycles: number;
  /** warnings and errors per component: message → count */
  problems: Array<[string, Map<string, number>]>;
  misses: string[];
  table: string;
}

const MiB = 1024 * 1024;

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const say = o.log ?? (() => {});
  const t0 = Date.now();
  const note = (s: string) => say(`[soak ${((Date.now() - t0) / 1000).toFixed(0).padStart(5)} s] ${s}`);
  services();
  const dir = mkdtempSync(path.join(tmpdir(), 'sw-soak-'));
  const run = `soak${process.pid}`;
  const host = `soak-${process.pid}`;
  const db = 'soak';
  const engine = new OwnEngine('soak');
  const redis = new RedisServer(path.join(dir, 'redis'), await freePort());
  const influx = new InfluxServer(path.join(dir, 'influxdb'), await freePort(), await freePort());
  let components: ComponentProcess[] = [];
  let cycles = 0;
  let jobs = 0;
  try {
    engine.start();
    const d = engine.docker();
    for (const c of await d.listContainers({ all: true, filters: { label: [TEST_LABEL] } })) await d.getContainer(c.Id).remove({ force: true });
    await redis.start();
    await influx.start();
    const q = new InfluxQL({ url: influx.url, bucket: db, token: '', username: '', password: '', timeout: 120_000 });
    await q.query(`CREATE DATABASE ${ident(db)}`);
    for (let i = 0; i < o.containers; i++) {
      const c = await d.createContainer({ name: `soak-${i}`, Image: services().testImage, Cmd: ['sleep', '86400'], Labels: { [TEST_LABEL]: run } });
      await c.start();
    }
    const config = (over: Record<string, unknown> = {}) => ({
      host,
      docker: { socketPath: engine.socketPath },
      influx: { url: influx.url, bucket: db },
      redis: { url: redis.url, prefix: `{${run}}` },
      ...(o.intervalMs ? { collector: { interval: `${o.intervalMs}ms` } } : {}),
      alerter: { api: { port: 0, token: 'soak-api-token-0123456789abcdef' } },
      log: { level: 'info' },
      ...over,
    });
    const pipeline = new Pipeline(path.join(dir, 'components'), config);
    components = pipeline.components;
    const add = pipeline.add.bind(pipeline);
    pipeline.addCollector(() => cycles++);
    const processors = [add('processor-1', 'processor'), add('processor-2', 'processor')];
    for (const p of processors) {
      p.onRecord = (r) => {
        if (r.msg === 'processor flushed' && typeof r.applied === 'number') jobs += r.applied;
      };
    }
    add('alerter', 'alerter');
    add('agent', 'agent');
    for (const c of components) await c.start();
    note(`pipeline up: ${components.map((c) => `${c.label} pid ${c.pid}`).join(', ')}; ${o.containers} containers; logs in ${dir}`);

    const readAll = async () => {
      const m = new Map<string, Memory>();
      for (const c of components) m.set(c.label, await c.memory());
      return m;
    };
    // The start once every part has run a few cycles; the middle and end at half and all of the duration.
    await waitCycles(() => cycles, 3, 180_000);
    const start = await readAll();
    const began = Date.now();
    note('memory at the start read');
    await sleep(o.durationMs / 2);
    const middle = await readAll();
    note('memory at the middle read');
    await sleep(Math.max(0, began + o.durationMs - Date.now()));
    const end = await readAll();
    note('memory at the end read; stopping');
    for (const c of components) await c.close();

    const where = `WHERE ${ident(TAG.engineHost)} = ${literal(host)}`;
    const count = async (from: string, field: string) => Number((await q.rows(`SELECT count(${ident(field)}) AS n FROM ${from} ${where}`))[0]?.n ?? 0);
    const points: Record<string, number> = {
      [M.status]: await count(ident(M.status), 'exitcode'),
      [M.cpu]: await count(ident(M.cpu), 'usage_total'),
      [M.mem]: await count(ident(M.mem), 'usage'),
      [PM.rollup]: await count(`"rollup".${ident(PM.rollup)}`, 'cpu_percent_mean'),
    };
    const memory = components.map((c) => ({ component: c.label, start: start.get(c.label)!, middle: middle.get(c.label)!, end: end.get(c.label)! }));
    const misses: string[] = [];
    for (const m of memory) {
      const first = m.middle.heapUsed - m.start.heapUsed;
      const second = m.end.heapUsed - m.middle.heapUsed;
      if (second > 10 * MiB && second > first) misses.push(`${m.component}: heap still growing (${(m.start.heapUsed / MiB).toFixed(1)} → ${(m.middle.heapUsed / MiB).toFixed(1)} → ${(m.end.heapUsed / MiB).toFixed(1)} MiB)`);
    }
    const errors = components.reduce((s, c) => s + [...c.problems.values()].reduce((a, b) => a + b, 0), 0);
    const report: SoakReport = { memory, points, jobs, cycles, problems: components.map((c) => [c.label, c.problems]), misses, table: '' };
    report.table = formatSoak(report, o, errors);
    return report;
  } finally {
    for (const c of components) await c.close().catch(() => {});
    await influx.stop().catch(() => {});
    await redis.stop().catch(() => {});
    try {
      const dd = engine.docker();
      for (const c of await dd.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${run}`] } })) await dd.getContainer(c.Id).remove({ force: true });
    } catch {
      // the engine stops anyway
    }
    engine.stop();
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
}

async function waitCycles(cycles: () => number, n: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (cycles() < n) {
    if (Date.now() > deadline) throw new Error(`soak: the collector ran ${cycles()} cycles in ${timeoutMs / 1000} s`);
    await sleep(500);
  }
}

function formatSoak(r: SoakReport, o: SoakOptions, errors: number): string {
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  const mb = (m: Memory) => `${(m.rss / MiB).toFixed(0)} / ${(m.heapUsed / MiB).toFixed(1)}`;
  const out: string[] = [];
  out.push(`soak: ${(o.durationMs / 60_000).toFixed(1)} min, ${o.containers} containers, collector interval ${o.intervalMs ? `${o.intervalMs / 1000} s` : 'default'}, ${r.cycles} cycles, ` +
    `points ${Object.entries(r.points).map(([m, n]) => `${m} ${n}`).join(', ')}, jobs processed ${r.jobs}, warnings+errors ${errors}`);
  out.push(`${'memory (RSS / heap after GC, MiB)'.padEnd(34)}${pad('start', 14)}${pad('middle', 14)}${pad('end', 14)}`);
  for (const m of r.memory) out.push(`${m.component.padEnd(34)}${pad(mb(m.start), 14)}${pad(mb(m.middle), 14)}${pad(mb(m.end), 14)}`);
  for (const [label, problems] of r.problems) {
    if (problems.size) out.push(`${label} warnings/errors: ${[...problems].map(([m, n]) => `${m} (x${n})`).join('; ')}`);
  }
  out.push(r.misses.length ? `memory MISSED: ${r.misses.join('; ')}` : 'memory levels off');
  return out.join('\n');
}
