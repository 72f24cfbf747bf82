/**
 * The collector stops, Docker keeps emitting events, the collector starts again:
 * the missed events are written from where it stopped; none of those already
 * written is written again.
 */
import { expect } from 'chai';
import type Docker from 'dockerode';
import { services, docker, testConfig, freshDatabase, runContainer, cleanup, uniqueRun, eventually } from '../helpers/services.js';
import { createLogger } from '../../common/log.js';
import { literal, type InfluxQL } from '../../common/influx/query.js';
import { startCollectorParts, type RunningCollector } from '../../collector/service.js';
import { MEASUREMENT } from '../../common/schema.js';
import type { DockerEvent } from '../../collector/events.js';

const DB = 'test_collector_events_resume';

describe('Docker events across a collector restart (real dockerd and influxd)', function () {
  this.timeout(180_000);
  const run = uniqueRun('evresume');
  const n = (s: string) => `${run}-${s}`;
  let d: Docker;
  let q: InfluxQL;
  let c: RunningCollector | undefined;
  const cfg = () =>
    testConfig(DB, {
      'collector.interval': '1s',
      'collector.processes.enabled': false,
      'collector.disk.enabled': false,
      'collector.images.enabled': false,
    });
  /** Starts the collector; `recorded` gets every event it writes, replayed ones included. */
  const start = async (recorded: DockerEvent[] = []) => {
    const r = await startCollectorParts(cfg(), createLogger('test', 'silent'));
    // The stream connects only after this returns: nothing was delivered yet.
    r.parts.recorder!.on('written', (e) => recorded.push(e));
    await eventually(async () => r.events.connected);
    return r;
  };
  const actionsOf = async (name: string) =>
    (await q.rows(`SELECT "raw_action" FROM "${MEASUREMENT.event}" WHERE "container_name" = ${literal(name)}`)).map((r) => r.raw_action as string);

  before(async () => {
    services();
    d = docker();
    q = await freshDatabase(DB);
  });

  after(async () => {
    await c?.stop();
    await cleanup(d, run);
  });

  it('writes the events of the downtime once and nothing twice', async () => {
    c = await start();
    const before = n('before');
    const b = await runContainer(d, run, { name: before, cmd: ['sleep', '3600'] });
    await b.kill();
    await eventually(async () => (await actionsOf(before)).includes('die'));
    await c.stop();
    c = undefined;
    const written = await actionsOf(before);
    expect(written).to.include.members(['create', 'start', 'kill', 'die']);

    // While the collector is down.
    const during = n('during');
    const x = await runContainer(d, run, { name: during, cmd: ['sleep', '3600'] });
    await x.kill();
    await x.wait();
    await x.remove();

    const recorded: DockerEvent[] = [];
    c = await start(recorded);
    await eventually(async () => (await actionsOf(during)).includes('destroy'));
    expect((await actionsOf(during)).sort()).to.deep.equal(['create', 'destroy', 'die', 'kill', 'start']);
    // Replayed by Docker from the resume point, each once.
    expect(recorded.filter((e) => e.Actor.Attributes?.name === during).map((e) => e.Action).sort()).to.deep.equal(['create', 'destroy', 'die', 'kill', 'start']);

    // Something after the restart, to know the replay is over.
    const after = n('after');
    const a = await runContainer(d, run, { name: after, cmd: ['sleep', '3600'] });
    await a.kill();
    await eventually(async () => recorded.some((e) => e.Actor.Attributes?.name === after && e.Action === 'die'));
    // Nothing of before the stop was written again (in InfluxDB it would only overwrite itself, so ask the recorder).
    expect(recorded.filter((e) => e.Actor.Attributes?.name === before)).to.deep.equal([]);
    expect((await actionsOf(before)).sort()).to.deep.equal(written.sort());
  });
});
