/**
 * The collector against a real Podman engine (`podman system service`, its
 * Docker-compatible API): discovery, metrics from the cgroup files and from
 * the API, events, status, processes and images, as written to InfluxDB.
 * Skipped only when podman is not installed.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { services, testConfig, freshDatabase, eventually } from '../helpers/services.js';
import { PodmanService, podmanMissing } from '../helpers/podman.js';
import { createLogger } from '../../common/log.js';
import { literal, type InfluxQL } from '../../common/influx/query.js';
import { startCollectorParts, type RunningCollector } from '../../collector/service.js';
import type { CycleResult } from '../../collector/collector.js';
import { MEASUREMENT, TAG, EVENT_FIELDS } from '../../common/schema.js';

const DB = 'test_podman';

describe('collector on Podman (real podman system service)', function () {
  this.timeout(240_000);
  const log = createLogger('test', 'silent');
  let podman: PodmanService;
  let q: InfluxQL;
  let c: RunningCollector;
  let busyId: string;
  const busy = 'pm-busy';
  const talker = 'pm-talker';
  const victim = 'pm-victim';
  let cycleSeen = false;

  const last = async (measurement: string, field: string, name: string, extra = '') => {
    const r = await q.rows(`SELECT last("${field}") AS v FROM "${measurement}" WHERE "container_name" = ${literal(name)} ${extra}`);
    return r[0]?.v as number | string | boolean | undefined;
  };
  const nextCycle = async () => (await once(c.cycles, 'cycle'))[0] as CycleResult;

  before(async function () {
    const missing = podmanMissing();
    if (missing) this.skip();
    services();
    q = await freshDatabase(DB);
    podman = new PodmanService();
    await podman.start();
    await podman.loadFromDocker();
    busyId = podman.run(busy, ['sh', '-c', 'while :; do :; done']);
    // Sends a datagram to its gateway every 200 ms: transmit counters move.
    podman.run(talker, ['sh', '-c', `while :; do echo x | nc -u -w 1 ${podman.gateway} 9; sleep 0.2; done`], { labels: { 'com.docker.compose.project': 'pm' } });
    podman.run(victim, ['sleep', '3600']);
    c = await startCollectorParts(testConfig(DB, {
      'docker.socketPath': podman.socket,
      'collector.interval': '1s',
      'collector.processes.interval': '1s',
      'collector.images.interval': '2s',
      'queue.enabled': false,
      'collector.prometheus': { enabled: true, port: 0 },
    }), log);
  });

  after(async () => {
    await c?.stop();
    await podman?.stop();
  });

  it('discovers the containers and reads their counters from their cgroup (/libpod_parent/libpod-<id>)', async () => {
    let r = await nextCycle();
    while (r.sampled < 3) r = await nextCycle();
    cycleSeen = true;
    expect(r.containers).to.equal(3);
    for (let i = 0; i < 3; i++) await nextCycle();
    const text = await (await fetch(`http://127.0.0.1:${c.exposition!.port}/metrics`)).text();
    expect(text).to.contain(`id="/libpod_parent/libpod-${busyId}"`);
    await c.writer.flush();
    const cpu = await q.rows(`SELECT "usage_percent", "usage_total", "usage_system" FROM "${MEASUREMENT.cpu}" WHERE "container_name" = ${literal(busy)}`);
    expect(Number(cpu[cpu.length - 1]?.usage_percent), `busy CPU %: ${JSON.stringify(cpu)}`).to.be.greaterThan(10);
    expect(Number(await last(MEASUREMENT.mem, 'usage', busy))).to.be.greaterThan(0);
    expect(Number(await last(MEASUREMENT.net, 'tx_bytes', talker, `AND "${TAG.network}" = 'eth0'`)), 'talker eth0 tx').to.be.greaterThan(0);
    expect(await last(MEASUREMENT.status, 'pid', busy)).to.be.greaterThan(0);
    // Podman reports an empty health for containers without a check: no health points.
    expect(await last(MEASUREMENT.health, 'failing_streak', busy)).to.equal(undefined);
  });

  it('reads the same containers through the Podman API', async () => {
    expect(cycleSeen).to.equal(true);
    const db = `${DB}_api`;
    const qa = await freshDatabase(db);
    const api = await startCollectorParts(testConfig(db, {
      'docker.socketPath': podman.socket,
      'collector.interval': '1s',
      'collector.statsSource': 'api',
      'queue.enabled': false,
      'collector.processes.enabled': false,
      'collector.disk.enabled': false,
      'collector.images.enabled': false,
      'collector.events.enabled': false,
    }), log);
    try {
      for (let i = 0; i < 3; i++) await once(api.cycles, 'cycle');
      await api.writer.flush();
      const cpu = await qa.rows(`SELECT last("usage_percent") AS v FROM "${MEASUREMENT.cpu}" WHERE "container_name" = ${literal(busy)}`);
      expect(Number(cpu[0]?.v), 'busy CPU % through the API').to.be.greaterThan(10);
      const mem = await qa.rows(`SELECT last("usage") AS v FROM "${MEASUREMENT.mem}" WHERE "container_name" = ${literal(busy)}`);
      expect(Number(mem[0]?.v)).to.be.greaterThan(0);
    } finally {
      await api.stop();
    }
  });

  it('lists processes and images', async () => {
    await eventually(async () => {
      await c.writer.flush();
      const p = await q.rows(`SELECT "command" FROM "${MEASUREMENT.process}" WHERE "container_name" = ${literal(busy)} ORDER BY time DESC LIMIT 5`);
      return p.some((x) => String(x.command).includes('while'));
    }, 30_000, 500);
    await eventually(async () => {
      await c.writer.flush();
      const i = await q.rows(`SELECT last("size") AS v FROM "${MEASUREMENT.image}" WHERE "${TAG.imageName}" =~ /shipwatch\\/busybox/`);
      return Number(i[0]?.v) > 0;
    }, 30_000, 500);
  });

  it('writes a kill as Docker events and the stopped state; a removal takes the container off', async () => {
    podman.podman(['kill', victim]);
    await eventually(async () => {
      await c.writer.flush();
      const e = await q.rows(`SELECT "${EVENT_FIELDS.exitCode}" FROM "${MEASUREMENT.event}" WHERE "container_name" = ${literal(victim)} AND "${TAG.action}" = 'die'`);
      return e.length === 1 && e[0][EVENT_FIELDS.exitCode] === 137;
    }, 30_000, 250);
    await eventually(async () => {
      await c.writer.flush();
      return (await last(MEASUREMENT.status, 'exitcode', victim, `AND "${TAG.containerStatus}" = 'exited'`)) === 137;
    }, 30_000, 250);
    podman.podman(['rm', victim]);
    // Podman calls it "remove": written under Docker's name.
    await eventually(async () => {
      await c.writer.flush();
      const e = await q.rows(`SELECT count("${EVENT_FIELDS.actorId}") AS n FROM "${MEASUREMENT.event}" WHERE "container_name" = ${literal(victim)} AND "${TAG.action}" = 'destroy'`);
      return e[0]?.n === 1;
    }, 30_000, 250);
    await eventually(async () => (await nextCycle()).containers === 2, 30_000, 0);
  });
});
