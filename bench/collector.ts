/**
 * npm run bench:collector [-- --containers 200 --cycles 10]
 *
 * Starts N idle containers of the test image, runs collection cycles with each
 * stats source (cgroup files, Docker API) and prints the median cycle wall
 * time and CPU per cycle (collector process plus dockerd/containerd), the
 * floor (only reading the fast path's files through kept-open descriptors)
 * and the ratios between them, measured in the same run.
 */
import fs from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { services, docker, testConfig, freshDatabase, cleanup, uniqueRun, TEST_LABEL } from '../test/helpers/services.js';
import { createLogger } from '../common/log.js';
import { mapLimit } from '../common/pool.js';
import { InfluxWriter } from '../common/influx/writer.js';
import { Collector } from '../collector/collector.js';
import { DockerEventStream } from '../collector/events.js';
import { ContainerRegistry } from '../collector/registry.js';
import { ApiStatsSource } from '../collector/sources/api.js';
import { CgroupStatsSource, detectCgroup, containerCgroupPath } from '../collector/sources/cgroup.js';
import type { StatsSource } from '../collector/sources/source.js';

const { values: args } = parseArgs({
  options: {
    containers: { type: 'string', default: '200' },
    cycles: { type: 'string', default: '10' },
    keep: { type: 'boolean', default: false },
  },
});
const N = Number(args.containers);
const CYCLES = Number(args.cycles);
const log = createLogger('bench', 'warn');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** CPU time (ms) of the Docker engine's daemons, from /proc. */
const enginePids = fs
  .readdirSync('/proc')
  .filter((p) => /^\d+$/.test(p))
  .filter((p) => {
    try {
      return ['dockerd', 'containerd'].includes(fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim());
    } catch {
      return false;
    }
  });
const engineCpuMs = () =>
  enginePids.reduce((sum, p) => {
    try {
      const f = fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      return sum + ((Number(f[11]) + Number(f[12])) * 1000) / 100;
    } catch {
      return sum;
    }
  }, 0);

interface Measured { wall: number; cpu: number; engine: number }

/** Heap still in use after a full collection (needs node --expose-gc), MiB. */
const liveHeap = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const heap: number[] = [];

async function measure(name: string, source: StatsSource, writer: InfluxWriter, d: ReturnType<typeof docker>): Promise<Measured[]> {
  const opts = { labelTags: [], includeStopped: true, inspectEvery: 3_600_000, listEvery: 60_000, infoEvery: 300_000 };
  const registry = new ContainerRegistry(d, opts);
  const c = new Collector({ registry, source, sink: writer, engine: { host: 'bench', serverVersion: 'bench' }, opts, log });
  // As in production: the event stream names changes, so cycles need not list every container.
  const events = new DockerEventStream(d, log, { type: ['container'] });
  c.follow(events);
  events.start();
  await once(events, 'connected');
  const out: Measured[] = [];
  let t = Math.floor(Date.now() / 1000) * 1000;
  for (let i = 0; i < CYCLES + 2; i++) {
    t += 1000;
    const e0 = engineCpuMs();
    const c0 = cpuMs();
    const w0 = performance.now();
    const r = await c.cycle(t);
    const wall = performance.now() - w0;
    const cpu = cpuMs() - c0;
    const engine = engineCpuMs() - e0;
    if (!r || r.sampled < N) throw new Error(`${name}: cycle sampled ${r?.sampled} of ${N} containers`);
    if (i >= 2) out.push({ wall, cpu, engine }); // the first cycles open files and inspect every container
    if (name === 'cgroup' && (i === 2 || i === CYCLES + 1)) heap.push(liveHeap());
    if (name === 'cgroup') await new Promise((res) => setTimeout(res, 100));
  }
  events.stop();
  return out;
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

async function main() {
  services();
  const d = docker();
  const run = uniqueRun('bench');
  const version = detectCgroup('/sys/fs/cgroup');
  if (!version) throw new Error('no cgroup tree here: the fast path cannot be measured');
  const stop = async () => {
    if (!args.keep) await cleanup(d, run);
  };
  process.on('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    process.stderr.write(`starting ${N} containers...\n`);
    await mapLimit(Array.from({ length: N }, (_, i) => i), 8, async (i) => {
      const c = await d.createContainer({ name: `${run}-${i}`, Image: services().testImage, Cmd: ['sleep', '86400'], Labels: { [TEST_LABEL]: run } });
      await c.start();
    });
    const cfg = testConfig('bench_collector', { 'collector.statsConcurrency': 256 });
    await freshDatabase('bench_collector');
    const writer = new InfluxWriter(cfg.influx, log);
    await writer.ensureDatabase();
    const labelFilter = (await d.listContainers({ filters: { label: [`${TEST_LABEL}=${run}`] } })).length;
    if (labelFilter !== N) throw new Error(`only ${labelFilter} of ${N} containers running`);
    // Only the bench's containers run during the measurement; others on the host are counted too.
    const all = (await d.listContainers()).length;
    if (all !== N) process.stderr.write(`note: ${all - N} other running containers are measured too\n`);

    const fast = new CgroupStatsSource(version, { cgroupRoot: '/sys/fs/cgroup', procRoot: '/proc' });
    const fastM = await measure('cgroup', fast, writer, d);
    const apiM = await measure('api', new ApiStatsSource(d, { concurrency: cfg.collector.statsConcurrency, timeout: 30_000 }), writer, d);
    const reg = new ContainerRegistry(d, { inspectEvery: 3_600_000 });
    await reg.refresh();
    const floorM = floor(version, reg.all().filter((m) => m.state === 'running').map((m) => ({ id: m.id, pid: m.pid })));
    fast.close();
    await writer.close();

    const f = { wall: median(fastM.map((m) => m.wall)), cpu: median(fastM.map((m) => m.cpu)), engine: median(fastM.map((m) => m.engine)) };
    const a = { wall: median(apiM.map((m) => m.wall)), cpu: median(apiM.map((m) => m.cpu)), engine: median(apiM.map((m) => m.engine)) };
    const fl = median(floorM);
    const per = (ms: number) => (ms / all).toFixed(3);
    console.log(`cgroup: median cycle ${f.wall.toFixed(1)} ms wall, CPU ${f.cpu.toFixed(1)} ms collector + ${f.engine.toFixed(0)} ms engine per cycle (${per(f.cpu + f.engine)} ms/container)`);
    console.log(`api:    median cycle ${a.wall.toFixed(0)} ms wall, CPU ${a.cpu.toFixed(1)} ms collector + ${a.engine.toFixed(0)} ms engine per cycle (${per(a.cpu + a.engine)} ms/container)`);
    console.log(`floor:  reading the fast path's files (kept open) ${fl.toFixed(1)} ms CPU per cycle (${per(fl)} ms/container)`);
    console.log(`memory: collector live heap ${heap[0].toFixed(1)} MiB after cycle 3, ${heap[1].toFixed(1)} MiB after cycle ${CYCLES + 2}`);
    console.log(
      `bench:collector ${all} containers: cgroup ${per(f.cpu + f.engine)} ms CPU/container/cycle (${((f.cpu + f.engine) / fl).toFixed(1)}x the file-read floor), ` +
      `api ${per(a.cpu + a.engine)} ms; api/cgroup CPU ${((a.cpu + a.engine) / (f.cpu + f.engine)).toFixed(0)}x, wall ${(a.wall / 1000).toFixed(2)} s vs ${f.wall.toFixed(0)} ms (${(a.wall / f.wall).toFixed(0)}x)`,
    );
  } finally {
    await stop();
  }
}

await main();
process.exit(0);
