/**
 * Log error rates: the collector counts the log lines matching its patterns
 * and sends the counts with each samples job; the processor sums them per
 * container over the window and alerts on the rate.
 */
import { expect } from 'chai';
import { services, docker, testConfig, freshDatabase, uniqueRun, runContainer, cleanup, eventually } from '../helpers/services.js';
import { dropKeys } from '../helpers/processor.js';
import { createLogger } from '../../common/log.js';
import { startCollectorParts, type RunningCollector } from '../../collector/service.js';
import { startProcessorParts, type RunningProcessor } from '../../processor/service.js';
import type { InfluxQL } from '../../common/influx/query.js';

describe('processor: log error rate', function () {
  this.timeout(120_000);
  const db = 'sw_test_processor_logs';
  const run = uniqueRun('swlogs');
  const host = `logs-${run}`;
  const cfg = () => testConfig(db, {
    host,
    'redis.prefix': `{${run}}`,
    'queue.shards': 2,
    'collector.interval': '1s',
    'collector.processes.enabled': false,
    'collector.disk.enabled': false,
    'collector.images.enabled': false,
    'collector.logs.enabled': true,
    // Only this run's containers: the dockerd is shared.
    'collector.logs.names': [`${run}-*`],
    'processor.faults.logErrors.window': '15s',
    'processor.faults.logErrors.rate': 10,
  });
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
    await dropKeys(cfg());
  });

  it('fires when matching lines per minute pass the rate, and resolves when they stop', async () => {
    const log = createLogger('test', process.env.SHIPWATCH_TEST_LOG ?? 'silent');
    proc = await startProcessorParts(cfg(), log);
    collector = await startCollectorParts(cfg(), log);
    const d = docker();
    // 60 error lines at once (240 a minute over the 15 s window), then quiet; one error line for the calm one (4 a minute)
    await runContainer(d, run, { name: `${run}-noisy`, cmd: ['sh', '-c', 'i=0; while [ $i -lt 60 ]; do echo "error $i"; i=$((i+1)); done; sleep 3600'] });
    await runContainer(d, run, { name: `${run}-calm`, cmd: ['sh', '-c', 'echo "error once"; sleep 3600'] });
    const alerts = (extra: string) => q.rows(`SELECT * FROM "shipwatch_alerts" WHERE "engine_host" = '${host}' AND "rule" = 'log_errors' ${extra}`);
    const fired = await eventually(async () => (await alerts(`AND "status" = 'firing'`))[0], 30_000, 250);
    expect(fired.container_name).to.equal(`${run}-noisy`);
    expect(fired.value as number).to.be.greaterThan(100);
    // the counts age out of the window: the alert resolves
    const resolved = await eventually(async () => (await alerts(`AND "status" = 'resolved'`))[0], 60_000, 500);
    expect(resolved.container_name).to.equal(`${run}-noisy`);
    expect(await alerts(`AND "container_name" = '${run}-calm'`)).to.deep.equal([]);
    expect(proc.consumer.stats.invalid).to.equal(0);
  });
});
