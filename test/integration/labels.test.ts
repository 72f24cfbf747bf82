/**
 * Per-container settings from shipwatch.* labels on real containers, through
 * the real collector, processor and alerter: left out of monitoring, out of
 * alerting, a limit of its own, the detector's sensitivity, its own receiver
 * and recovery rule, and wrong labels reported once without stopping anything.
 */
import { expect } from 'chai';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Queue } from 'bullmq';
import { services, docker, testConfig, freshDatabase, uniqueRun, runContainer, cleanup, eventually } from '../helpers/services.js';
import { HttpSink } from '../helpers/alerter.js';
import { dropKeys } from '../helpers/processor.js';
import { createLogger } from '../../common/log.js';
import { DEFAULTS } from '../../common/config.js';
import { startCollectorParts, type RunningCollector } from '../../collector/service.js';
import { startProcessorParts, type RunningProcessor } from '../../processor/service.js';
import { startAlerterParts, type RunningAlerter } from '../../alerter/service.js';
import { createRedis, type RedisClient } from '../../common/queue/connection.js';
import { ACTIONS_QUEUE, agentPrefix, type ActionJob } from '../../common/queue/actions.js';
import type { InfluxQL } from '../../common/influx/query.js';

describe('per-container settings from labels, on real containers', function () {
  this.timeout(180_000);
  const run = uniqueRun('labels');
  const db = 'sw_test_labels';
  const host = `labels-${run}`;
  const name = (s: string) => `${run}-${s}`;
  const sink = new HttpSink();
  const warnings: Array<Record<string, unknown>> = [];
  let q: InfluxQL;
  let redis: RedisClient;
  let collector: RunningCollector | undefined;
  let processor: RunningProcessor | undefined;
  let alerter: RunningAlerter | undefined;
  let actions: Queue<ActionJob>;
  const where = (container: string) => `"engine_host" = '${host}' AND "container_name" = '${container}'`;
  const count = async (measurement: string, container: string, extra = '') => {
    const rows = await q.rows(`SELECT count(*) FROM "${measurement}" WHERE ${where(container)} ${extra}`);
    return Math.max(0, ...Object.entries(rows[0] ?? {}).filter(([k]) => k.startsWith('count_')).map(([, v]) => Number(v)));
  };
  /** Points of a container that carry one field (a metric's band: `<metric>_lower`); `from` quoted, with its retention policy if any. */
  const countField = async (from: string, field: string, container: string) =>
    Number((await q.rows(`SELECT count("${field}") AS n FROM ${from} WHERE ${where(container)}`))[0]?.n ?? 0);
  const rollups = `"${DEFAULTS.influx.rollupRetentionPolicy}"."shipwatch_rollup"`;

  before(async () => {
    services();
    q = await freshDatabase(db);
    const url = await sink.start();
    const busy = ['sh', '-c', 'while :; do :; done'];
    const d = docker();
    await runContainer(d, run, { name: name('excluded'), cmd: busy, labels: { 'shipwatch.enable': 'false' } });
    await runContainer(d, run, { name: name('quiet'), cmd: busy, labels: { 'shipwatch.alert': 'false', 'shipwatch.threshold.cpu_percent': '5' } });
    await runContainer(d, run, {
      name: name('limited'), cmd: busy,
      labels: { 'shipwatch.threshold.cpu_percent': '5', 'shipwatch.route': 'team', 'shipwatch.recovery': 'restart-limited', 'shipwatch.anomaly.pids': 'high', 'shipwatch.anomaly.cpu_percent': 'off' },
    });
    await runContainer(d, run, {
      name: name('wrong'), cmd: ['sleep', '3600'],
      labels: { 'shipwatch.threshold.bogus': '1', 'shipwatch.anomaly.cpu_percent': 'extreme', 'shipwatch.threshold.mem_usage': '1k', 'shipwatch.route': 'nobody' },
    });
    const cfg = testConfig(db, {
      host,
      'redis.prefix': `{${run}}`,
      'queue.shards': 1,
      'collector.interval': '1s',
      'collector.logs.enabled': false,
      'collector.disk.enabled': false,
      'collector.images.enabled': false,
      'processor.faults.logErrors.enabled': false,
      'processor.thresholds.warmup': '3s',
      // Windows that close within the test: rollups are written per closed window.
      'processor.averageWindow': '2s',
      'alerter.api.enabled': false,
      'alerter.receivers': [{ name: 'default', webhook: { url: `${url}/default` } }, { name: 'team', webhook: { url: `${url}/team` } }],
      // Only this run's containers: other tests' containers share the Docker engine.
      'alerter.route': { receiver: '', groupWait: '0s', routes: [{ matchers: [`container=~"${run}-.*"`], receiver: 'default' }] },
      'alerter.actions': {
        cooldown: '0s',
        rules: [
          { name: 'restart-any', matchers: ['rule=~".+"'], docker: 'restart' },
          { name: 'restart-limited', matchers: ['rule=~"threshold\\\\..*"'], docker: 'restart' },
        ],
      },
    });
    const out = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n')) if (l) warnings.push(JSON.parse(l));
        cb();
      },
    });
    const log = pino({ level: 'warn' }, out);
    redis = createRedis(cfg.redis);
    actions = new Queue<ActionJob>(ACTIONS_QUEUE, { connection: redis, prefix: agentPrefix(cfg.redis.prefix, host) });
    alerter = await startAlerterParts(cfg, log);
    processor = await startProcessorParts(cfg, createLogger('test', process.env.SHIPWATCH_TEST_LOG ?? 'silent'));
    collector = await startCollectorParts(cfg, log);
  });

  after(async () => {
    await collector?.stop();
    await processor?.stop();
    await alerter?.stop();
    await actions?.close();
    await redis?.quit();
    await sink.stop();
    await cleanup(docker(), run);
    await dropKeys(testConfig(db, { 'redis.prefix': `{${run}}` }));
  });

  it('a label limit fires, goes to the label\'s receiver, and queues only the recovery rule the label names', async () => {
    await sink.waitFor('/team', 1, 60_000);
    const body = sink.at('/team')[0].body as { alerts: Array<{ key: string; container: string }> };
    expect(body.alerts.map((a) => a.key)).to.deep.equal([`threshold.cpu_percent|${host}|${name('limited')}`]);
    expect(sink.at('/default').some((r) => JSON.stringify(r.body).includes(name('limited')))).to.equal(false);
    const job = await eventually(async () => (await actions.getJobs(['waiting', 'delayed', 'active'])).find((j) => j.data.facts.container === name('limited')), 20_000);
    expect(job.data.action).to.equal('restart-limited');
  });

  it('shipwatch.enable=false: no points, no events, no samples', async () => {
    // Created while the collector watches: the other one's events are written, this one's are not.
    const d = docker();
    await runContainer(d, run, { name: name('excluded-late'), cmd: ['sleep', '3600'], labels: { 'shipwatch.enable': 'false' } });
    await runContainer(d, run, { name: name('seen-late'), cmd: ['sleep', '3600'] });
    await eventually(async () => (await count('docker_event', name('seen-late'), `AND "action" = 'start'`)) >= 1, 30_000, 250);
    await eventually(async () => (await count('docker_container_cpu', name('seen-late'))) >= 2, 30_000, 250);
    expect(await count('docker_event', name('excluded-late'))).to.equal(0);
    expect(await count('docker_container_status', name('excluded-late'))).to.equal(0);
    await eventually(async () => (await count('docker_container_cpu', name('limited'))) >= 3, 30_000, 250);
    for (const m of ['docker_container_cpu', 'docker_container_status', 'docker_container_info', 'docker_container_process', 'docker_event', 'docker_container_posture', 'shipwatch_rollup']) {
      expect(await count(m, name('excluded')), m).to.equal(0);
    }
    expect(await countField(rollups, 'cpu_percent_mean', name('excluded'))).to.equal(0);
  });

  it('shipwatch.alert=false: rolled up, never alerted', async () => {
    await eventually(async () => (await countField(rollups, 'cpu_percent_mean', name('quiet'))) >= 3, 30_000, 250);
    expect(await count('shipwatch_alerts', name('quiet'))).to.equal(0);
    expect(await count('shipwatch_alerts', name('limited'))).to.be.greaterThan(0);
  });

  it('the detector\'s sensitivity: on for a metric the configuration leaves out, off for one it feeds', async () => {
    await eventually(async () => (await countField('"shipwatch_threshold"', 'pids_lower', name('limited'))) >= 2, 30_000, 250);
    expect(await countField('"shipwatch_threshold"', 'cpu_percent_lower', name('limited'))).to.equal(0);
    expect(await countField('"shipwatch_threshold"', 'cpu_percent_lower', name('quiet'))).to.be.greaterThan(0);
  });

  it('wrong labels are reported once each (a warning and a point), and the container is monitored without them', async () => {
    await eventually(async () => (await count('docker_container_label_problem', name('wrong'))) >= 3, 30_000, 250);
    // An alert of the container brings the alerter's own problem: a receiver that does not exist.
    await eventually(async () => (await count('docker_container_label_problem', name('wrong'), `AND "label" = 'shipwatch.route'`)) >= 1, 60_000, 250);
    const rows = await q.rows(`SELECT * FROM "docker_container_label_problem" WHERE ${where(name('wrong'))}`);
    expect(rows.map((r) => r.label).sort()).to.deep.equal(['shipwatch.anomaly.cpu_percent', 'shipwatch.route', 'shipwatch.threshold.bogus']);
    expect(rows.find((r) => r.label === 'shipwatch.route')!.problem).to.contain('no receiver "nobody"');
    // Its good label still works: the tiny memory limit fires and goes where the route tree sends it.
    await eventually(async () => sink.at('/default').some((r) => JSON.stringify(r.body).includes(`threshold.mem_usage|${host}|${name('wrong')}`)), 30_000, 250);
    // Many cycles later, still one warning per label.
    const mine = () => warnings.filter((w) => w.container === name('wrong'));
    expect(mine().filter((w) => w.msg === 'container label not understood: ignored')).to.have.length(1);
    expect(mine().filter((w) => w.msg === 'container label not followed')).to.have.length(1);
    expect(await count('docker_container_cpu', name('wrong'))).to.be.greaterThan(2);
  });
});
