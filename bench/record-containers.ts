/**
 * Records real container traces through the real collector, for the
 * dynamic-threshold fixtures in bench/data/containers.
 *
 *   npm run record:containers [-- --duration 8h --step-at 0.5 --interval 30s --raw FILE --out bench/data/containers]
 *   npm run record:containers -- --export FILE [--out bench/data/containers]
 *
 * Starts six containers of the busybox test image, each running one typical
 * pattern (below), runs the collector's metrics path (its Collector, registry
 * and stats source as `npm run collector` wires them, writing to the InfluxDB
 * database `shipwatch_traces`) and appends every cycle's sample of those
 * containers, exactly as the collector hands it to the processor's queue, to a
 * JSON-lines file (`--raw`, default
 * under the system's temp dir). At the end, or with `--export FILE` for a run
 * that was cut short, the processor's own metric code turns the samples into
 * NAB-format CSVs (cpu_percent, mem_usage), the labelled windows and meta.json
 * (memory limits, schedule). Times in the patterns are fractions of --duration.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { services, docker, testConfig, ROOT } from '../test/helpers/services.js';
import { createLogger } from '../common/log.js';
import { parseDuration } from '../common/duration.js';
import { DEFAULTS } from '../common/config.js';
import { createDocker, engineInfo } from '../common/docker.js';
import { InfluxWriter } from '../common/influx/writer.js';
import { IntervalScheduler } from '../common/scheduler.js';
import { Collector, type SamplesSink } from '../collector/collector.js';
import { ContainerRegistry } from '../collector/registry.js';
import { selectSource } from '../collector/sources/select.js';
import { containerSample } from '../collector/queue-feed.js';
import { metricValues, currentCounters } from '../processor/metrics.js';
import type { ContainerSample } from '../common/queue/payload.js';
import type { Counters } from '../processor/state.js';
import { PROCESSOR_METRICS } from '../common/schema.js';

const MiB = 1024 * 1024;
const LABEL = 'shipwatch.trace';

/** Busy work of `n` shell iterations (about 3 µs each with busybox here). */
const work = (n: string) => `i=0; while [ $i -lt ${n} ]; do i=$((i+1)); done`;
const fill = (file: string, mb: number | string) => `dd if=/dev/zero of=/dev/shm/${file} bs=1M count=${mb} 2>/dev/null`;

interface Pattern {
  name: string;
  what: string;
  script: string;
  memory?: number;
  shm: number;
}

/** The patterns; `at(f)` is the epoch second at fraction f of the recording. */
function patterns(at: (f: number) => number, durationS: number, stepAt: number): Pattern[] {
  const leakMb = 140;
  const leakEvery = Math.max(1, Math.floor((0.7 * durationS) / leakMb));
  return [
    { name: 'idle', what: 'a shell asleep', script: 'while :; do sleep 3600; done', shm: 64 },
    {
      name: 'steady',
      what: 'holds 24 MiB; a fixed amount of work every second (~10 % of a core)',
      script: `${fill('heap', 24)}; while :; do ${work('120000')}; sleep 1; done`,
      shm: 64,
    },
    {
      name: 'periodic',
      what: 'cron-like job every 15 min on the clock: one core busy for 60 s and 32 MiB held while it runs',
      script:
        'while :; do n=$(date +%s); sleep $((900 - n % 900)); ' +
        `${fill('job', 32)}; timeout 60 sh -c 'while :; do :; done'; rm -f /dev/shm/job; done`,
      shm: 64,
    },
    {
      name: 'sawtooth',
      what: 'allocates 2 MiB every 30 s up to 40 MiB, frees it all, again (period 10.5 min)',
      script:
        `while :; do k=0; while [ $k -lt 20 ]; do ${fill('s$k', 2)}; k=$((k+1)); sleep 30; done; ` +
        'rm -f /dev/shm/s*; sleep 30; done',
      memory: 256 * MiB,
      shm: 128,
    },
    {
      name: 'leak',
      what: `holds 8 MiB; from 25 % of the run leaks 1 MiB every ${leakEvery} s, ${leakMb} MiB in all, toward its 160 MiB limit, then holds`,
      script:
        `${fill('heap', 8)}; while [ $(date +%s) -lt ${at(0.25)} ]; do sleep 5; done; ` +
        `k=0; while [ $k -lt ${leakMb} ]; do ${fill('l$k', 1)}; k=$((k+1)); sleep ${leakEvery}; done; ` +
        'while :; do sleep 3600; done',
      memory: 160 * MiB,
      shm: 256,
    },
    {
      name: 'step',
      what: `holds 8 MiB and does little work; at ${Math.round(stepAt * 100)} % of the run (a deploy) takes 48 MiB more and ~20x the work, and stays so`,
      script:
        `${fill('heap', 8)}; w=5000; while :; do ` +
        `if [ $w -eq 5000 ] && [ $(date +%s) -ge ${at(stepAt)} ]; then ${fill('deploy', 48)}; w=120000; fi; ` +
        `${work('$w')}; sleep 1; done`,
      shm: 128,
    },
  ];
}

interface Meta {
  interval: number;
  startedAt: string;
  duration: number;
  leak: { from: number; to: number };
  step: { at: number };
  patterns: Array<{ name: string; what: string; memoryLimit: number | null }>;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

async function record(run: string, durationMs: number, stepAt: number, intervalMs: number, rawFile: string, outDir: string): Promise<void> {
  services();
  const d = docker();
  const log = createLogger('record', 'warn');
  const start = Date.now();
  const at = (f: number) => Math.round((start + f * durationMs) / 1000);
  const list = patterns(at, durationMs / 1000, stepAt);
  const old = await d.listContainers({ all: true, filters: { label: [`${LABEL}=${run}`] } });
  await Promise.all(old.map((c) => d.getContainer(c.Id).remove({ force: true })));
  const ids = new Map<string, string>();
  for (const p of list) {
    const c = await d.createContainer({
      name: `${run}-${p.name}`,
      Image: services().testImage,
      Cmd: ['sh', '-c', p.script],
      Labels: { [LABEL]: run },
      HostConfig: { Memory: p.memory, MemorySwap: p.memory, ShmSize: p.shm * MiB, NetworkMode: 'none' },
    });
    await c.start();
    ids.set(c.id, p.name);
  }
  const leakEvery = Math.max(1, Math.floor((0.7 * durationMs) / 1000 / 140));
  const meta: Meta = {
    interval: intervalMs,
    startedAt: iso(start),
    duration: durationMs,
    leak: { from: at(0.25) * 1000, to: at(0.25) * 1000 + 140 * leakEvery * 1000 },
    step: { at: at(stepAt) * 1000 },
    patterns: list.map((p) => ({ name: p.name, what: p.what, memoryLimit: p.memory ?? null })),
  };
  fs.writeFileSync(`${rawFile}.meta.json`, JSON.stringify(meta, null, 2));
  const out = fs.createWriteStream(rawFile, { flags: 'w' });
  const cfg = testConfig('shipwatch_traces', { 'collector.interval': intervalMs });
  // The collector's metrics path, as `npm run collector` wires it, with the samples that
  // would go to the processor's queue kept here instead.
  const writer = new InfluxWriter(cfg.influx, log);
  await writer.ensureDatabase();
  const engine = await engineInfo(createDocker(cfg.docker), cfg, log);
  const source = selectSource(cfg, createDocker(cfg.docker), log);
  const registry = new ContainerRegistry(createDocker(cfg.docker), { inspectEvery: cfg.collector.inspectEvery, listEvery: cfg.collector.listEvery });
  let cycles = 0;
  const samples: SamplesSink = {
    cycle(c) {
      for (const x of c.containers) {
        const name = ids.get(x.meta.id);
        if (!name) continue;
        out.write(JSON.stringify({ time: c.time, name, sample: containerSample(x.meta, x.sample, x.derived, []) }) + '\n');
      }
      if (++cycles % 20 === 0) process.stderr.write(`record: ${cycles} cycles, ${iso(c.time)}\n`);
    },
  };
  const collector = new Collector({ registry, source, sink: writer, samples, engine, opts: cfg.collector, log });
  const scheduler = new IntervalScheduler(intervalMs, (tick) => collector.cycle(tick), log);
  scheduler.start();
  process.stderr.write(`record: ${list.length} containers, until ${iso(start + durationMs)}; raw samples in ${rawFile}\n`);
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, durationMs);
    const early = () => {
      clearTimeout(timer);
      resolve();
    };
    process.once('SIGINT', early);
    process.once('SIGTERM', early);
  });
  await done;
  await scheduler.stop();
  source.close();
  await writer.close();
  await new Promise((r) => out.end(r));
  await Promise.all([...ids.keys()].map((id) => d.getContainer(id).remove({ force: true })));
  exportTraces(rawFile, outDir);
}

interface RawLine {
  time: number;
  name: string;
  sample: ContainerSample;
}

/** Turns the raw samples into NAB-format CSVs, labelled windows and meta.json, with the processor's metric code. */
function exportTraces(rawFile: string, outDir: string): void {
  const meta = JSON.parse(fs.readFileSync(`${rawFile}.meta.json`, 'utf8')) as Meta;
  // the folder is named after the interval: docker30s for the collector's default
  const FOLDER = `docker${Math.round(meta.interval / 1000)}s`;
  const lines = fs.readFileSync(rawFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RawLine);
  const series = new Map<string, Array<[number, number]>>();
  const limits: Record<string, number> = {};
  const prev = new Map<string, Counters>();
  const maxGap = DEFAULTS.processor.maxGap;
  for (const { time, name, sample } of lines) {
    const values = metricValues(sample, time, prev.get(name) ?? null, maxGap);
    prev.set(name, currentCounters(sample, time));
    for (const metric of [PROCESSOR_METRICS.cpuPercent, PROCESSOR_METRICS.memUsage]) {
      const v = values[metric];
      if (v === undefined) continue;
      const key = `${FOLDER}/${name}_${metric}.csv`;
      if (!series.has(key)) series.set(key, []);
      series.get(key)!.push([time, v]);
    }
    if (sample.mem?.limit) limits[`${FOLDER}/${name}_${PROCESSOR_METRICS.memUsage}.csv`] = sample.mem.limit;
  }
  fs.mkdirSync(path.join(outDir, FOLDER), { recursive: true });
  fs.mkdirSync(path.join(outDir, 'labels'), { recursive: true });
  const windows: Record<string, Array<[string, string]>> = {};
  const hour = 3_600_000;
  for (const [key, points] of [...series].sort(([a], [b]) => a.localeCompare(b))) {
    const body = points.map(([t, v]) => `${iso(t)},${Number(v.toFixed(4))}`).join('\n');
    fs.writeFileSync(path.join(outDir, key), `timestamp,value\n${body}\n`);
    const w: Array<[string, string]> = [];
    // something is wrong from the leak's start until it stops short of the limit
    if (key === `${FOLDER}/leak_${PROCESSOR_METRICS.memUsage}.csv`) w.push([iso(meta.leak.from), iso(meta.leak.to)]);
    // the deploy: an onset within the hour after it is the expected one
    if (key.startsWith(`${FOLDER}/step_`)) w.push([iso(meta.step.at), iso(meta.step.at + hour)]);
    windows[key] = w.map(([a, b]) => [`${a}.000000`, `${b}.000000`]);
  }
  fs.writeFileSync(path.join(outDir, 'labels', 'combined_windows.json'), JSON.stringify(windows, null, 1) + '\n');
  fs.writeFileSync(
    path.join(outDir, 'meta.json'),
    JSON.stringify({ ...meta, leak: { from: iso(meta.leak.from), to: iso(meta.leak.to) }, step: { at: iso(meta.step.at) }, memoryLimits: limits }, null, 2) + '\n',
  );
  process.stderr.write(`record: wrote ${series.size} series to ${outDir}\n`);
}

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '8h' },
    /** when the step (the deploy) happens, as a fraction of --duration: after the detector's warm-up */
    'step-at': { type: 'string', default: '0.5' },
    interval: { type: 'string', default: '30s' },
    raw: { type: 'string', default: path.join(os.tmpdir(), 'shipwatch-traces.jsonl') },
    out: { type: 'string', default: path.join(ROOT, 'bench', 'data', 'containers') },
    export: { type: 'string' },
    /** container names start with it; containers of an earlier run of the same name are removed first */
    run: { type: 'string', default: 'trace' },
  },
});
function stepFraction(v: string): number {
  const f = Number(v);
  if (!(f > 0 && f < 1)) throw new Error(`--step-at: a fraction between 0 and 1, not ${v}`);
  return f;
}
if (args.export) exportTraces(args.export, args.out);
else await record(args.run, parseDuration(args.duration), stepFraction(args['step-at']), parseDuration(args.interval), args.raw, args.out);
process.exit(0);
