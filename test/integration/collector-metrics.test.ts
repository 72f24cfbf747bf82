/**
 * The collector's metrics path against the real dockerd and influxd: busy,
 * idle, memory-holding and talking containers; containers that appear, stop
 * and vanish while it runs.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import type Docker from 'dockerode';
import { services, docker, testConfig, freshDatabase, runContainer, cleanup, uniqueRun, waitForOutput, TEST_LABEL } from '../helpers/services.js';
import { createLogger } from '../../common/log.js';
import type { InfluxQL } from '../../common/influx/query.js';
import { startCollectorParts, type RunningCollector } from '../../collector/service.js';
import type { CycleResult } from '../../collector/collector.js';
import { MEASUREMENT, TAG } from '../../common/schema.js';

const DB = 'test_collector_metrics';
const MiB = 1024 * 1024;

describe('collector metrics path (real dockerd and influxd)', function () {
  this.timeout(180_000);
  const run = uniqueRun('metrics');
  const n = (s: string) => `${run}-${s}`;
  let d: Docker;
  let q: InfluxQL;
  let c: RunningCollector;
  const nextCycle = async () => (await once(c.cycles, 'cycle'))[0] as CycleResult;
  /** The first cycle that began after `t`, so it saw whatever happened before `t`. */
  const cycleAfter = async (t: number) => {
    let r: CycleResult;
    do r = await nextCycle();
    while (r.time <= t);
    return r;
  };

  /** The newest value of a field for one container, as the dashboards ask for it. */
  const last = async (measurement: string, field: string, name: string, extra = '') => {
    const r = await q.rows(`SELECT last("${field}") AS v FROM "${measurement}" WHERE "container_name" = '${name}' ${extra}`);
    return r[0]?.v as number | undefined;
  };

  before(async () => {
    services();
    d = docker();
    q = await freshDatabase(DB);
    const net = await d.createNetwork({ Name: n('net'), Driver: 'bridge', Labels: { [TEST_LABEL]: run } });
    await runContainer(d, run, { name: n('busy'), cmd: ['sh', '-c', 'while :; do :; done'] });
    await runContainer(d, run, { name: n('idle'), cmd: ['sleep', '3600'] });
    // A 32 MiB shell variable: a known amount of memory held.
    const mem = await runContainer(d, run, { name: n('mem'), cmd: ['sh', '-c', 'x=$(head -c 33554432 /dev/zero | tr "\\0" a); echo ready; while :; do sleep 3600; done'] });
    await runContainer(d, run, { name: n('server'), network: net.id, cmd: ['sh', '-c', 'while :; do nc -l -p 9000 > /dev/null; done'] });
    await runContainer(d, run, {
      name: n('client'), network: net.id,
      cmd: ['sh', '-c', `while :; do head -c 200000 /dev/zero | nc -w 1 ${n('server')} 9000; sleep 0.2; done`],
    });
    await waitForOutput(mem, 'ready');
    c = await startCollectorParts(testConfig(DB, { 'collector.interval': '1s' }), createLogger('test', 'silent'));
  });

  after(async () => {
    await c?.stop();
    if (d) await cleanup(d, run);
  });

  it('writes CPU %, memory, network and status with Telegraf tag names over a few cycles', async () => {
    const first = await nextCycle();
    expect(first.containers).to.be.at.least(5);
    for (let i = 0; i < 3; i++) await nextCycle();
    await c.writer.flush();

    const busy = await last(MEASUREMENT.cpu, 'usage_percent', n('busy'));
    const idle = await last(MEASUREMENT.cpu, 'usage_percent', n('idle'));
    // The machine is shared: a busy loop may get well under one core, but far more than an idle one.
    expect(busy, 'busy container CPU %').to.be.greaterThan(10);
    expect(idle, 'idle container CPU %').to.be.lessThan(2);

    const mem = await last(MEASUREMENT.mem, 'usage', n('mem'));
    expect(mem! / MiB, 'memory held, MiB').to.be.within(30, 48);
    const limit = await last(MEASUREMENT.mem, 'limit', n('mem'));
    expect(limit).to.be.greaterThan(mem!);

    // Traffic depends on the shared machine's pace: wait (cycle by cycle) until 200 kB more have arrived.
    const rxBytes = async () => {
      const r = await q.rows(
        `SELECT first("rx_bytes") AS a, last("rx_bytes") AS b FROM "${MEASUREMENT.net}" WHERE "container_name" = '${n('server')}' AND "network" = 'total'`,
      );
      return r[0] ? (r[0].b as number) - (r[0].a as number) : 0;
    };
    for (let i = 0; i < 60 && (await rxBytes()) < 200_000; i++) {
      await nextCycle();
      await c.writer.flush();
    }
    expect(await rxBytes(), 'server rx bytes grow').to.be.greaterThan(200_000);
    const eth = await last(MEASUREMENT.net, 'rx_bytes', n('server'), `AND "network" = 'eth0'`);
    expect(eth).to.be.greaterThan(0);

    const keys = (await q.rows(`SHOW TAG KEYS FROM "${MEASUREMENT.cpu}"`)).map((r) => r.tagKey);
    for (const k of [TAG.engineHost, TAG.serverVersion, TAG.containerName, TAG.containerImage, TAG.containerVersion, TAG.containerStatus, TAG.cpu]) {
      expect(keys).to.include(k);
    }
    const state = await q.rows(`SELECT last("exitcode") AS e FROM "${MEASUREMENT.status}" WHERE "container_name" = '${n('idle')}' GROUP BY "container_status"`);
    expect(state.map((r) => r.container_status)).to.deep.equal(['running']);
    const pids = await last(MEASUREMENT.pids, 'current', n('idle'));
    expect(pids).to.equal(1);
  });

  it('picks up a container started mid-run in the next cycle', async () => {
    await runContainer(d, run, { name: n('late'), cmd: ['sleep', '3600'] });
    const r = await cycleAfter(Date.now());
    expect(r.appeared).to.include(n('late'));
    await c.writer.flush();
    const t = await q.rows(`SELECT last("usage") FROM "${MEASUREMENT.mem}" WHERE "container_name" = '${n('late')}'`);
    expect(t).to.have.length(1);
  });

  it('shows a stopped container as exited with its exit code, and a removed one as removed', async () => {
    const ctr = await runContainer(d, run, { name: n('exits'), cmd: ['sh', '-c', 'sleep 1; exit 7'] });
    await ctr.wait();
    let r = await cycleAfter(Date.now());
    await c.writer.flush();
    const rows = await q.rows(
      `SELECT last("exitcode") AS e FROM "${MEASUREMENT.status}" WHERE "container_name" = '${n('exits')}' AND "container_status" = 'exited'`,
    );
    expect(rows[0]?.e, 'exit code').to.equal(7);
    await ctr.remove();
    r = await cycleAfter(Date.now());
    expect(r.gone).to.include(n('exits'));
    await c.writer.flush();
    const gone = await q.rows(`SELECT last("exitcode") AS e FROM "${MEASUREMENT.status}" WHERE "container_name" = '${n('exits')}' AND "container_status" = 'removed'`);
    expect(gone).to.have.length(1);
  });

  it('shows a network a container joins without waiting for the periodic re-inspect', async () => {
    const extra = await d.createNetwork({ Name: n('extra'), Driver: 'bridge', Labels: { 'shipwatch.test': run } });
    await extra.connect({ Container: n('idle') });
    const networks = async () => {
      await c.writer.flush();
      const info = await q.rows(`SELECT last("networks") AS v FROM "${MEASUREMENT.info}" WHERE "container_name" = '${n('idle')}'`);
      return String(info[0]?.v);
    };
    // A few 1 s cycles at most: the connect event names the container (collector.inspectEvery is 1 h).
    await cycleAfter(Date.now());
    for (let i = 0; i < 5 && !(await networks()).includes(n('extra')); i++) await nextCycle();
    expect(await networks()).to.contain(n('extra'));
  });
});
