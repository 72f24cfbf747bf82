/**
 * Log error rates: the collector's docker_log_matches counts in InfluxDB are
 * summed per container by one processor each period and applied through the
 * host's queue like any other job.
 */
import { expect } from 'chai';
import { services, testConfig, freshDatabase, uniqueRun, eventually } from '../helpers/services.js';
import { JobTracker, dropKeys, INTERVAL } from '../helpers/processor.js';
import { createLogger } from '../../common/log.js';
import { InfluxWriter } from '../../common/influx/writer.js';
import { seriesKey, line, int } from '../../common/lineprotocol.js';
import { MEASUREMENT, TAG, LOG_MATCH_FIELDS } from '../../common/schema.js';
import { SamplesPublisher } from '../../common/queue/publisher.js';
import { startProcessorParts, type RunningProcessor } from '../../processor/service.js';

describe('processor: log error rate', function () {
  this.timeout(120_000);
  const db = 'sw_test_processor_logs';
  const run = uniqueRun('swlogs');
  const cfg = () => testConfig(db, {
    'redis.prefix': `{${run}}`,
    'queue.shards': 2,
    'processor.faults.logErrors.every': '1s',
    'processor.faults.logErrors.window': '20s',
    'processor.faults.logErrors.rate': 10,
  });
  let proc: RunningProcessor | undefined;

  after(async () => {
    await proc?.stop();
    await dropKeys(cfg());
  });

  it('fires when matching lines per minute pass the rate, and resolves when they stop', async () => {
    services();
    const q = await freshDatabase(db);
    const host = `logs-${run}`;
    const tracker = new JobTracker(cfg());
    await tracker.ready();
    const pub = new SamplesPublisher(cfg());
    const writer = new InfluxWriter(cfg().influx, createLogger('test', 'silent'));
    try {
      proc = await startProcessorParts(cfg(), createLogger('test', process.env.SHIPWATCH_TEST_LOG ?? 'silent'));
      const now = Date.now();
      const containers = ['noisy', 'calm'].map((name) => ({ id: name.padEnd(64, '0'), name, image: 'app:1', state: 'running', cpu: { percent: 1 } }));
      await pub.publishSamples({ host, time: Math.floor(now / INTERVAL) * INTERVAL - INTERVAL, containers });
      await tracker.until(1);
      // 5 lines a second for the noisy one (300 a minute), 1 in 20 s for the calm one (3 a minute)
      const key = (c: string) => seriesKey(MEASUREMENT.logMatches, { [TAG.engineHost]: host, [TAG.containerName]: c, [TAG.pattern]: 'error' });
      const lines: string[] = [];
      for (let s = 1; s <= 15; s++) lines.push(line(key('noisy'), { [LOG_MATCH_FIELDS.count]: int(5) }, now - s * 1000));
      for (let s = 10; s <= 10; s += 10) lines.push(line(key('calm'), { [LOG_MATCH_FIELDS.count]: int(1) }, now - s * 1000));
      writer.write(lines);
      await writer.flush();
      const fired = await eventually(async () => (await q.rows(`SELECT * FROM "shipwatch_alerts" WHERE "rule" = 'log_errors' AND "status" = 'firing'`))[0], 30_000, 250);
      expect(fired.container_name).to.equal('noisy');
      expect(fired.value as number).to.be.greaterThan(100);
      // the counts age out of the window: the alert resolves
      await eventually(async () => (await q.rows(`SELECT * FROM "shipwatch_alerts" WHERE "rule" = 'log_errors' AND "status" = 'resolved'`))[0], 60_000, 500);
      const calm = await q.rows(`SELECT * FROM "shipwatch_alerts" WHERE "rule" = 'log_errors' AND "container_name" = 'calm'`);
      expect(calm).to.deep.equal([]);
    } finally {
      await writer.close();
      await pub.close();
      await tracker.close();
    }
  });
});
