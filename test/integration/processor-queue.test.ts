/**
 * The processor in-process against the real Redis and InfluxDB: a planted
 * fleet scenario goes through the real publisher and queue shards; the
 * outputs, alerts, snapshots and the handling of bad, duplicate and late jobs
 * are checked.
 */
import { expect } from 'chai';
import { Queue } from 'bullmq';
import { services, testConfig, freshDatabase, uniqueRun } from '../helpers/services.js';
import { scenario, scenarioOverrides, publishAll, JobTracker, readOutputs, dropKeys, INTERVAL, type Outputs } from '../helpers/processor.js';
import { windowPhase, windowStart } from '../../processor/window.js';
import { createLogger } from '../../common/log.js';
import { SamplesPublisher } from '../../common/queue/publisher.js';
import { createRedis } from '../../common/queue/connection.js';
import { SAMPLES_QUEUE, ALERTS_QUEUE, alertsPrefix, shardPrefix } from '../../common/queue/names.js';
import { shardOf } from '../../common/queue/shard.js';
import { AlertMessageSchema } from '../../common/queue/alerts.js';
import { startProcessorParts, type RunningProcessor } from '../../processor/service.js';
import { readSnapshot } from '../../common/snapshot.js';
import type { InfluxQL } from '../../common/influx/query.js';

describe('processor: queue to InfluxDB', function () {
  this.timeout(180_000);
  const db = 'sw_test_processor_queue';
  const prefix = `{${uniqueRun('swq')}}`;
  let q: InfluxQL;
  let proc: RunningProcessor;
  let pub: SamplesPublisher;
  let tracker: JobTracker;
  const t0 = Math.floor(Date.now() / INTERVAL) * INTERVAL - 3 * 3_600_000;
  const jobs = scenario(t0);
  const cfg = () => testConfig(db, scenarioOverrides(db, prefix));
  const WINDOW = cfg().processor.averageWindow;

  before(async () => {
    services();
    q = await freshDatabase(db);
    tracker = new JobTracker(cfg());
    await tracker.ready();
    pub = new SamplesPublisher(cfg());
    proc = await startProcessorParts(cfg(), createLogger('test', 'silent'));
    await publishAll(pub, jobs);
    await tracker.until(jobs.length);
  });

  after(async () => {
    await proc?.stop();
    await pub?.close();
    await tracker?.close();
    await dropKeys(cfg());
  });

  /** The rollup rows of one container, and where its windows start. */
  const rollupsOf = (out: Outputs, host: string, container: string) => ({
    rows: out.rollups.filter((r) => r.engine_host === host && r.container_name === container),
    phase: windowPhase(host, container, WINDOW),
  });

  it('applies every job once and writes a rollup per container and closed averaging window, all metrics on one line', async () => {
    expect(tracker.failed.size).to.equal(0);
    expect(proc.consumer.stats.applied).to.equal(jobs.length);
    expect(proc.consumer.stats.outOfOrder).to.equal(0);
    const out = await readOutputs(q);
    // 30 cycles of 30 s span 15 minutes: 3 or 4 windows of 5 minutes; the last one is still open
    const { rows, phase } = rollupsOf(out, 'host0', 'c2');
    expect(rows.length).to.be.within(2, 3);
    for (const r of rows) expect(((r.time as number) - phase) % WINDOW, 'stamped at the window start').to.equal(0);
    // leaking 8 MB per cycle from 50 MB: each window's mean, min and max are those of its own samples
    const mem = rollupsOf(out, 'host0', 'c1');
    expect(mem.rows.length).to.be.within(2, 3);
    for (const r of mem.rows) {
      const cycles = Array.from({ length: 30 }, (_, i) => i).filter((i) => windowStart(t0 + i * INTERVAL, WINDOW, mem.phase) === r.time);
      const leak = (i: number) => 50e6 + i * 8e6;
      expect(r.mem_usage_min).to.equal(leak(cycles[0]));
      expect(r.mem_usage_max).to.equal(leak(cycles[cycles.length - 1]));
      expect(r.mem_usage_mean).to.be.closeTo(cycles.reduce((a, i) => a + leak(i), 0) / cycles.length, 1e-3);
    }
    expect(out.thresholds.length).to.be.greaterThan(0);
    expect(out.predictions.some((p) => p.engine_host === 'host0' && p.container_name === 'c1')).to.equal(true);
  });

  it('rates skip the counter reset and the missing values: no false alerts', async () => {
    const out = await readOutputs(q);
    // A window that holds only the reset or the first sample has no rate at all (no rate beats a wrong one);
    // where the run's start falls against the windows decides whether there is one.
    const rows = rollupsOf(out, 'host2', 'c0').rows.filter((r) => r.net_rx_rate_max !== null);
    for (const r of rows) {
      expect(r.net_rx_rate_min as number).to.be.within(3000, 4000);
      expect(r.net_rx_rate_max as number).to.be.within(3000, 4000);
    }
    expect(rows.length).to.be.at.least(2);
    const keys = out.alerts.map((a) => a.key as string);
    expect(keys.filter((k) => k.startsWith('rx_burst'))).to.deep.equal([]);
    expect(keys.filter((k) => k.includes('|host5|'))).to.deep.equal([]);
    expect(keys.filter((k) => k.includes('|host3|') && !k.startsWith('anomaly'))).to.deep.equal([]);
  });

  it('raises the planted faults with a firing → resolved life cycle', async () => {
    const out = await readOutputs(q);
    const seen = out.alerts.map((a) => `${a.key} ${a.status}`);
    expect(seen).to.include.members([
      'cpu_high|host0|c0 firing', 'cpu_high|host0|c0 resolved',
      'restart_loop|host1|c1 firing', 'restart_loop|host1|c1 resolved',
      'died|host4|c2 firing', 'died|host4|c2 resolved',
      'exhaustion.mem_usage|host0|c1 firing',
      'exhaustion.fs_usage|host0|c2 firing',
    ]);
    const cpu = out.alerts.filter((a) => a.key === 'cpu_high|host0|c0');
    // above 80 from cycle 10, for 1 minute: fires at cycle 12; resolves at cycle 16
    expect(cpu.find((a) => a.status === 'firing')!.starts_at).to.equal(t0 + 12 * INTERVAL);
    expect(cpu.find((a) => a.status === 'resolved')!.time).to.equal(t0 + 16 * INTERVAL);
    const died = out.alerts.find((a) => a.key === 'died|host4|c2' && a.status === 'firing')!;
    expect(died.starts_at).to.equal(t0 + 12 * INTERVAL + 1000);
    expect(died.summary).to.match(/exited unexpectedly with code 1/);
  });

  it('sends each transition once to the alerter queue, valid against its schema', async () => {
    const out = await readOutputs(q);
    const conn = createRedis(cfg().redis);
    const aq = new Queue(ALERTS_QUEUE, { connection: conn, prefix: alertsPrefix(prefix) });
    try {
      const waiting = await aq.getJobs(['waiting', 'delayed', 'completed', 'active'], 0, -1);
      expect(waiting).to.have.length(out.alerts.length);
      for (const j of waiting) expect(AlertMessageSchema.safeParse(j.data).success).to.equal(true);
      const died = waiting.find((j) => j.data.key === 'died|host4|c2' && j.data.status === 'firing')!;
      expect(died.data.snapshotId).to.be.a('string');
      // the snapshot's key facts travel with the firing, so the alerter need not read InfluxDB
      expect(Object.fromEntries(died.data.snapshot.facts)).to.include({ 'exit code': '1', state: 'exited' });
      const resolved = waiting.find((j) => j.data.status === 'resolved')!;
      expect(resolved.data.snapshot).to.equal(null);
    } finally {
      await aq.close();
      await conn.quit();
    }
  });

  it('records a snapshot on fault, readable by its ID', async () => {
    const out = await readOutputs(q);
    const died = out.alerts.find((a) => a.key === 'died|host4|c2' && a.status === 'firing')!;
    const snap = (await readSnapshot(q, died.snapshot_id as string))!;
    expect(snap).to.not.equal(undefined);
    expect(snap.container.name).to.equal('c2');
    expect(snap.alert.rule).to.equal('died');
    expect(snap.events.map((e) => e.action)).to.include('die');
    expect(snap.samples.cpu_percent.length).to.be.greaterThan(3);
    // the collector wrote no processes or logs for this fleet: noted, not an error
    expect(snap.processes).to.equal(null);
    expect(snap.logs).to.equal(null);
    expect(snap.notes.join(' ')).to.match(/no docker_container_process points/);
    expect(await readSnapshot(q, '123-00000000')).to.equal(undefined);
  });

  it('a malformed job fails with the reason and does not stop the worker', async () => {
    const conn = createRedis(cfg().redis);
    const shard = shardOf('host0', 4);
    const sq = new Queue(SAMPLES_QUEUE, { connection: conn, prefix: shardPrefix(prefix, shard) });
    try {
      const before = tracker.done;
      await sq.add('samples', { v: 1, host: 'host0', time: t0 + 99 * INTERVAL, containers: [{ id: 'x', state: 'running' }] }, { jobId: 'bad-1', attempts: 3 });
      await sq.add('samples', { v: 7, host: 'host0', time: t0 }, { jobId: 'bad-2' });
      await sq.add('mystery', { v: 1 }, { jobId: 'bad-3' });
      await tracker.until(before + 3);
      expect(tracker.failed.get('bad-1')).to.match(/samples payload invalid: containers\.0\.name/);
      expect(tracker.failed.get('bad-2')).to.match(/unsupported version 7/);
      expect(tracker.failed.get('bad-3')).to.match(/unknown job name/);
      // no retries for a payload that cannot become valid; kept for inspection
      const failed = await sq.getJob('bad-1');
      expect(failed!.attemptsMade).to.equal(1);
      expect(await failed!.getState()).to.equal('failed');
      // the worker still applies good jobs
      const next = await pub.publishSamples({ host: 'host0', time: t0 + 30 * INTERVAL, containers: (jobs.filter((j) => j.kind === 'samples' && j.host === 'host0').pop() as unknown as { containers: never[] }).containers });
      await tracker.until(before + 4);
      expect(tracker.completed.get(next)).to.deep.include({ result: 'applied' });
    } finally {
      await sq.close();
      await conn.quit();
    }
  });

  it('duplicate and late jobs are acknowledged without effect', async () => {
    const before = await readOutputs(q);
    const first = jobs.find((j) => j.kind === 'samples' && j.host === 'host1')! as unknown as { host: string; time: number; containers: never[] };
    const late = new SamplesPublisher(cfg());
    try {
      const done = tracker.done;
      // a second collector process re-sends an old cycle (new job ID space: the original was removed on completion)
      const id = await late.publishSamples({ host: first.host, time: first.time, containers: first.containers });
      await tracker.until(done + 1);
      expect(tracker.completed.get(id)).to.deep.include({ result: 'duplicate' });
    } finally {
      await late.close();
    }
    const after = await readOutputs(q);
    expect(after.rollups).to.deep.equal(before.rollups);
    expect(after.thresholds).to.deep.equal(before.thresholds);
    expect(after.alerts).to.deep.equal(before.alerts);
  });
});
