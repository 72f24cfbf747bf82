/**
 * Two Docker hosts: the shared test engine (host A) and an engine of this
 * test's own (host B, own socket, data root, exec root, pid file and bridge),
 * each with its own collector and recovery agent, host names set in their
 * configuration (both engines report the same name in `docker info`); one
 * processor and one alerter for both. A container of the same name runs on
 * each host.
 */
import { expect } from 'chai';
import type Docker from 'dockerode';
import { Queue } from 'bullmq';
import { services, docker, freshDatabase, uniqueRun, runContainer, cleanup, eventually, TEST_LABEL } from '../helpers/services.js';
import { SmtpPeer, pipelineConfig, until } from '../helpers/alerter.js';
import { OwnEngine } from '../helpers/engine.js';
import { createLogger } from '../../common/log.js';
import { createDocker } from '../../common/docker.js';
import { createRedis, type RedisClient } from '../../common/queue/connection.js';
import { ACTIONS_QUEUE, agentPrefix, type ActionJob } from '../../common/queue/actions.js';
import { InfluxWriter } from '../../common/influx/writer.js';
import type { InfluxQL } from '../../common/influx/query.js';
import type { Config } from '../../common/config.js';
import { startCollectorParts, type RunningCollector } from '../../collector/service.js';
import { startProcessorParts, type RunningProcessor } from '../../processor/service.js';
import { startAlerterParts, type RunningAlerter } from '../../alerter/service.js';
import { startAgent } from '../../agent/agent.js';

describe('two Docker hosts', function () {
  this.timeout(300_000);
  const run = uniqueRun('twohost');
  const db = `twohost_${process.pid}`;
  const hostA = `${run}-a`;
  const hostB = `${run}-b`;
  const crash = `${run}-crash`;
  const smtp = new SmtpPeer();
  const log = createLogger('two-hosts', process.env.SHIPWATCH_TEST_LOG ?? 'silent');
  const engineB = new OwnEngine('b');
  let dA: Docker;
  let dB: Docker;
  let q: InfluxQL;
  let cfgA: Config;
  let cfgB: Config;
  let processor: RunningProcessor | undefined;
  let alerter: RunningAlerter | undefined;
  const collectors: RunningCollector[] = [];
  const stops: Array<() => Promise<void>> = [];
  let redis: RedisClient;

  /** Containers this run's collectors wrote, per host. */
  const seen = async () => {
    const rows = await q.rows(`SELECT last("restart_count") FROM "docker_container_status" WHERE "container_name" =~ /^${run}-/ GROUP BY "engine_host", "container_name"`);
    const out: Record<string, string[]> = {};
    for (const r of rows) (out[r.engine_host as string] ??= []).push(r.container_name as string);
    for (const k in out) out[k].sort();
    return out;
  };
  const runsOn = (host: string) => q.rows(`SELECT * FROM "shipwatch_recovery_run" WHERE "engine_host" = '${host}' AND "container_name" = '${crash}'`);
  const startedAt = async (d: Docker, name: string) => (await d.getContainer(name).inspect()).State.StartedAt;

  before(async () => {
    services();
    q = await freshDatabase(db);
    engineB.start();
    dA = docker();
    dB = engineB.docker();
    // The engine is this test's own: what earlier runs left on it goes.
    for (const c of await dB.listContainers({ all: true, filters: { label: [TEST_LABEL] } })) await dB.getContainer(c.Id).remove({ force: true });
    await smtp.start();
    const common = {
      'alerter.api': { port: 0, token: 'two-hosts-test-token-0123456789' },
      // died alerts of this run's containers, whichever host, to the SMTP peer; one group per alert
      'alerter.route': {
        receiver: '',
        routes: [{ matchers: [`container=~"${run}-.*"`, 'rule="died"'], receiver: 'oncall', groupWait: '0s', groupInterval: '1s', groupBy: ['host', 'container'] }],
      },
      'alerter.actions': { verifyWithin: '15s', cooldown: '1h', rules: [{ name: 'restart', matchers: [`container="${crash}"`], docker: 'restart' }] },
    };
    cfgA = pipelineConfig(db, { host: hostA, prefix: run, container: crash, smtpPort: smtp.port, stopGrace: '500ms' }, common);
    cfgB = pipelineConfig(db, { host: hostB, prefix: run, container: crash, smtpPort: smtp.port, stopGrace: '500ms' }, {
      ...common, 'docker.socketPath': engineB.socketPath,
    });
    processor = await startProcessorParts(cfgA, log.child({ c: 'processor' }));
    alerter = await startAlerterParts(cfgA, log.child({ c: 'alerter' }));
    for (const [cfg, host] of [[cfgA, hostA], [cfgB, hostB]] as const) {
      collectors.push(await startCollectorParts(cfg, log.child({ c: `collector-${host}` })));
      const writer = new InfluxWriter(cfg.influx, log);
      const agent = await startAgent({ cfg, host, docker: createDocker(cfg.docker), writer, log: log.child({ c: `agent-${host}` }) }, () => createRedis(cfg.redis));
      stops.push(async () => {
        await agent.stop();
        await writer.close();
      });
    }
    redis = createRedis(cfgA.redis);
    for (const d of [dA, dB]) {
      await runContainer(d, run, { name: crash, cmd: ['sleep', '3600'] });
      await runContainer(d, run, { name: `${run}-quiet`, cmd: ['sleep', '3600'] });
    }
    await runContainer(dA, run, { name: `${run}-only-a`, cmd: ['sleep', '3600'] });
    await runContainer(dB, run, { name: `${run}-only-b`, cmd: ['sleep', '3600'] });
  });

  after(async () => {
    for (const c of collectors) await c.stop().catch(() => {});
    for (const s of stops) await s().catch(() => {});
    await processor?.stop();
    await alerter?.stop();
    await redis?.quit();
    await smtp.stop();
    await cleanup(dA, run);
    if (engineB.pid()) {
      await cleanup(dB, run).catch(() => {});
      engineB.stop();
    }
  });

  it('writes the containers of each engine under its own host', async () => {
    const want = { [hostA]: [crash, `${run}-only-a`, `${run}-quiet`].sort(), [hostB]: [crash, `${run}-only-b`, `${run}-quiet`].sort() };
    const got = await eventually(async () => {
      const s = await seen();
      return JSON.stringify(s) === JSON.stringify(want) && s;
    }, 60_000, 500).catch(async () => seen());
    expect(got).to.deep.equal(want);
  });

  it('an alert on host B runs its recovery on host B, never on host A', async () => {
    const aBefore = await startedAt(dA, crash);
    const bBefore = await startedAt(dB, crash);
    await dB.getContainer(crash).kill();
    await smtp.waitFor(1, 60_000);
    expect(smtp.subjects()).to.deep.equal([`[FIRING:1] died ${crash} on ${hostB}`]);
    const [r] = await eventually(async () => {
      const rows = await runsOn(hostB);
      return rows.length > 0 && rows[0].recovered !== undefined && rows[0].recovered !== null && rows;
    }, 60_000, 250);
    expect(r.outcome).to.equal('ok');
    expect(r.recovered).to.equal(true);
    // B's container was restarted by B's agent; A's, of the same name, was left alone
    expect((await dB.getContainer(crash).inspect()).State.Running).to.equal(true);
    expect(await startedAt(dB, crash)).to.not.equal(bBefore);
    expect(await startedAt(dA, crash)).to.equal(aBefore);
    expect(await runsOn(hostA)).to.deep.equal([]);
  });

  it('an action for host B put on host A\'s queue is refused by A\'s agent', async () => {
    const aBefore = await startedAt(dA, crash);
    const FORGED = 'r-00000000000000f0f9ed';
    const queue = new Queue<ActionJob>(ACTIONS_QUEUE, { connection: redis, prefix: agentPrefix(cfgA.redis.prefix, hostA) });
    try {
      const id = await (await dA.getContainer(crash).inspect()).Id;
      await queue.add('forged', {
        runId: FORGED, action: 'restart', args: [], docker: 'restart', queuedAt: Date.now(),
        facts: { containerId: id, container: crash, host: hostB, rule: 'died', severity: 'critical', value: null, snapshotId: null, alertKey: `died|${hostB}|${crash}`, labels: {} },
      }, { jobId: FORGED });
      const [r] = await eventually(async () => {
        const rows = await q.rows(`SELECT * FROM "shipwatch_recovery_run" WHERE "run_id" = '${FORGED}'`);
        return rows.length > 0 && rows;
      }, 30_000, 250);
      expect(r.outcome).to.equal('refused');
      expect(String(r.error)).to.match(/refused: for host ".*-b"; this agent acts on ".*-a" only/);
      expect(await startedAt(dA, crash)).to.equal(aBefore);
    } finally {
      await queue.close();
    }
  });

  it('with host B\'s engine down, a crash on host A is alerted as soon as with both up', async () => {
    const victims = [`${run}-a1`, `${run}-a2`];
    for (const v of victims) await runContainer(dA, run, { name: v, cmd: ['sleep', '3600'] });
    // both collectors see them (A) and the B containers (B) in their cycles first
    await eventually(async () => (await seen())[hostA]?.includes(victims[1]), 60_000, 250);
    // (host B's containers die with its engine: their alerts come too, and are not what is timed)
    const latency = async (name: string) => {
      const subject = `[FIRING:1] died ${name} on ${hostA}`;
      const t = Date.now();
      await dA.getContainer(name).kill();
      await until(smtp, 'mail', () => smtp.subjects().includes(subject), 60_000, subject);
      return smtp.mails.find((m) => m.parsed.subject === subject)!.at - t;
    };
    const both = await latency(victims[0]);
    engineB.stop();
    const aloneB = await latency(victims[1]);
    // the processor and alerter wait for nothing of host B: same latency within the machine's noise
    expect(aloneB, `with B down ${aloneB} ms, with both up ${both} ms`).to.be.below(Math.max(3 * both, 10_000));
  });
});
