/**
 * Chaos run: the whole pipeline as separate processes (a Docker engine,
 * Redis and InfluxDB of the run's own, an SMTP peer, the collector, two
 * processors, the alerter and the recovery agent, each from its real entry
 * point) watching 50 containers, some of which the run crashes on a schedule,
 * while it injects faults at random moments, each kind more than once in a
 * full run: InfluxDB stopped 60 s (faultMs); Redis stopped and started again; the
 * Docker engine restarted; a processor and the alerter killed with SIGKILL
 * (and started again, as a service manager would); the SMTP peer down 60 s;
 * the network to InfluxDB slowed by a delaying proxy. Then it counts, from
 * what it did and from what reached InfluxDB and the SMTP peer: points
 * expected and written per measurement, alerts, emails, duplicates, recovery
 * runs, and each component's memory at the start and the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { OwnEngine } from '../helpers/engine.js';
import { SmtpPeer } from '../helpers/alerter.js';
import { rng, readHostState, stateStoreOf } from '../helpers/processor.js';
import { services, TEST_LABEL } from '../helpers/services.js';
import {
  ComponentProcess, DelayProxy, InfluxServer, Pipeline, RedisServer, freePort, sleep, waitUntil, type Memory,
} from '../helpers/stack.js';
import { InfluxQL, ident, literal } from '../../common/influx/query.js';
import { MEASUREMENT as M, PROCESSOR_MEASUREMENT as PM, TAG, TAG_VALUE } from '../../common/schema.js';
import { windowPhase, windowStart } from '../../processor/window.js';
import { createRedis } from '../../common/queue/connection.js';
import { DEFAULTS } from '../../common/config.js';

const SHARDS = DEFAULTS.queue.shards;

export interface ChaosOptions {
  /** how long faults and crashes go on (the drain afterwards comes on top) */
  durationMs: number;
  containers: number;
  /** of which crash on a schedule */
  crashers: number;
  seed: number;
  /** collector.interval */
  intervalMs: number;
  /** how often each fault kind is injected */
  repeat: number;
  /** how long InfluxDB and the SMTP peer stay down and the network to InfluxDB slow (default 60 s) */
  faultMs?: number;
  /** keep the run's directory (logs, configs, data) */
  keep?: boolean;
  log?: (line: string) => void;
}

export const FAULTS = ['influx-down', 'smtp-down', 'influx-slow', 'redis-restart', 'dockerd-restart', 'kill-processor', 'kill-alerter'] as const;
export type FaultKind = (typeof FAULTS)[number];
/** The faults that last a minute, one at a time; the short ones fall anywhere, over them too. */
const LONG: FaultKind[] = ['influx-down', 'smtp-down', 'influx-slow'];
/** Delay the slow network adds to every chunk each way. */
const SLOW_MS = 400;

export interface Row {
  what: string;
  expected: number;
  got: number;
  /** missing: expected − got where got is short */
  lost: number;
  duplicates: number;
}

export interface ChaosReport {
  rows: Row[];
  memory: Array<{ component: string; start: Memory; end: Memory; restarts: number }>;
  faults: Array<{ kind: FaultKind; at: number; ms: number }>;
  crashes: number;
  /** what missed a target, in words; empty: every target met */
  misses: string[];
  table: string;
}

interface Crash {
  container: string;
  at: number;
}

const MiB = 1024 * 1024;

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const say = o.log ?? (() => {});
  const LONG_MS = o.faultMs ?? 60_000;
  const rand = rng(o.seed);
  const t0 = Date.now();
  const stamp = () => `${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s`;
  const note = (s: string) => say(`[chaos ${stamp()}] ${s}`);
  services();
  const dir = mkdtempSync(path.join(tmpdir(), 'sw-chaos-'));
  const run = `chaos${o.seed}`;
  const host = `chaos-${o.seed}`;
  const db = 'chaos';
  const prefix = `{${run}}`;

  // Servers of the run's own.
  const engine = new OwnEngine('chaos', ['--live-restore']);
  const redis = new RedisServer(path.join(dir, 'redis'), await freePort());
  const influx = new InfluxServer(path.join(dir, 'influxdb'), await freePort(), await freePort());
  const proxy = new DelayProxy(influx.port);
  const smtp = new SmtpPeer();
  let components: ComponentProcess[] = [];
  const cycles: number[] = [];
  const faults: ChaosReport['faults'] = [];
  const crashes: Crash[] = [];
  let dockerUp = true;
  let d: Docker;

  try {
    engine.start();
    d = engine.docker();
    for (const c of await d.listContainers({ all: true, filters: { label: [TEST_LABEL] } })) await d.getContainer(c.Id).remove({ force: true });
    await redis.start();
    await influx.start();
    await proxy.start();
    const smtpPort = await smtp.start();
    const q = new InfluxQL({ url: influx.url, bucket: db, token: '', username: '', password: '', timeout: 60_000 });
    await q.query(`CREATE DATABASE ${ident(db)}`);

    const names = Array.from({ length: o.containers }, (_, i) => (i < o.crashers ? `crash-${i}` : `steady-${i}`));
    const steady = names.slice(o.crashers);
    for (const name of names) {
      const c = await d.createContainer({ name, Image: services().testImage, Cmd: ['sleep', '86400'], Labels: { [TEST_LABEL]: run } });
      await c.start();
    }

    const token = 'chaos-api-token-0123456789abcdef';
    const config = (over: Record<string, unknown> = {}) => ({
      host,
      docker: { socketPath: engine.socketPath },
      influx: { url: `http://127.0.0.1:${proxy.port}`, bucket: db },
      redis: { url: redis.url, prefix },
      collector: { interval: `${o.intervalMs}ms` },
      processor: { averageWindow: '1m' },
      alerter: {
        api: { port: 0, token },
        smtp: { host: '127.0.0.1', port: smtpPort, timeout: '5s' },
        receivers: [{ name: 'oncall', email: { to: ['oncall@example.test'] } }],
        route: {
          receiver: '',
          routes: [{ matchers: ['rule="died"', 'container=~"crash-.*"'], receiver: 'oncall', groupWait: '0s', groupInterval: '1s', groupBy: ['host', 'container'] }],
        },
        actions: {
          signingKey: 'chaos-signing-key-0123456789abcdef0123',
          cooldown: '0s', maxAttempts: 100, verifyWithin: '30s',
          rules: [{ name: 'restart', matchers: ['rule="died"', 'container=~"crash-.*"'], docker: 'restart' }],
        },
      },
      log: { level: 'info' },
      ...over,
    });
    const pipeline = new Pipeline(path.join(dir, 'components'), config);
    components = pipeline.components;
    const add = pipeline.add.bind(pipeline);
    const collector = pipeline.addCollector((t) => cycles.push(t));
    const processors = [add('processor-1', 'processor'), add('processor-2', 'processor')];
    const alerter = add('alerter', 'alerter');
    const agent = add('agent', 'agent');
    for (const c of [...processors, alerter, agent, collector]) await c.start();
    note(`pipeline up: ${components.map((c) => `${c.label} pid ${c.pid}`).join(', ')}; ${o.containers} containers (${o.crashers} crash on a schedule); logs in ${dir}`);

    // Memory once every part has run for a few cycles.
    await sleep(Math.max(20_000, 4 * o.intervalMs));
    const memStart = new Map<string, Memory>();
    for (const c of components) memStart.set(c.label, await c.memory());

    // The schedule: long faults one after another at random gaps, short ones at random moments.
    const start = Date.now();
    const end = start + o.durationMs;
    const plan: Array<{ kind: FaultKind; at: number }> = [];
    const longs = Array.from({ length: o.repeat }, () => LONG).flat().sort(() => rand() - 0.5);
    const room = o.durationMs - longs.length * LONG_MS - 30_000;
    if (room < 0) throw new Error(`chaos: ${longs.length} faults of ${LONG_MS / 1000} s need more than ${o.durationMs / 1000} s`);
    let at = start + 10_000;
    const gaps = longs.map(() => rand());
    const sum = gaps.reduce((a, b) => a + b, 0) || 1;
    for (const [i, kind] of longs.entries()) {
      at += (gaps[i] / sum) * room;
      plan.push({ kind, at });
      at += LONG_MS;
    }
    for (const kind of FAULTS.filter((k) => !LONG.includes(k))) {
      for (let i = 0; i < o.repeat; i++) plan.push({ kind, at: start + 10_000 + rand() * (o.durationMs - 40_000) });
    }
    plan.sort((a, b) => a.at - b.at);

    const inject = async (kind: FaultKind) => {
      const t = Date.now();
      note(`fault: ${kind}`);
      switch (kind) {
        case 'influx-down':
          await influx.stop();
          await sleep(LONG_MS);
          await influx.start();
          break;
        case 'smtp-down':
          await smtp.stop();
          await sleep(LONG_MS);
          await smtp.start(smtpPort);
          break;
        case 'influx-slow':
          proxy.delayMs = SLOW_MS;
          await sleep(LONG_MS);
          proxy.delayMs = 0;
          break;
        case 'redis-restart':
          await redis.stop();
          await sleep(5_000 + rand() * 10_000);
          await redis.start();
          break;
        case 'dockerd-restart':
          dockerUp = false;
          engine.stop();
          await sleep(2_000 + rand() * 8_000);
          engine.start();
          d = engine.docker();
          dockerUp = true;
          break;
        case 'kill-processor':
        case 'kill-alerter': {
          const c = kind === 'kill-alerter' ? alerter : processors[Math.floor(rand() * processors.length)];
          await c.kill('SIGKILL');
          // as a service manager restarts a component that died
          await sleep(3_000);
          await c.start();
          break;
        }
      }
      faults.push({ kind, at: t, ms: Date.now() - t });
      note(`fault over: ${kind} (${((Date.now() - t) / 1000).toFixed(0)} s)`);
    };

    // Crashes: every 10-25 s one crasher that runs (and ran a while) is killed.
    const lastCrash = new Map<string, number>();
    const crashLoop = (async () => {
      while (Date.now() < end - 30_000) {
        await sleep(10_000 + rand() * 15_000);
        if (!dockerUp || Date.now() >= end - 30_000) continue;
        const pick = names.slice(0, o.crashers).sort(() => rand() - 0.5);
        for (const name of pick) {
          try {
            const s = (await d.getContainer(name).inspect()).State;
            if (!s.Running || Date.now() - Date.parse(s.StartedAt) < 20_000 || Date.now() - (lastCrash.get(name) ?? 0) < 40_000) continue;
            const t = Date.now();
            await d.getContainer(name).kill();
            crashes.push({ container: name, at: t });
            lastCrash.set(name, t);
            break;
          } catch {
            // the engine went away meanwhile: the next round
            break;
          }
        }
      }
    })();

    const longLane = (async () => {
      for (const f of plan.filter((p) => LONG.includes(p.kind))) {
        if (f.at > Date.now()) await sleep(f.at - Date.now());
        await inject(f.kind);
      }
    })();
    const shortLane = (async () => {
      for (const f of plan.filter((p) => !LONG.includes(p.kind))) {
        if (f.at > Date.now()) await sleep(f.at - Date.now());
        await inject(f.kind);
      }
    })();
    await Promise.all([longLane, shortLane, crashLoop]);
    if (Date.now() < end) await sleep(end - Date.now());
    note(`faults over: ${faults.length} injected, ${crashes.length} crashes; draining`);

    // Drain: every crash's firing and resolved email, and the collector's points, as long as it takes within 3 minutes.
    const wanted = crashes.length * 2;
    await waitUntil(() => mailsOf(smtp).filter((m) => m.kind === 'FIRING' || m.kind === 'RESOLVED').length >= wanted, 180_000, 'emails').catch(() => {});
    await sleep(3 * o.intervalMs + 5_000);
    const memEnd = new Map<string, Memory>();
    for (const c of components) memEnd.set(c.label, await c.memory());
    // The collector first; the processors take its last jobs before they stop.
    await collector.close();
    const conn = createRedis({ ...DEFAULTS.redis, url: redis.url, prefix });
    try {
      const states = stateStoreOf(conn, prefix);
      const last = Math.max(...cycles);
      await waitUntil(async () => ((await readHostState(states, SHARDS, host))?.t ?? 0) >= last, 120_000, 'processors at the last cycle').catch(() => {});
    } finally {
      await conn.quit();
    }
    for (const c of [...processors, alerter, agent]) await c.close();

    // What reached InfluxDB (directly, not through the proxy).
    const firstCycle = Math.min(...cycles);
    const lastCycle = Math.max(...cycles);
    const inSteady = `${ident(TAG.engineHost)} = ${literal(host)} AND ${ident(TAG.containerName)} =~ /^steady-/`;
    const window = `time >= ${firstCycle}ms AND time <= ${lastCycle}ms`;
    const countOf = async (measurement: string, field: string, extra = '') => {
      const rows = await q.rows(`SELECT count(${ident(field)}) AS n FROM ${ident(measurement)} WHERE ${inSteady} AND ${window} ${extra} GROUP BY ${ident(TAG.containerName)}`);
      return rows.reduce((s, r) => s + Number(r.n), 0);
    };
    const owed = cycles.length * steady.length;
    const rows: Row[] = [];
    const pointRow = (what: string, expected: number, got: number): Row => ({ what, expected, got, lost: Math.max(0, expected - got), duplicates: Math.max(0, got - expected) });
    rows.push(pointRow(`points ${M.status}`, owed, await countOf(M.status, 'exitcode')));
    rows.push(pointRow(`points ${M.cpu} (cpu-total)`, owed, await countOf(M.cpu, 'usage_total', `AND ${ident(TAG.cpu)} = ${literal(TAG_VALUE.cpuTotal)}`)));
    rows.push(pointRow(`points ${M.mem}`, owed, await countOf(M.mem, 'usage')));
    // The processor's rollups: one per steady container and averaging window (1 min) closed by the last cycle, from
    // the window of the second cycle on (CPU % needs two samples: a window holding only the first has no cpu_percent).
    const W = 60_000;
    const secondCycle = [...cycles].sort((x, y) => x - y)[1];
    let rollupsOwed = 0;
    for (const name of steady) {
      const phase = windowPhase(host, name, W);
      for (let s = windowStart(secondCycle, W, phase); s + W <= lastCycle; s += W) rollupsOwed++;
    }
    const rollups = await q.rows(`SELECT count("cpu_percent_mean") AS n FROM "rollup".${ident(PM.rollup)} WHERE ${inSteady} GROUP BY ${ident(TAG.containerName)}`);
    rows.push(pointRow(`points ${PM.rollup}`, rollupsOwed, rollups.reduce((s, r) => s + Number(r.n), 0)));

    // Alerts: one died alert per crash, starting at its die; and none else for these containers.
    const alerts = await q.rows(`SELECT "starts_at", "status" FROM ${ident(PM.alerts)} WHERE ${ident(TAG.engineHost)} = ${literal(host)} AND "rule" = 'died' GROUP BY ${ident(TAG.containerName)}`);
    const firing = alerts.filter((a) => a.status === 'firing');
    const matchCrash = (container: string, startsAt: number) => crashes.find((c) => c.container === container && startsAt >= c.at - 2_000 && startsAt <= c.at + 30_000);
    const raised = new Map<Crash, number>();
    let unexpected = 0;
    for (const a of firing) {
      const c = matchCrash(a.container_name as string, Number(a.starts_at));
      if (c) raised.set(c, (raised.get(c) ?? 0) + 1);
      else unexpected++;
    }
    rows.push({ what: 'alerts died (firing)', expected: crashes.length, got: firing.length, lost: crashes.filter((c) => !raised.has(c)).length, duplicates: [...raised.values()].reduce((s, n) => s + n - 1, 0) + unexpected });
    const resolved = alerts.filter((a) => a.status === 'resolved' && matchCrash(a.container_name as string, Number(a.starts_at)));
    rows.push({ what: 'alerts died (resolved)', expected: crashes.length, got: resolved.length, lost: Math.max(0, crashes.length - resolved.length), duplicates: Math.max(0, resolved.length - crashes.length) });

    // Emails: a firing and a resolved one per crash; the same alert's email twice is a duplicate.
    const mails = mailsOf(smtp);
    for (const kind of ['FIRING', 'RESOLVED'] as const) {
      const these = mails.filter((m) => m.kind === kind);
      const seen = new Map<string, number>();
      for (const m of these) seen.set(m.key, (seen.get(m.key) ?? 0) + 1);
      const matched = crashes.filter((c) => these.some((m) => m.container === c.container && m.startsAt !== undefined && matchCrash(c.container, m.startsAt) === c));
      rows.push({
        what: `emails ${kind.toLowerCase()}`, expected: crashes.length, got: these.length,
        lost: crashes.length - matched.length, duplicates: [...seen.values()].reduce((s, n) => s + n - 1, 0),
      });
    }
    const runs = await q.rows(`SELECT "recovered" FROM "shipwatch_recovery_run" WHERE ${ident(TAG.engineHost)} = ${literal(host)} GROUP BY ${ident(TAG.containerName)}, "outcome"`);
    const recovered = runs.filter((r) => r.recovered === true).length;
    rows.push({ what: 'recovery runs (recovered)', expected: crashes.length, got: recovered, lost: Math.max(0, crashes.length - recovered), duplicates: Math.max(0, runs.length - crashes.length) });

    const memory = components.map((c) => ({ component: c.label, start: memStart.get(c.label)!, end: memEnd.get(c.label)!, restarts: c.starts - 1 }));
    const misses: string[] = [];
    for (const r of rows) {
      if (r.lost) misses.push(`${r.what}: ${r.lost} lost`);
      if (r.duplicates && r.what.startsWith('emails')) misses.push(`${r.what}: ${r.duplicates} duplicates`);
    }
    for (const m of memory) {
      // Flat: the heap kept after a full collection grew by less than half (and 20 MiB) over the run.
      if (m.end.heapUsed > m.start.heapUsed * 1.5 + 20 * MiB) misses.push(`${m.component}: heap ${(m.start.heapUsed / MiB).toFixed(0)} → ${(m.end.heapUsed / MiB).toFixed(0)} MiB`);
    }
    const report: ChaosReport = { rows, memory, faults, crashes: crashes.length, misses, table: '' };
    report.table = formatReport(report, o, { cycles: cycles.length, problems: components.map((c) => [c.label, c.problems] as const) });
    return report;
  } finally {
    for (const c of components) await c.close().catch(() => {});
    await smtp.stop().catch(() => {});
    await proxy.stop().catch(() => {});
    await influx.stop().catch(() => {});
    await redis.stop().catch(() => {});
    try {
      if (engine.pid()) {
        const dd = engine.docker();
        for (const c of await dd.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${run}`] } })) await dd.getContainer(c.Id).remove({ force: true });
      }
    } catch {
      // the engine stops anyway
    }
    engine.stop();
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
}

interface MailSeen {
  kind: 'FIRING' | 'RESOLVED' | 'OTHER';
  container: string;
  startsAt: number | undefined;
  /** status, container, alert start: the alert's notification */
  key: string;
}

/** The peer's mails, read as the alerter writes them (subject, and the alert's "started" line). */
function mailsOf(smtp: SmtpPeer): MailSeen[] {
  return smtp.mails.map((m) => {
    const subject = m.parsed.subject ?? '';
    const k = /^\[(FIRING):\d+\] died (\S+) on /.exec(subject) ?? /^\[(RESOLVED)\] died (\S+) on /.exec(subject);
    const started = /started (\S+?)(,|\s|$)/m.exec(m.parsed.text ?? '');
    const startsAt = started ? Date.parse(started[1]) : undefined;
    const kind = (k?.[1] as MailSeen['kind']) ?? 'OTHER';
    const container = k?.[2] ?? '';
    return { kind, container, startsAt, key: `${kind} ${container} ${startsAt}` };
  });
}

function formatReport(r: ChaosReport, o: ChaosOptions, x: { cycles: number; problems: ReadonlyArray<readonly [string, Map<string, number>]> }): string {
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  const out: string[] = [];
  const kinds = new Map<string, number>();
  for (const f of r.faults) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
  out.push(`chaos: ${(o.durationMs / 60_000).toFixed(1)} min, ${o.containers} containers (${o.crashers} crashing), ${r.crashes} crashes, collector interval ${o.intervalMs / 1000} s, ${x.cycles} cycles; faults: ${[...kinds].map(([k, n]) => `${k} x${n}`).join(', ')}`);
  out.push(`${'what'.padEnd(34)}${pad('expected', 9)}${pad('got', 9)}${pad('lost', 7)}${pad('dupl.', 7)}`);
  for (const row of r.rows) out.push(`${row.what.padEnd(34)}${pad(row.expected, 9)}${pad(row.got, 9)}${pad(row.lost, 7)}${pad(row.duplicates, 7)}`);
  out.push(`${'memory (RSS / heap after GC, MiB)'.padEnd(34)}${pad('start', 14)}${pad('end', 14)}${pad('restarts', 10)}`);
  const mb = (m: Memory) => `${(m.rss / MiB).toFixed(0)} / ${(m.heapUsed / MiB).toFixed(1)}`;
  for (const m of r.memory) out.push(`${m.component.padEnd(34)}${pad(mb(m.start), 14)}${pad(mb(m.end), 14)}${pad(m.restarts, 10)}`);
  for (const [label, problems] of x.problems) {
    if (problems.size) out.push(`${label} warnings: ${[...problems].map(([m, n]) => `${m} (x${n})`).join('; ')}`);
  }
  out.push(r.misses.length ? `targets MISSED: ${r.misses.join('; ')}` : 'targets met: 0 points lost, 0 alerts lost, 0 duplicate emails, memory flat');
  return out.join('\n');
}
