/**
 * The recovery agent on real Docker, Redis and InfluxDB.
 * 1. It trusts nothing it takes from Redis: jobs added straight to its queue
 *    (as anyone with Redis access could) are refused unless its own
 *    configuration allows them, and each refusal is recorded in
 *    shipwatch_recovery_run and reported on the results queue; the alerter
 *    escalates a refused run it had queued.
 * 2. The sample scripts in config/recovery/ run through the agent, with the
 *    Docker CLI talking through the agent's Docker proxy (deploy/haproxy), as
 *    under docker-compose.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import Docker from 'dockerode';
import { services, docker, testConfig, freshDatabase, uniqueRun, eventually, runContainer, cleanup, waitForOutput } from '../helpers/services.js';
import { HttpSink, AlertFeed, type AlertInput } from '../helpers/alerter.js';
import { startProcess, whenListening, type Proc } from '../helpers/private.js';
import { ROOT } from '../helpers/paths.js';
import { createLogger } from '../../common/log.js';
import type { Config } from '../../common/config.js';
import { createRedis, type RedisClient } from '../../common/queue/connection.js';
import { alertsPrefix } from '../../common/queue/names.js';
import { ACTIONS_QUEUE, RESULTS_QUEUE, agentPrefix, signAction, type ActionJob, type ActionResult } from '../../common/queue/actions.js';
import { InfluxWriter } from '../../common/influx/writer.js';
import type { InfluxQL } from '../../common/influx/query.js';
import { startAgent as startAgentWith } from '../../agent/agent.js';
import { startAlerterParts, type RunningAlerter } from '../../alerter/service.js';

const KEY = 'agent-test-signing-key-0123456789abcdef';
const log = createLogger('agent-test', process.env.SHIPWATCH_TEST_LOG ?? 'silent');

/** An agent of its own, on the test's Redis and InfluxDB. */
async function startAgent(cfg: Config, host: string, d: Docker) {
  const writer = new InfluxWriter(cfg.influx, log);
  const a = await startAgentWith({ cfg, host, docker: d, writer, log }, () => createRedis(cfg.redis, { maxRetriesPerRequest: null }));
  return {
    agent: a.agent,
    async stop() {
      await a.stop();
      await writer.close();
    },
  };
}

describe('recovery agent', function () {
  this.timeout(240_000);
  const d = docker();

  describe('trusts nothing it is sent', () => {
    const run = uniqueRun('agtrust');
    const db = `agtrust_${process.pid}`;
    const host = `trust-${run}`;
    let q: InfluxQL;
    let cfg: Config;
    let agent: Awaited<ReturnType<typeof startAgent>>;
    let redis: RedisClient;
    let actions: Queue;
    let results: Queue<ActionResult>;
    let stopped: Docker.Container;
    let other: Docker.Container;

    before(async () => {
      services();
      q = await freshDatabase(db);
      cfg = testConfig(db, {
        'redis.prefix': `{${run}}`,
        'alerter.actions': {
          signingKey: KEY,
          verifyWithin: '5s',
          rules: [{ name: 'start-web', matchers: ['rule="died"', `container=~"${run}-web.*"`], docker: 'start' }],
        },
      });
      agent = await startAgent(cfg, host, d);
      redis = createRedis(cfg.redis);
      actions = new Queue(ACTIONS_QUEUE, { connection: redis, prefix: agentPrefix(cfg.redis.prefix, host) });
      results = new Queue(RESULTS_QUEUE, { connection: redis, prefix: alertsPrefix(cfg.redis.prefix) });
      stopped = await runContainer(d, run, { name: `${run}-web`, cmd: ['sh', '-c', 'exec sleep 3600'], start: false });
      other = await runContainer(d, run, { name: `${run}-db`, cmd: ['sh', '-c', 'exec sleep 3600'], start: false });
    });

    after(async () => {
      await cleanup(d, run);
      await actions?.close();
      await results?.close();
      await agent?.stop();
      await redis?.quit();
    });

    let n = 0;
    const job = (over: Partial<Omit<ActionJob, 'sig'>> = {}, facts: Partial<ActionJob['facts']> = {}): Omit<ActionJob, 'sig'> => ({
      runId: `r-${(++n).toString(16).padStart(20, '0')}`,
      action: 'start-web',
      args: [],
      docker: 'start',
      facts: {
        containerId: stopped.id, container: `${run}-web`, host, rule: 'died', severity: 'critical',
        value: 1, snapshotId: null, alertKey: `died|${host}|${run}-web`, labels: {}, ...facts,
      },
      queuedAt: Date.now(),
      ...over,
    });

    /** Adds raw data to the agent's queue; resolves with its recorded run and reported result. */
    async function send(data: unknown, runId: string) {
      await actions.add('x', data, { jobId: `t${++n}` });
      const row = await eventually(async () => {
        const rows = await q.rows(`SELECT * FROM "shipwatch_recovery_run" WHERE "run_id" = '${runId}'`);
        return rows.length > 0 && rows[rows.length - 1];
      }, 30_000, 100);
      const reported = await eventually(async () => (await results.getJobs(['waiting', 'delayed'])).find((j) => j.data.runId === runId)?.data, 10_000, 100);
      return { row, reported };
    }

    const refusedWith = async (data: Omit<ActionJob, 'sig'> | ActionJob, pattern: RegExp) => {
      const { row, reported } = await send(data, data.runId);
      expect(row.outcome, String(row.error)).to.equal('refused');
      expect(row.error).to.match(pattern);
      expect(reported).to.include({ outcome: 'refused', host });
      expect(reported.detail).to.match(pattern);
      expect((await stopped.inspect()).State.Running, 'nothing ran').to.equal(false);
      expect((await other.inspect()).State.Running, 'nothing ran').to.equal(false);
    };

    it('refuses an unsigned job, a forged one and one whose signature no longer matches', async () => {
      await refusedWith(job(), /not signed/);
      await refusedWith(signAction(job(), 'another-key-0123456789abcdef0123456789'), /signature does not match/);
      const s = signAction(job(), KEY);
      await refusedWith({ ...s, facts: { ...s.facts, containerId: other.id, container: `${run}-db` } }, /signature does not match/);
    });

    it('refuses what its own rules do not allow: another action, another container, another host', async () => {
      await refusedWith(signAction(job({ docker: 'exec', command: ['sh', '-c', 'id'] }), KEY), /differs from this agent's rule "start-web"/);
      await refusedWith(signAction(job({ action: 'wipe-all' }), KEY), /no action rule "wipe-all"/);
      await refusedWith(signAction(job({}, { containerId: other.id, container: `${run}-db` }), KEY), /does not match this alert/);
      await refusedWith(signAction(job({}, { host: 'some-other-host' }), KEY), /this agent acts on/);
      // The ID of one container with the name of another that the rule matches.
      await refusedWith(signAction(job({}, { containerId: other.id }), KEY), /is ".*-db", not ".*-web"/);
    });

    it('refuses a job that is not one, recording what it can', async () => {
      await actions.add('x', { docker: 'rm', target: '/' }, { jobId: 'garbage-1' });
      const row = await eventually(async () => (await q.rows(`SELECT * FROM "shipwatch_recovery_run" WHERE "error" =~ /invalid job/`))[0], 30_000, 100);
      expect(row).to.include({ outcome: 'refused', engine_host: host });
    });

    it('runs an allowed job once: the same action added again under another job ID is refused', async () => {
      const ok = signAction(job(), KEY);
      const { row } = await send(ok, ok.runId);
      expect(row).to.include({ outcome: 'ok', action: 'start-web', command: 'docker:start' });
      expect((await stopped.inspect()).State.Running).to.equal(true);
      await stopped.stop({ t: 0 });
      await actions.add('x', ok, { jobId: 'replayed' });
      const again = await eventually(async () => (await q.rows(`SELECT * FROM "shipwatch_recovery_run" WHERE "run_id" = '${ok.runId}' AND "outcome" = 'refused'`))[0], 30_000, 100);
      expect(again.error).to.match(/taken before/);
      expect((await stopped.inspect()).State.Running).to.equal(false);
    });
  });

  describe('a refusal reaches the alert\'s receivers', () => {
    const run = uniqueRun('agrefuse');
    const db = `agrefuse_${process.pid}`;
    const host = `refuse-${run}`;
    const sink = new HttpSink();
    let alerter: RunningAlerter;
    let agent: Awaited<ReturnType<typeof startAgent>>;
    let feedRedis: RedisClient;
    let feed: AlertFeed;

    after(async () => {
      await cleanup(d, run);
      await feed?.close();
      await feedRedis?.quit();
      await agent?.stop();
      await alerter?.stop();
      await sink.stop();
    });

    it('escalates an action the agent\'s own configuration does not allow (the two configurations differ)', async () => {
      services();
      await freshDatabase(db);
      const url = await sink.start();
      const base = {
        'redis.prefix': `{${run}}`,
        'alerter.receivers': [{ name: 'ops', webhook: { url: `${url}/ops` } }],
        'alerter.route': { receiver: 'ops', groupWait: '0s', groupInterval: '1s' },
      };
      const rule = { name: 'fix', matchers: ['rule="died"'] };
      alerter = await startAlerterParts(testConfig(db, { ...base, 'alerter.actions': { signingKey: KEY, rules: [{ ...rule, docker: 'restart' }] } }), log);
      agent = await startAgent(testConfig(db, { ...base, 'alerter.actions': { signingKey: KEY, rules: [{ ...rule, docker: 'stop' }] } }), host, d);
      const c = await runContainer(d, run, { name: `${run}-app`, cmd: ['sh', '-c', 'exec sleep 3600'] });
      feedRedis = createRedis(testConfig(db, base).redis);
      feed = new AlertFeed(feedRedis, testConfig(db, base));
      const input: AlertInput = {
        status: 'firing', rule: 'died', severity: 'warning', host, container: `${run}-app`, containerId: c.id,
        summary: 'x', value: 1, labels: {}, startsAt: Date.now(), snapshotId: null,
      };
      await feed.send(input);
      await eventually(async () => sink.at('/ops').some((r) => (r.body as { kind: string }).kind === 'recovery'), 60_000, 100);
      const rec = sink.at('/ops').map((r) => r.body as Record<string, any>).find((b) => b.kind === 'recovery')!;
      expect(rec).to.include({ reason: 'escalated', status: 'firing' });
      expect(rec.recovery).to.include({ action: 'fix', outcome: 'refused', recovered: false });
      expect(rec.recovery.detail).to.match(/refused: action differs from this agent's rule "fix" \(docker:stop/);
      expect((await c.inspect()).State.Running, 'neither the restart nor the stop ran').to.equal(true);
    });
  });

  describe('the sample scripts (config/recovery) through the agent and its Docker proxy', () => {
    const run = uniqueRun('agscripts');
    const db = `agscripts_${process.pid}`;
    const host = `scripts-${run}`;
    let q: InfluxQL;
    let haproxy: Proc;
    let agent: Awaited<ReturnType<typeof startAgent>>;
    let redis: RedisClient;
    let actions: Queue;
    let results: Queue<ActionResult>;
    let cfg: Config;

    before(async () => {
      const dockerSocket = services().dockerHost.replace(/^unix:\/\//, '');
      q = await freshDatabase(db);
      const dir = mkdtempSync(path.join(tmpdir(), 'sw-agent-proxy-'));
      const socket = path.join(dir, 'agent.sock');
      haproxy = startProcess('haproxy', ['-db', '-f', path.join(ROOT, 'deploy/haproxy/docker-agent.cfg')], {
        dir, env: { ...process.env, SHIPWATCH_PROXY_SOCKET: socket, SHIPWATCH_DOCKER_SOCKET: dockerSocket },
      });
      await whenListening(socket, haproxy);
      cfg = testConfig(db, {
        'redis.prefix': `{${run}}`,
        docker: { socketPath: socket },
        'alerter.actions': {
          scriptsDir: path.join(ROOT, 'config/recovery'),
          outputDir: path.join(dir, 'runs'),
          signingKey: KEY,
          timeout: '90s',
          verifyWithin: '20s',
          rules: [
            { name: 'restart', matchers: ['rule="unhealthy"'], script: 'restart-with-backoff.sh', args: ['3', '1', '20'] },
            { name: 'prune', matchers: ['rule="disk"'], script: 'prune-tmp.sh', args: ['/tmp', '60'] },
            { name: 'diagnose', matchers: ['rule="died"'], script: 'capture-diagnostics.sh', args: ['50'], verify: false },
          ],
        },
      });
      // The agent's Docker client goes through the proxy too.
      agent = await startAgent(cfg, host, new Docker({ socketPath: socket }));
      redis = createRedis(cfg.redis);
      actions = new Queue(ACTIONS_QUEUE, { connection: redis, prefix: agentPrefix(cfg.redis.prefix, host) });
      results = new Queue(RESULTS_QUEUE, { connection: redis, prefix: alertsPrefix(cfg.redis.prefix) });
    });

    after(async () => {
      await cleanup(d, run);
      await actions?.close();
      await results?.close();
      await agent?.stop();
      await redis?.quit();
      await haproxy?.stop();
    });

    let n = 0;
    /** The run's point, once written with its verification (InfluxDB writes are batched). */
    const runRow = (runId: string) => eventually(async () => {
      const rows = await q.rows(`SELECT * FROM "shipwatch_recovery_run" WHERE "run_id" = '${runId}'`);
      return rows.length > 0 && rows[0].stdout !== undefined && rows[0];
    }, 30_000, 100);

    /** Queues the rule's action for the container as the alerter would, and resolves with the reported result. */
    async function act(action: string, script: string, args: string[], rule: string, c: Docker.Container): Promise<ActionResult> {
      const name = (await c.inspect()).Name.slice(1);
      const job = signAction({
        runId: `r-${(++n).toString(16).padStart(20, 'a')}`, action, script, args,
        facts: { containerId: c.id, container: name, host, rule, severity: 'warning', value: null, snapshotId: null, alertKey: `${rule}|${host}|${name}`, labels: {} },
        queuedAt: Date.now(),
      }, KEY);
      await actions.add(action, job, { jobId: job.runId });
      return eventually(async () => (await results.getJobs(['waiting', 'delayed'])).find((j) => j.data.runId === job.runId)?.data, 120_000, 200);
    }

    it('restart-with-backoff.sh restarts an unhealthy container and waits until its health check passes', async () => {
      // Unhealthy until restarted: the health check looks for a file the second start creates.
      const c = await runContainer(d, run, {
        name: `${run}-unhealthy`,
        cmd: ['sh', '-c', 'trap "exit 0" TERM; if [ -e /started ]; then touch /healthy; fi; touch /started; sleep 3600 & wait'],
        healthcheck: { Test: ['CMD', 'test', '-e', '/healthy'], Interval: 500_000_000, Timeout: 1_000_000_000, Retries: 1 },
      });
      await eventually(async () => (await c.inspect()).State.Health?.Status === 'unhealthy', 30_000, 200);
      const r = await act('restart', 'restart-with-backoff.sh', ['3', '1', '20'], 'unhealthy', c);
      expect(r, r.detail).to.include({ outcome: 'ok', exitCode: 0, recovered: true });
      expect((await c.inspect()).State.Health?.Status).to.equal('healthy');
      const row = await runRow(r.runId);
      expect(row.stdout).to.match(/try 1\/3: docker restart .*\nup: true healthy/);
    });

    it('prune-tmp.sh removes what is old in the container\'s /tmp and keeps what is new', async () => {
      const c = await runContainer(d, run, {
        name: `${run}-full`,
        cmd: ['sh', '-c', 'mkdir -p /tmp/old-dir && dd if=/dev/zero of=/tmp/old-dir/blob bs=1024 count=2048 2>/dev/null && touch -d "2020-01-01 00:00" /tmp/old-dir /tmp/old-dir/blob && echo keep > /tmp/new && echo ready && exec sleep 3600'],
      });
      await waitForOutput(c, 'ready');
      const r = await act('prune', 'prune-tmp.sh', ['/tmp', '60'], 'disk', c);
      expect(r, r.detail).to.include({ outcome: 'ok', exitCode: 0, recovered: true });
      const row = await runRow(r.runId);
      const m = /freed (\d+) KiB/.exec(String(row.stdout));
      expect(m, String(row.stdout)).to.not.equal(null);
      expect(Number(m![1])).to.be.at.least(2000);
      const ls = await c.exec({ Cmd: ['ls', '/tmp'], AttachStdout: true });
      const out = await new Promise<string>((resolve) => {
        void ls.start({}).then((s) => {
          let t = '';
          s.on('data', (b: Buffer) => (t += b.toString('latin1')));
          s.on('end', () => resolve(t));
        });
      });
      expect(out).to.contain('new').and.not.to.contain('old-dir');
    });

    it('capture-diagnostics.sh writes inspect, logs and processes to a file attached to the run by its path', async () => {
      const c = await runContainer(d, run, { name: `${run}-died`, cmd: ['sh', '-c', 'echo "last words of the container"; exit 7'] });
      await c.wait();
      const r = await act('diagnose', 'capture-diagnostics.sh', ['50'], 'died', c);
      expect(r, r.detail).to.include({ outcome: 'ok', exitCode: 0, recovered: null });
      expect(r.attachments).to.have.length(1);
      const file = r.attachments[0];
      expect(file).to.equal(path.join(cfg.alerter.actions.outputDir, r.runId, 'diagnostics.txt'));
      const text = readFileSync(file, 'utf8');
      expect(text).to.contain('===== inspect =====').and.to.contain(`"ExitCode": 7`).and.to.contain('last words of the container');
      const row = await runRow(r.runId);
      expect(row.attachments).to.equal(file);
      expect(row.stdout).to.contain(`diagnostics of ${run}-died in ${file}`);
    });
  });
});
