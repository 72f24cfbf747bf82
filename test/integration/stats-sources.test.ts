/**
 * The cgroup fast path and the Docker API give the same numbers for the same
 * containers, and both skip a container that vanishes mid-read.
 */
import { expect } from 'chai';
import type Docker from 'dockerode';
import { services, docker, runContainer, cleanup, uniqueRun, waitForOutput, eventually } from '../helpers/services.js';
import { ContainerRegistry } from '../../collector/registry.js';
import { ApiStatsSource } from '../../collector/sources/api.js';
import { CgroupStatsSource, detectCgroup } from '../../collector/sources/cgroup.js';
import { cpuPercent, memUsedNoCache, sumNet, type StatsSample } from '../../collector/stats.js';
import type { ContainerMeta } from '../../collector/container.js';

describe('stats sources agree (real dockerd)', function () {
  this.timeout(120_000);
  const run = uniqueRun('sources');
  const n = (s: string) => `${run}-${s}`;
  let d: Docker;
  let fast: CgroupStatsSource;
  let api: ApiStatsSource;
  let metas: ContainerMeta[];

  before(async () => {
    services();
    d = docker();
    const version = detectCgroup('/sys/fs/cgroup');
    expect(version, 'a cgroup tree on this host').to.not.equal(undefined);
    fast = new CgroupStatsSource(version!, { cgroupRoot: '/sys/fs/cgroup', procRoot: '/proc' });
    api = new ApiStatsSource(d, { concurrency: 16, timeout: 30_000 });
    await runContainer(d, run, { name: n('busy'), cmd: ['sh', '-c', 'while :; do :; done'] });
    const mem = await runContainer(d, run, {
      name: n('mem'), cmd: ['sh', '-c', 'x=$(head -c 16777216 /dev/zero | tr "\\0" a); echo ready; while :; do sleep 3600; done'],
    });
    await runContainer(d, run, { name: n('idle'), cmd: ['sh', '-c', 'while :; do sleep 3600; done'] });
    await waitForOutput(mem, 'ready');
    const reg = new ContainerRegistry(d, { inspectEvery: 60_000 });
    await reg.refresh();
    metas = reg.all().filter((m) => m.name.startsWith(run));
    expect(metas).to.have.length(3);
  });

  after(async () => {
    fast?.close();
    if (d) await cleanup(d, run);
  });

  const byName = (samples: Map<string, StatsSample>, name: string) => samples.get(metas.find((m) => m.name === n(name))!.id)!;

  it('reads the same memory, pids, network and block I/O counters', async () => {
    // Both shells have forked their sleep (2 processes each) before the two reads, which are moments apart.
    await eventually(async () => {
      const f = await fast.read(metas);
      return ['mem', 'idle'].every((name) => byName(f.samples, name)?.pids.current === 2);
    });
    const a = await api.read(metas);
    const f = await fast.read(metas);
    expect(f.unreadable).to.have.length(0);
    expect(a.samples.size).to.equal(3);
    for (const name of ['mem', 'idle']) {
      const x = byName(a.samples, name);
      const y = byName(f.samples, name);
      // The two reads are moments apart and the kernel's accounting moves a little even for an idle container.
      expect(Math.abs(memUsedNoCache(x.mem) - memUsedNoCache(y.mem)), `${name} memory`).to.be.at.most(512 * 1024);
      expect(y.mem.limit, `${name} limit`).to.equal(x.mem.limit);
      expect(y.pids.current, `${name} pids`).to.equal(x.pids.current);
      expect(sumNet(y.net!).tx_bytes, `${name} tx bytes`).to.equal(sumNet(x.net!).tx_bytes);
      expect(Object.keys(y.net!), `${name} interfaces`).to.deep.equal(Object.keys(x.net!));
      expect(y.blkio.readBytes).to.equal(x.blkio.readBytes);
      expect(y.blkio.writeBytes).to.equal(x.blkio.writeBytes);
    }
    expect(memUsedNoCache(byName(f.samples, 'mem').mem)).to.be.greaterThan(16 * 1024 * 1024);
  });

  it('computes the same CPU % over the same interval', async () => {
    const busy = metas.filter((m) => m.name === n('busy'));
    const f0 = (await fast.read(busy)).samples.get(busy[0].id)!;
    const a0 = (await api.read(busy)).samples.get(busy[0].id)!;
    await new Promise((r) => setTimeout(r, 3000)); // CPU % needs time to pass between samples
    const f1 = (await fast.read(busy)).samples.get(busy[0].id)!;
    const a1 = (await api.read(busy)).samples.get(busy[0].id)!;
    const pf = cpuPercent(f0.cpu, f1.cpu)!;
    const pa = cpuPercent(a0.cpu, a1.cpu)!;
    expect(pf).to.be.greaterThan(5);
    // Both are ratios of the same kernel counters over ~3 s windows shifted by one API call.
    expect(Math.abs(pf - pa), `fast ${pf.toFixed(1)} % vs API ${pa.toFixed(1)} %`).to.be.lessThan(Math.max(15, pa * 0.25));
    expect(f1.cpu.onlineCpus).to.equal(a1.cpu.onlineCpus);
  });

  it('skips a container that vanished since it was listed, on both sources', async () => {
    const victim = await runContainer(d, run, { name: n('victim'), cmd: ['sh', '-c', 'while :; do sleep 3600; done'] });
    const reg = new ContainerRegistry(d, { inspectEvery: 60_000 });
    await reg.refresh();
    const m = reg.all().filter((x) => x.name === n('victim'));
    expect((await fast.read(m)).samples.size).to.equal(1); // keeps its files open
    await victim.remove({ force: true });
    const f = await fast.read(m);
    const a = await api.read(m);
    expect(f.samples.size).to.equal(0);
    expect(a.samples.size).to.equal(0);
    expect(a.unreadable).to.have.length(0);
  });
});
