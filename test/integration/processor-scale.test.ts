/**
 * The processor's results do not depend on how it is run: four worker
 * processes, a worker restart mid-stream, and a three-node Redis Cluster all
 * give exactly what one worker on a single Redis gives.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { services, testConfig, freshDatabase, uniqueRun, ROOT } from '../helpers/services.js';
import {
  scenario, scenarioOverrides, publishAll, JobTracker, readOutputs, ProcessorChild, nestedConfig, dropKeys, INTERVAL, type Outputs,
} from '../helpers/processor.js';
import { createLogger } from '../../common/log.js';
import type { Config } from '../../common/config.js';
import { SamplesPublisher } from '../../common/queue/publisher.js';
import { createRedis } from '../../common/queue/connection.js';
import { ALERTS_QUEUE, alertsPrefix } from '../../common/queue/names.js';
import { startProcessorParts } from '../../processor/service.js';

const t0 = Math.floor(Date.now() / INTERVAL) * INTERVAL - 3 * 3_600_000;
const jobs = scenario(t0, 8, 40);

interface Run {
  outputs: Outputs;
  alertJobs: number;
}

async function alertJobCount(cfg: Config): Promise<number> {
  const conn = createRedis(cfg.redis);
  const q = new Queue(ALERTS_QUEUE, { connection: conn, prefix: alertsPrefix(cfg.redis.prefix) });
  try {
    return (await q.getJobs(['waiting', 'delayed', 'completed', 'active', 'failed'], 0, -1)).length;
  } finally {
    await q.close();
    await conn.quit();
  }
}

/** Runs the scenario with one in-process processor. */
async function runInProcess(cfg: Config): Promise<Run> {
  const q = await freshDatabase(cfg.influx.bucket);
  const tracker = new JobTracker(cfg);
  await tracker.ready();
  const proc = await startProcessorParts(cfg, createLogger('test', 'silent'));
  const pub = new SamplesPublisher(cfg);
  try {
    await publishAll(pub, jobs, true);
    await tracker.until(jobs.length);
    expect(tracker.failed.size).to.equal(0);
  } finally {
    await proc.stop();
    await pub.close();
    await tracker.close();
  }
  const run = { outputs: await readOutputs(q), alertJobs: await alertJobCount(cfg) };
  if (cfg.redis.nodes.length === 0) await dropKeys(cfg);
  return run;
}

function childConfig(cfg: Config): Record<string, unknown> {
  const e = services();
  return nestedConfig({}, {
    'influx.url': e.influxUrl,
    'influx.bucket': cfg.influx.bucket,
    'influx.flushInterval': '200ms',
    'redis.url': cfg.redis.url,
    'redis.nodes': cfg.redis.nodes,
    'redis.prefix': cfg.redis.prefix,
    'queue.shards': cfg.queue.shards,
    'processor.rules': cfg.processor.rules.map((r) => ({ ...r })),
    'processor.thresholds.warmup': cfg.processor.thresholds.warmup,
    'processor.thresholds.for': cfg.processor.thresholds.for,
    'processor.prediction.minSamples': cfg.processor.prediction.minSamples,
    'processor.faults.logErrors.enabled': false,
    'processor.concurrency': 4,
    'log.level': 'info',
  });
}

function expectSameOutputs(got: Run, want: Run) {
  expect(got.outputs.rollups.length).to.equal(want.outputs.rollups.length);
  expect(got.outputs.rollups).to.deep.equal(want.outputs.rollups);
  expect(got.outputs.thresholds).to.deep.equal(want.outputs.thresholds);
  expect(got.outputs.predictions).to.deep.equal(want.outputs.predictions);
  expect(got.outputs.alerts).to.deep.equal(want.outputs.alerts);
  expect(got.alertJobs).to.equal(want.alertJobs);
}

describe('processor: same results however it runs', function () {
  this.timeout(300_000);
  let reference: Run;

  before(async () => {
    services();
    const db = 'sw_test_processor_ref';
    reference = await runInProcess(testConfig(db, scenarioOverrides(db, `{${uniqueRun('swref')}}`)));
    // the scenario's planted faults are there to be compared
    expect(reference.outputs.alerts.length).to.be.greaterThan(8);
    expect(reference.outputs.rollups.length).to.be.greaterThan(50);
    expect(reference.outputs.thresholds.length).to.be.greaterThan(50);
  });

  it('four worker processes write what one writes', async () => {
    const db = 'sw_test_processor_four';
    const cfg = testConfig(db, scenarioOverrides(db, `{${uniqueRun('sw4')}}`));
    const q = await freshDatabase(db);
    const tracker = new JobTracker(cfg);
    await tracker.ready();
    const children = [0, 1, 2, 3].map(() => new ProcessorChild(childConfig(cfg)));
    const pub = new SamplesPublisher(cfg);
    try {
      await Promise.all(children.map((c) => c.ready()));
      await publishAll(pub, jobs, true);
      await tracker.until(jobs.length);
      expect(tracker.failed.size).to.equal(0);
    } finally {
      await Promise.all(children.map((c) => c.stop()));
      await pub.close();
      await tracker.close();
    }
    // no errors, and no job had to be applied without its predecessor
    for (const c of children) {
      expect(c.stderr).to.not.match(/"level":50/);
      expect(c.stderr).to.not.match(/applied without it/);
    }
    expectSameOutputs({ outputs: await readOutputs(q), alertJobs: await alertJobCount(cfg) }, reference);
    await dropKeys(cfg);
  });

  it('a worker restart mid-stream changes no rollup and re-sends no alert', async () => {
    const db = 'sw_test_processor_restart';
    const cfg = testConfig(db, scenarioOverrides(db, `{${uniqueRun('swr')}}`));
    const q = await freshDatabase(db);
    const tracker = new JobTracker(cfg);
    await tracker.ready();
    const pub = new SamplesPublisher(cfg);
    let second: ProcessorChild | undefined;
    try {
      await publishAll(pub, jobs, true);
      const first = new ProcessorChild(childConfig(cfg));
      await first.ready();
      await tracker.until(Math.floor(jobs.length / 3));
      expect(await first.stop()).to.equal(0);
      const doneAtStop = tracker.done;
      expect(doneAtStop).to.be.lessThan(jobs.length);
      second = new ProcessorChild(childConfig(cfg));
      await second.ready();
      await tracker.until(jobs.length);
      expect(tracker.failed.size).to.equal(0);
    } finally {
      await second?.stop();
      await pub.close();
      await tracker.close();
    }
    expectSameOutputs({ outputs: await readOutputs(q), alertJobs: await alertJobCount(cfg) }, reference);
    await dropKeys(cfg);
  });

  describe('on a three-node Redis Cluster', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sw-cluster-'));
    let nodes: string[] = [];

    before(() => {
      nodes = execFileSync(path.join(ROOT, 'scripts/redis-cluster.sh'), ['start', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
        .trim()
        .split('\n');
      expect(nodes).to.have.length(3);
    });

    after(() => {
      execFileSync(path.join(ROOT, 'scripts/redis-cluster.sh'), ['stop', dir], { stdio: 'inherit' });
    });

    it('spreads the shards over the nodes and gives the single-Redis results', async () => {
      const db = 'sw_test_processor_cluster';
      const cfg = testConfig(db, { ...scenarioOverrides(db, '{swc}'), 'redis.nodes': nodes });
      const run = await runInProcess(cfg);
      expectSameOutputs(run, reference);
      // the shard queues live on more than one node
      const owners = new Set<string>();
      for (const n of nodes) {
        const [host, port] = n.split(':');
        const keys = execFileSync('redis-cli', ['-h', host, '-p', port, '--scan', '--pattern', '{swc:s*}:samples:meta'], { encoding: 'utf8' }).trim();
        if (keys) owners.add(n);
      }
      expect(owners.size).to.be.greaterThan(1);
    });
  });
});
