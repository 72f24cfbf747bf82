/**
 * Process lists of running containers, from /proc (the fast path) and from
 * docker top: known commands show up with user and PID; a process that ends
 * and a container that stops give "gone" points.
 */
import { expect } from 'chai';
import type Docker from 'dockerode';
import { services, docker, testConfig, freshDatabase, runContainer, cleanup, uniqueRun, eventually, waitForOutput } from '../helpers/services.js';
import { createLogger } from '../../common/log.js';
import { literal, type InfluxQL } from '../../common/influx/query.js';
import { startCollectorParts, type RunningCollector } from '../../collector/service.js';
import { MEASUREMENT } from '../../common/schema.js';

for (const source of ['proc', 'api'] as const) {
  describe(`container processes through ${source} (real dockerd and influxd)`, function () {
    this.timeout(180_000);
    const DB = `test_collector_processes_${source}`;
    const run = uniqueRun(`procs-${source}`);
    const n = (s: string) => `${run}-${s}`;
    let d: Docker;
    let q: InfluxQL;
    let c: RunningCollector;

    const rowsOf = (m: string, name: string) => q.rows(`SELECT * FROM "${m}" WHERE "container_name" = ${literal(name)}`);
    const exec = async (ctr: Docker.Container, cmd: string[]) => {
      const e = await ctr.exec({ Cmd: cmd, AttachStdout: false, AttachStderr: false });
      await e.start({ Detach: true });
    };

    before(async () => {
      services();
      d = docker();
      q = await freshDatabase(DB);
      c = await startCollectorParts(
        testConfig(DB, {
          'collector.processes.interval': '1s',
          'collector.processes.source': source,
          'collector.events.enabled': false,
          'collector.disk.enabled': false,
          'collector.images.enabled': false,
        }),
        createLogger('test', 'silent'),
      );
    });

    after(async () => {
      await c?.stop();
      await cleanup(d, run);
    });

    it('shows both known commands with PID, user, memory; a process that ends is reported gone', async () => {
      const name = n('two');
      const ctr = await runContainer(d, run, {
        name,
        cmd: ['sh', '-c', 'sleep 4001 & nc -l -p 7777 & sleep 4002 & echo $! > /tmp/victim; echo ready; wait'],
      });
      await waitForOutput(ctr, 'ready');
      const rows = await eventually(async () => {
        const r = await rowsOf(MEASUREMENT.process, name);
        const cmds = new Set(r.map((x) => x.command));
        return cmds.has('sleep 4001') && cmds.has('nc -l -p 7777') ? r : undefined;
      });
      const sleep = rows.find((r) => r.command === 'sleep 4001')!;
      expect(sleep.pid).to.be.a('number').and.above(1);
      expect(sleep.user).to.equal('root');
      expect(sleep.rss).to.be.a('number').and.above(0);
      expect(sleep.container_id).to.equal(ctr.id);
      expect(Number(sleep.rank)).to.be.within(1, 20);
      expect(sleep.started_at).to.be.a('number');
      if (source === 'proc') expect(sleep.ns_pid).to.be.a('number').and.above(1);

      await exec(ctr, ['sh', '-c', 'kill $(cat /tmp/victim)']);
      const gone = await eventually(async () => (await rowsOf(MEASUREMENT.processGone, name)).find((r) => r.command === 'sleep 4002'));
      expect(gone.pid).to.be.a('number');
      expect(gone.last_seen).to.be.a('number');
      // The others are still there.
      expect((await rowsOf(MEASUREMENT.processGone, name)).map((r) => r.command)).not.to.include('sleep 4001');
    });

    it('a busy process ranks first by CPU', async () => {
      const name = n('busy');
      const ctr = await runContainer(d, run, { name, cmd: ['sh', '-c', 'sleep 4003 & while :; do :; done'] });
      try {
        const top = await eventually(async () => {
          const r = await q.rows(`SELECT * FROM "${MEASUREMENT.process}" WHERE "container_name" = ${literal(name)} AND "rank" = '1' ORDER BY time DESC LIMIT 1`);
          return r[0] && (r[0].cpu_percent as number) > 20 ? r[0] : undefined;
        });
        expect(top.command).to.match(/while/);
      } finally {
        await ctr.kill().catch(() => {});
      }
    });

    it('a container that stops: its processes are reported gone, and nothing breaks', async () => {
      const name = n('stops');
      const ctr = await runContainer(d, run, { name, cmd: ['sh', '-c', 'sleep 4004 & echo ready; wait'] });
      await waitForOutput(ctr, 'ready');
      await eventually(async () => (await rowsOf(MEASUREMENT.process, name)).some((r) => r.command === 'sleep 4004'));
      await ctr.kill();
      const killedAt = Date.now();
      await eventually(async () => (await rowsOf(MEASUREMENT.processGone, name)).some((r) => r.command === 'sleep 4004'));
      // Polls go on for the other containers.
      await eventually(async () => (await q.rows(`SELECT * FROM "${MEASUREMENT.process}" WHERE "container_name" = ${literal(n('two'))} AND time > ${killedAt}ms`)).length > 0);
    });
  });
}
