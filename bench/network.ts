/**
 * npm run bench:network [-- --containers 50 --sockets 10000 --cycles 10]
 *
 * The network part's cost (TCP states and service map from /proc/<pid>/net),
 * with the shipped defaults: N containers each with one listening socket, N
 * idle ones without any socket, and one container holding `sockets` TCP
 * sockets (connection pairs over its loopback). In each round, in the same
 * run: a pass over every container, one leaving the big one out, one over
 * the listeners only and one over the idle ones only. CPU time (not wall
 * time, which a busy machine stretches) gives what each kind of container
 * costs; the passes with and without the big one say whether it delays the
 * others (how far into the pass all of them are read).
 */
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { services, docker, runContainer, cleanup, uniqueRun } from '../test/helpers/services.js';
import { holdConnections } from '../test/helpers/sockets.js';
import { createLogger } from '../common/log.js';
import { DEFAULTS } from '../common/config.js';
import { mapLimit } from '../common/pool.js';
import { ContainerRegistry } from '../collector/registry.js';
import { NetworkCollector, type NetworkPass } from '../collector/network/collector.js';
import { median, cpuMs } from './measure.js';
import type { ContainerMeta } from '../collector/container.js';

const { values: args } = parseArgs({
  options: {
    containers: { type: 'string', default: '50' },
    sockets: { type: 'string', default: '10000' },
    cycles: { type: 'string', default: '10' },
  },
});
const N = Number(args.containers);
const SOCKETS = Number(args.sockets);
const CYCLES = Number(args.cycles);
const log = createLogger('bench', 'warn');
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);

async function main() {
  services();
  const d = docker();
  const run = uniqueRun('bench-net');
  const name = (kind: string, i: number) => `${run}-${kind}-${i}`;
  try {
    await mapLimit([...Array(N).keys()], 8, async (i) => {
      await runContainer(d, run, { name: name('listener', i), cmd: ['sh', '-c', 'nc -ll -p 8080 -e cat & sleep 3600'] });
      await runContainer(d, run, { name: name('idle', i), cmd: ['sleep', '3600'] });
    });
    const big = await runContainer(d, run, { name: name('big', 0), cmd: ['sleep', '3600'] });
    const held = await holdConnections((await big.inspect()).State.Pid, Math.floor(SOCKETS / 2));
    try {
      const registry = new ContainerRegistry(d, { inspectEvery: 3_600_000 });
      await registry.refresh();
      const ours = registry.all().filter((c) => c.name.startsWith(run));
      const bigName = name('big', 0);
      const others = ours.filter((c) => c.name !== bigName);
      const sink = { write: () => {}, flush: async () => true };
      const opts = { procRoot: DEFAULTS.collector.procRoot, labelTags: [], ...DEFAULTS.collector.network };
      // One part per container list, as in production: each keeps its files open.
      const part = (list: ContainerMeta[]) => new NetworkCollector(() => list, sink, { host: 'bench', serverVersion: 'bench' }, opts, log);
      const kind = (k: string) => ours.filter((c) => c.name.startsWith(`${run}-${k}-`));
      const parts = { all: part(ours), others: part(others), listeners: part(kind('listener')), idle: part(kind('idle')) };
      const cpu: Record<keyof typeof parts, number[]> = { all: [], others: [], listeners: [], idle: [] };
      const res = { big: [] as number[], doneWith: [] as number[], doneWithout: [] as number[], cut: 0, last: 0 };
      const othersDone = (p: NetworkPass) => Math.max(...p.reads.filter((r) => r.name !== bigName).map((r) => r.doneAt));
      for (let i = 0; i < CYCLES + 2; i++) {
        const passes = {} as Record<keyof typeof parts, NetworkPass>;
        for (const k of Object.keys(parts) as Array<keyof typeof parts>) {
          const c0 = cpuMs();
          passes[k] = await parts[k].poll(Date.now());
          if (i >= 2) cpu[k].push(cpuMs() - c0);
        }
        if (i < 2) continue; // the first passes open the files
        const a = passes.all;
        if (a.read !== ours.length || passes.others.read !== others.length) throw new Error(`read ${a.read}/${ours.length} and ${passes.others.read}/${others.length} containers`);
        res.doneWith.push(othersDone(a));
        res.doneWithout.push(othersDone(passes.others));
        res.big.push(a.reads.find((r) => r.name === bigName)!.ms);
        res.cut += a.cut;
        if (a.reads[a.reads.length - 1].name === bigName) res.last++;
      }
      for (const p of Object.values(parts)) p.close();
      const load = loadavg().map(f2).join(' ');
      const each = (k: 'listeners' | 'idle') => median(cpu[k]) / N;
      console.log(
        `network: CPU per container and pass ${f2(each('listeners'))} ms with a listening socket, ${f2(each('idle'))} ms without sockets, ` +
          `${f1(median(cpu.all) - median(cpu.others))} ms for ${held.sockets} sockets (read in ${f1(median(res.big))} ms, ` +
          `${res.cut ? `cut at the ${DEFAULTS.collector.network.budget} ms budget in ${res.cut} passes` : 'complete'}, last in ${res.last} of ${CYCLES} passes); ` +
          `the other ${others.length} all read ${f1(median(res.doneWith))} ms into the pass with it vs ${f1(median(res.doneWithout))} ms without ` +
          `(median of ${CYCLES}, shipped defaults, load ${load})`,
      );
    } finally {
      await held.stop();
    }
  } finally {
    await cleanup(d, run);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
