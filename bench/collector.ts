/**
 * npm run bench:collector [-- --containers 200 --cycles 120 --window 300 --netdata-window 120 --api]
 *
 * Starts N idle containers of the test image (default bridge network) and measures,
 * in one run:
 *  1. the metrics path alone: collection cycles (cgroup files) back to back in this
 *     process, the clock advancing by the shipped interval (30 s) each cycle, so the
 *     full list (every 1 min), the info rewrite (every 5 min) and the re-inspect of
 *     every container (every hour: 120 cycles are an hour of clock) run as often as
 *     in production; mean CPU per cycle against the floor of only reading the fast
 *     path's files through kept-open descriptors;
 *  2. everything together: the shipped entry point (collector/main.ts) as a child
 *     process with the configuration defaults (processes, disk, images, events,
 *     queue feed to Redis), its CPU over `--window` seconds of real time; then the
 *     same with the Prometheus exposition on (off by default) and scraped once a
 *     minute, a second labelled figure;
 *  3. Netdata (Debian's 1.37, 1 s updates) in the same run, with the containers and
 *     after they were removed: its daemon's CPU per container-sample.
 * Prints one summary line (medians; the load average beside it).
 */
import fs from 'node:fs';
import os from 'node:os';
import { once } from 'node:events';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { services, docker, testConfig, freshDatabase, cleanup, uniqueRun, eventually, TEST_LABEL, ROOT } from '../test/helpers/services.js';
import { PeerProcess, freePort } from '../test/helpers/peers.js';
import { createLogger } from '../common/log.js';
import { mapLimit } from '../common/pool.js';
import { DEFAULTS } from '../common/config.js';
import { createRedis } from '../common/queue/connection.js';
import { InfluxWriter } from '../common/influx/writer.js';
import { Collector, type CycleSamples } from '../collector/collector.js';
import { DockerEventStream } from '../collector/events.js';
import { ContainerRegistry } from '../collector/registry.js';
import { ApiStatsSource } from '../collector/sources/api.js';
import { CgroupStatsSource, detectCgroup, containerCgroupPath } from '../collector/sources/cgroup.js';
import type { StatsSource } from '../collector/sources/source.js';
import { LatestSamples } from '../collector/prometheus/server.js';
import { NetdataPeer, netdataMissing } from './netdata.js';
import { processCpuMs, processTree, pidsByName } from './proc.js';

const { values: args } = parseArgs({
  options: {
    containers: { type: 'string', default: '200' },
    cycles: { type: 'string', default: '120' },
    window: { type: 'string', default: '300' },
    'netdata-window': { type: 'string', default: '120' },
    api: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const N = Number(args.containers);
const CYCLES = Number(args.cycles);
const WINDOW_S = Number(args.window);
const ND_WINDOW_S = Number(args['netdata-window']);
const INTERVAL = DEFAULTS.collector.interval;
const log = createLogger('bench', 'warn');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const note = (s: string) => process.stderr.write(s + '\n');

/** The tests' Docker engine: its dockerd (from the services' pid file) and the containerd it runs. */
function enginePids(): number[] {
  const file = path.join(process.env.SHIPWATCH_RUN_DIR ?? '/tmp/shipwatch-services', 'docker/docker.pid');
  let dockerd: number | undefined;
  try {
    dockerd = Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    // not started by services.sh: every dockerd and containerd on the machine
  }
  if (!dockerd) return pidsByName(['dockerd', 'containerd']);
  const containerd = processTree(dockerd).filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'containerd';
    } catch {
      return false;
    }
  });
  return [dockerd, ...containerd];
}
const engine = enginePids();
const engineCpuMs = () => engine.reduce((s, p) => s + processCpuMs(p), 0);

interface Measured { wall: number; cpu: number; engine: number }

/** Collection cycles back to back, the clock advancing by the shipped interval; the last cycle's samples. */
async function measure(name: string, source: StatsSource, writer: InfluxWriter, d: ReturnType<typeof docker>, cycles: number) {
  const opts = DEFAULTS.collector;
  const registry = new ContainerRegistry(d, opts);
  let last: CycleSamples | undefined;
  const c = new Collector({
    registry, source, sink: writer, samples: { cycle: (s) => (last = s) }, engine: { host: 'bench', serverVersion: 'bench' }, opts, log,
  });
  // As in production: the event stream names changes, so cycles need not list every container.
  const events = new DockerEventStream(d, log, { type: ['container'] });
  c.follow(events);
  events.start();
  await once(events, 'connected');
  const out: Measured[] = [];
  let t = Math.floor(Date.now() / INTERVAL) * INTERVAL;
  for (let i = 0; i < cycles + 2; i++) {
    t += INTERVAL;
    const e0 = engineCpuMs();
    const c0 = cpuMs();
    const w0 = performance.now();
    const r = await c.cycle(t);
    const wall = performance.now() - w0;
    const cpu = cpuMs() - c0;
    const eng = engineCpuMs() - e0;
    if (!r || r.sampled < N) throw new Error(`${name}: cycle sampled ${r?.sampled} of ${N} containers`);
    if (i >= 2) out.push({ wall, cpu, engine: eng }); // the first cycles open files and inspect every container
    await sleep(100);
  }
  events.stop();
  return { cycles: out, last: last! };
}

/** The floor: only reading the fast path's files, already open, once per container. */
function floor(version: 1 | 2, ids: Array<{ id: string; pid: number }>): number[] {
  const files = version === 1
    ? ['cpuacct/cpuacct.usage', 'cpuacct/cpuacct.stat', 'cpu/cpu.stat', 'memory/memory.usage_in_bytes', 'memory/memory.stat',
      'blkio/blkio.throttle.io_service_bytes_recursive', 'blkio/blkio.throttle.io_serviced_recursive', 'pids/pids.current', 'pids/pids.max']
    : ['cpu.stat', 'memory.current', 'memory.max', 'memory.stat', 'io.stat', 'pids.current', 'pids.max'];
  const fds: number[] = [];
  const open = (p: string) => {
    try {
      fds.push(fs.openSync(p, 'r'));
    } catch {
      /* the container stopped meanwhile: nothing to read */
    }
  };
  for (const { id, pid } of ids) {
    const rel = containerCgroupPath('/sys/fs/cgroup', version, '/proc', id, pid);
    if (rel === undefined) continue;
    for (const f of files) {
      const [ctrl, name] = version === 1 ? f.split('/') : ['', f];
      open(path.join('/sys/fs/cgroup', ctrl, rel, name));
    }
    open(`/proc/${pid}/net/dev`);
  }
  const buf = Buffer.allocUnsafe(64 * 1024);
  const out: number[] = [];
  for (let i = 0; i < CYCLES; i++) {
    const c0 = cpuMs();
    for (const fd of fds) fs.readSync(fd, buf, 0, buf.length, 0);
    out.push(cpuMs() - c0);
  }
  for (const fd of fds) fs.closeSync(fd);
  return out;
}

/** CPU of rendering the exposition of one cycle (as the first scrape after a cycle does). */
function renderCost(last: CycleSamples): number[] {
  const latest = new LatestSamples(DEFAULTS.collector.labelTags);
  const out: number[] = [];
  for (let i = 0; i < 10; i++) {
    latest.cycle(last);
    const c0 = cpuMs();
    latest.exposition();
    out.push(cpuMs() - c0);
  }
  return out;
}

/**
 * The shipped collector as a child process: configuration defaults (only where
 * Docker, InfluxDB and Redis are), `windowS` seconds measured after the first
 * cycles; with `exposition`, the Prometheus exposition on (it is off by default)
 * and scraped once a minute.
 */
async function everything(run: string, windowS: number, exposition: boolean): Promise<{ perCycle: number; engine: number; cycles: number }> {
  const env = services();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-bench-collector-'));
  const promPort = await freePort();
  const healthPort = await freePort();
  const prefix = `{${run}}`;
  const file = path.join(dir, 'shipwatch.yaml');
  fs.writeFileSync(file, stringify({
    docker: { socketPath: env.dockerHost.replace(/^unix:\/\//, '') },
    influx: { url: env.influxUrl, bucket: 'bench_collector_all' },
    redis: { url: env.redisUrl, prefix },
    ...(exposition ? { collector: { prometheus: { enabled: true, port: promPort } } } : {}),
    health: { port: healthPort },
    log: { level: 'warn' },
  }));
  await freshDatabase('bench_collector_all');
  const child = new PeerProcess('collector', process.execPath, ['--import', 'tsx', path.join(ROOT, 'collector/main.ts'), '--config', file], {
    ...process.env, SHIPWATCH_CONFIG: file,
  });
  const lastCycle = async () => {
    const r = await fetch(`http://127.0.0.1:${healthPort}/healthz`).then((x) => x.json(), () => undefined) as { last?: string | null } | undefined;
    return r?.last ? Date.parse(r.last) : undefined;
  };
  try {
    await eventually(async () => {
      if (!child.running) throw new Error(`collector exited: ${child.output.slice(-2000)}`);
      return (await lastCycle()) !== undefined;
    }, 180_000, 500);
    // Warm-up: the start-up disk and image passes and the first full cycles.
    await sleep(2 * INTERVAL);
    const c0 = processCpuMs(child.pid, true);
    const e0 = engineCpuMs();
    const t0 = Date.now();
    for (let s = 0; s < windowS; s += 60) {
      if (exposition) await fetch(`http://127.0.0.1:${promPort}/metrics`).then((r) => r.text());
      await sleep(Math.min(60, windowS - s) * 1000);
    }
    const cpu = processCpuMs(child.pid, true) - c0;
    const eng = engineCpuMs() - e0;
    const cycles = (Date.now() - t0) / INTERVAL;
    return { perCycle: cpu / cycles, engine: eng / cycles, cycles };
  } finally {
    await child.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    // The queue feed's jobs (no processor ran): removed with the run's key prefix.
    const redis = createRedis({ ...DEFAULTS.redis, url: env.redisUrl, prefix });
    for (let cursor = '0'; ;) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
    await redis.quit();
  }
}

/** Containers the host's cgroup tree holds under Docker's parent (every engine's, as Netdata sees them). */
function dockerCgroups(): number {
  for (const p of ['/sys/fs/cgroup/cpuacct/docker', '/sys/fs/cgroup/docker', '/sys/fs/cgroup/system.slice']) {
    try {
      return fs.readdirSync(p).filter((e) => /^(docker-)?[0-9a-f]{64}(\.scope)?$/.test(e)).length;
    } catch {
      // not this layout
    }
  }
  return 0;
}

/** Netdata's daemon and tree CPU per second over a window, and the containers it saw. */
async function netdataWindow(nd: NetdataPeer, windowS: number) {
  const n0 = dockerCgroups();
  const a = nd.cpu();
  const t0 = Date.now();
  await sleep(windowS * 1000);
  const b = nd.cpu();
  const s = (Date.now() - t0) / 1000;
  return { daemon: (b.daemon - a.daemon) / s, tree: (b.tree - a.tree) / s, containers: (n0 + dockerCgroups()) / 2, charts: await nd.cgroups() };
}

async function main() {
  const env = services();
  const d = docker();
  const run = uniqueRun('bench');
  const version = detectCgroup('/sys/fs/cgroup');
  if (!version) throw new Error('no cgroup tree here: the fast path cannot be measured');
  const ndMissing = netdataMissing();
  if (ndMissing) throw new Error(ndMissing);
  const stop = async () => {
    if (!args.keep) await cleanup(d, run);
  };
  process.on('SIGINT', () => void stop().then(() => process.exit(130)));
  const load: number[] = [];
  const mark = () => load.push(os.loadavg()[0]);
  let nd: NetdataPeer | undefined;
  try {
    note(`starting ${N} containers...`);
    await mapLimit(Array.from({ length: N }, (_, i) => i), 8, async (i) => {
      const c = await d.createContainer({ name: `${run}-${i}`, Image: env.testImage, Cmd: ['sleep', '86400'], Labels: { [TEST_LABEL]: run } });
      await c.start();
    });
    const cfg = testConfig('bench_collector', { 'collector.statsConcurrency': 256 });
    await freshDatabase('bench_collector');
    const writer = new InfluxWriter(cfg.influx, log);
    await writer.ensureDatabase();
    const all = (await d.listContainers()).length;
    if (all !== N) note(`note: ${all - N} other running containers on this engine are measured too`);
    mark();

    note('metrics path: cycles back to back...');
    const fast = new CgroupStatsSource(version, { cgroupRoot: '/sys/fs/cgroup', procRoot: '/proc' });
    const fastM = await measure('cgroup', fast, writer, d, CYCLES);
    const reg = new ContainerRegistry(d, { inspectEvery: 3_600_000 });
    await reg.refresh();
    const floorM = floor(version, reg.all().filter((m) => m.state === 'running').map((m) => ({ id: m.id, pid: m.pid })));
    const render = median(renderCost(fastM.last));
    fast.close();
    let apiLine = '';
    if (args.api) {
      const apiM = await measure('api', new ApiStatsSource(d, { concurrency: cfg.collector.statsConcurrency, timeout: 30_000 }), writer, d, Math.min(CYCLES, 10));
      const a = { wall: median(apiM.cycles.map((m) => m.wall)), cpu: median(apiM.cycles.map((m) => m.cpu)), engine: median(apiM.cycles.map((m) => m.engine)) };
      apiLine = `api:     median cycle ${a.wall.toFixed(0)} ms wall, CPU ${a.cpu.toFixed(1)} ms collector + ${a.engine.toFixed(0)} ms engine (${((a.cpu + a.engine) / all).toFixed(3)} ms/container)`;
    }
    await writer.close();
    mark();

    note(`everything as shipped: the collector's entry point for ${WINDOW_S} s...`);
    const every = await everything(run, WINDOW_S, false);
    mark();
    note(`everything with the exposition on: ${WINDOW_S} s more...`);
    const withExposition = await everything(run, WINDOW_S, true);
    mark();

    note(`Netdata: ${ND_WINDOW_S} s with the containers, then ${ND_WINDOW_S} s without...`);
    nd = new NetdataPeer(env.dockerHost);
    await nd.start();
    // Netdata looks for new cgroups every 10 s and names them through a script: let it settle.
    await eventually(async () => (await nd!.cgroups()) >= N, 120_000, 2000).catch(() => note('note: Netdata did not chart every container'));
    await sleep(30_000);
    const withC = await netdataWindow(nd, ND_WINDOW_S);
    mark();
    await cleanup(d, run);
    await sleep(40_000);
    const without = await netdataWindow(nd, ND_WINDOW_S);
    mark();
    await nd.stop();
    nd = undefined;

    const f = { wall: median(fastM.cycles.map((m) => m.wall)), cpu: median(fastM.cycles.map((m) => m.cpu)), engine: median(fastM.cycles.map((m) => m.engine)) };
    // The mean: the 1-min, 5-min and hourly work falls on a few of the cycles.
    const fMean = mean(fastM.cycles.map((m) => m.cpu + m.engine));
    const fl = median(floorM);
    const per = (ms: number) => ms / all;
    const added = withC.containers - without.containers;
    const ndDaemon = (withC.daemon - without.daemon) / added;
    const ndTree = (withC.tree - without.tree) / added;
    const everyPer = per(every.perCycle);
    const metricsPer = per(fMean);
    const loadAvg = median(load);
    console.log(`metrics path: cycle median ${f.wall.toFixed(1)} ms wall, CPU median ${f.cpu.toFixed(1)} ms collector + ${f.engine.toFixed(0)} ms engine, mean over ${CYCLES} cycles (${(CYCLES * INTERVAL) / 60_000} min of clock) ${fMean.toFixed(1)} ms (${metricsPer.toFixed(3)} ms/container)`);
    console.log(`floor:        reading the fast path's files (kept open) ${fl.toFixed(1)} ms CPU per cycle (${per(fl).toFixed(3)} ms/container)`);
    console.log(`exposition:   rendering one cycle for a scrape ${render.toFixed(1)} ms CPU (${per(render).toFixed(4)} ms/container)`);
    console.log(`everything:   ${every.perCycle.toFixed(1)} ms collector CPU per cycle over ${every.cycles.toFixed(1)} cycles (+${every.engine.toFixed(1)} ms engine)`);
    console.log(`  + exposition: ${withExposition.perCycle.toFixed(1)} ms collector CPU per cycle over ${withExposition.cycles.toFixed(1)} cycles (+${withExposition.engine.toFixed(1)} ms engine)`);
    console.log(`netdata:      daemon ${withC.daemon.toFixed(1)} vs ${without.daemon.toFixed(1)} ms CPU/s, tree ${withC.tree.toFixed(1)} vs ${without.tree.toFixed(1)}, with ${withC.containers} vs ${without.containers} containers on the host (${withC.charts} vs ${without.charts} charted)`);
    if (apiLine) console.log(apiLine);
    console.log(
      `bench:collector ${all} containers, load ${loadAvg.toFixed(1)}: metrics path ${metricsPer.toFixed(3)} ms CPU/container/cycle ` +
      `(${(fMean / fl).toFixed(1)}x the file-read floor, target 2x ${fMean / fl < 2 ? 'met' : 'MISSED'}); ` +
      `everything as shipped ${everyPer.toFixed(3)} ms/container/cycle (engine +${per(every.engine).toFixed(3)}), ` +
      `with the exposition on and scraped 1/min ${per(withExposition.perCycle).toFixed(3)}; ` +
      `Netdata 1.37 daemon ${ndDaemon.toFixed(3)} ms/container-sample (tree ${ndTree.toFixed(3)}); ` +
      `everything/Netdata daemon ${(everyPer / ndDaemon).toFixed(2)}x (target 0.5x ${everyPer / ndDaemon < 0.5 ? 'met' : 'MISSED'})`,
    );
  } finally {
    await nd?.stop();
    await stop();
  }
}

await main();
process.exit(0);
