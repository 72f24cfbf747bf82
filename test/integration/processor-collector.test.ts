/**
 * The whole path on a real Docker engine: the collector publishes its cycles
 * and the engine's own event sequences, the processor turns them into rollups
 * and alerts. `docker kill` is a fault; `docker stop` is not.
 */
import { expect } from 'chai';
import { services, docker, testConfig, freshDatabase, uniqueRun, runContainer, cleanup, eventually } from '../helpers/services.js';
import { createLogger } from '../../common/log.js';
import { startCollectorParts, type RunningCollector } from '../../collector/service.js';
import { startProcessorParts, type RunningProcessor } from '../../processor/service.js';
import type { InfluxQL } from '../../common/influx/query.js';
import { dropKeys, readHostState, windowSamples } from '../helpers/processor.js';

describe('processor: fed by the real collector', function () {
  this.timeout(120_000);
  const run = uniqueRun('swfeed');
  const db = 'sw_test_processor_feed';
  const host = `feed-${run}`;
  let q: InfluxQL;
  let collector: RunningCollector | undefined;
  let proc: RunningProcessor | undefined;

  before(async () => {
    services();
    q = await freshDatabase(db);
  });

  after(async () => {
    await collector?.stop();
    await proc?.stop();
    await cleanup(docker(), run);
    await dropKeys(testConfig(db, { 'redis.prefix': `{${run}}` }));
  });

  it('writes rollups for a running container, alerts on docker kill, not on docker stop', async () => {
    const cfg = testConfig(db, {
      host,
      'redis.prefix': `{${run}}`,
      'queue.shards': 2,
      'collector.interval': '1s',
      'collector.logs.enabled': false,
      'collector.processes.enabled': false,
      'collector.disk.enabled': false,
      'collector.images.enabled': false,
      'processor.faults.died.stopGrace': '3s',
      'processor.faults.logErrors.enabled': false,
    });
    const log = createLogger('test', process.env.SHIPWATCH_TEST_LOG ?? 'silent');
    proc = await startProcessorParts(cfg, log);
    collector = await startCollectorParts(cfg, log);
    const d = docker();
    const killed = await runContainer(d, run, { name: `${run}-killed`, cmd: ['sleep', '3600'] });
    const stopped = await runContainer(d, run, { name: `${run}-stopped`, cmd: ['sleep', '3600'] });
    const where = (name: string) => `"engine_host" = '${host}' AND "container_name" = '${name}'`;
    await eventually(async () => windowSamples(await readHostState(proc!.store, cfg.queue.shards, host), `${run}-killed`, 'mem_usage') >= 2, 30_000, 250);
    await stopped.stop({ t: 1 });
    await killed.kill();
    const alert = await eventually(async () => {
      const rows = await q.rows(`SELECT * FROM "shipwatch_alerts" WHERE ${where(`${run}-killed`)} AND "rule" = 'died'`);
      return rows[0];
    }, 40_000, 250);
    expect(alert.status).to.equal('firing');
    expect(String(alert.summary)).to.match(/killed \(signal (9|SIGKILL)/);
    // the stopped one had its die explained by the stop that followed
    const gone = await q.rows(`SELECT * FROM "shipwatch_alerts" WHERE ${where(`${run}-stopped`)} AND "rule" = 'died'`);
    expect(gone).to.deep.equal([]);
    expect(proc.consumer.stats.invalid).to.equal(0);
  });
});
