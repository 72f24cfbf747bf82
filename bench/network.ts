/**
 * npm run bench:network [-- --containers 50 --sockets 10000 --cycles 10]
 *
 * The network part's cost (TCP states and service map from /proc/<pid>/net),
 * with the shipped defaults: N containers each with one listening socket, N
 * idle ones without any socket, and one container holding `sockets` TCP
 * sockets (connection pairs over its loopback). Passes over every container
 * alternate with passes leaving the big one out, in the same run, so the
 * summary says what one container costs, what the big one costs, and whether
 * it delays the others (the time by which all of them are read).
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
      // One part per container list, as in production: each keeps its files open and learns the read order.
      const withBig = new NetworkCollector(() => ours, sink, { host: 'bench', serverVersion: 'bench' }, opts, log);
      const without = new NetworkCollector(() => others, sink, { host: 'bench', serverVersion: 'bench' }, opts, log);
      const res = { listener: [] as number[], idle: [] as number[], big: [] as number[], doneWith: [] as number[], doneWithout: [] as number[], cpuPerPass: [] as number[], cut: 0, last: 0 };
      const othersDone = (p: NetworkPass) => Math.max(...p.reads.filter((r) => r.name !== bigName).map((r) => r.doneAt));
      for (let i = 0; i < CYCLES + 2; i++) {
        const c0 = cpuMs();
        const a = await withBig.poll(Date.now());
        const cpu = cpuMs() - c0;
        const b = await without.poll(Date.now());
        if (i < 2) continue; // the first passes open files and learn the order
        if (a.read !== ours.length || b.read !== others.length) throw new Error(`read ${a.read}/${ours.length} and ${b.read}/${others.length} containers`);
        res.cpuPerPass.push(cpu);
        res.doneWith.push(othersDone(a));
        res.doneWithout.push(othersDone(b));
        const ms = (kind: string) => a.reads.filter((r) => r.name.startsWith(`${run}-${kind}-`)).map((r) => r.ms);
        res.listener.push(median(ms('listener')));
        res.idle.push(median(ms('idle')));
        res.big.push(ms('big')[0]);
        res.cut += a.cut;
        if (a.reads[a.reads.length - 1].name === bigName) res.last++;
      }
      withBig.close();
      without.close();
      const load = loadavg().map(f2).join(' ');
      console.log(
        `network: per container and pass ${f2(median(res.listener))} ms with a listening socket, ${f2(median(res.idle))} ms without sockets; ` +
          `${held.sockets} sockets ${f1(median(res.big))} ms (${res.cut ? `cut at the ${DEFAULTS.collector.network.budget} ms budget in ${res.cut} passes` : 'complete'}, ` +
          `read last in ${res.last} of ${CYCLES} passes); ` +
          `the other ${others.length} read by ${f1(median(res.doneWith))} ms with it vs ${f1(median(res.doneWithout))} ms without; ` +
          `pass CPU ${f1(median(res.cpuPerPass))} ms (median of ${CYCLES}, shipped defaults, load ${load})`,
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
