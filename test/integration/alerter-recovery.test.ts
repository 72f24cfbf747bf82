/**
 * Recovery actions end to end: the alerter decides and queues, the agent of
 * the container's host runs the script or Docker action, records the run in
 * InfluxDB and reports back; the outcome is notified. Real Docker, Redis,
 * InfluxDB; the alert is the processor's payload for a real crashed container.
 */
import { expect } from 'chai';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { services, docker, testConfig, freshDatabase, uniqueRun, eventually, runContainer, cleanup } from '../helpers/services.js';
import { HttpSink, AlertFeed, type AlertInput } from '../helpers/alerter.js';
import { createLogger } from '../../common/log.js';
import { parseConfig, type Config } from '../../common/config.js';
import { createRedis, type RedisClient } from '../../common/queue/connection.js';
import { startAlerterParts, type RunningAlerter } from '../../alerter/service.js';
import { RecoveryAgent } from '../../agent/agent.js';
import { InfluxWriter } from '../../common/influx/writer.js';
import type { InfluxQL } from '../../common/influx/query.js';

/** PIDs of processes in the group that are not zombies, from /proc. */
function liveInGroup(pgid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const API_TOKEN = 'recovery-test-token-0123456789';

const SCRIPTS: Record<string, string> = {
  'restart.sh': '#!/bin/sh\necho "restarting $SHIPWATCH_CONTAINER_NAME for $SHIPWATCH_RULE"\ndocker restart "$SHIPWATCH_CONTAINER_ID"\n',
  'hang.sh': '#!/bin/sh\necho "pgid $$"\nsleep 600 &\nsleep 600\n',
  'env.sh': '#!/bin/sh\nprintf "%s\\n" "$SHIPWATCH_CONTAINER_NAME"\nenv | grep ^SHIPWATCH_ | sort >&2\n',
  'noop.sh': '#!/bin/sh\necho "did nothing useful"\n',
};

describe('alerter: recovery actions', function () {
  this.timeout(180_000);
  const run = uniqueRun('alrec');
  const db = `alrec_${process.pid}`;
  const host = `rec-host-${run}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'sw-scripts-'));
  const sink = new HttpSink();
  const log = createLogger('alerter', process.env.SHIPWATCH_TEST_LOG ?? 'silent');
  const d = docker();
  let q: InfluxQL;
  let cfg: Config;
  let alerter: RunningAlerter;
  let agent: RecoveryAgent;
  let agentRedis: RedisClient;
  let agentWriter: InfluxWriter;
  let redis: RedisClient;
  let feed: AlertFeed;

  const input = (container: string, over: Partial<AlertInput> = {}): AlertInput => ({
    status: 'firing', rule: 'died', severity: 'warning', host, container, containerId: '', summary: `${container} exited with code 3`,
    value: 3, labels: {}, startsAt: Date.now(), snapshotId: null, ...over,
  });
  const runs = (container: string) => q.rows(`SELECT * FROM "shipwatch_recovery_run" WHERE "container_name" = '${container.replace(/'/g, "\\'")}'`);
  const ran = (container: string, field = 'run_id') => eventually(async () => {
    const r = await runs(container);
    return r.length > 0 && r[0][field] !== undefined && r[0][field] !== null && r[0];
  }, 60_000, 200);

  before(async () => {
    services();
    q = await freshDatabase(db);
    for (const [name, text] of Object.entries(SCRIPTS)) {
      writeFileSync(path.join(dir, name), text);
      chmodSync(path.join(dir, name), 0o755);
    }
    const url = await sink.start();
    cfg = testConfig(db, {
      'redis.prefix': `{${run}}`,
      'alerter.api': { port: 0, token: API_TOKEN },
      'alerter.delivery': { backoff: '200ms' },
      'alerter.receivers': [
        { name: 'ops', webhook: { url: `${url}/ops` } },
        { name: 'escalation', webhook: { url: `${url}/esc` } },
      ],
      'alerter.route': { receiver: 'ops', groupWait: '0s', groupInterval: '1s', groupBy: ['container'] },
      'alerter.actions': {
        scriptsDir: dir,
        timeout: '2s',
        verifyWithin: '8s',
        cooldown: '1h',
        escalateTo: 'escalation',
        outputLimit: 1000,
        rules: [
          { name: 'restart-script', matchers: ['container=~"rec-restart-.*"'], script: 'restart.sh' },
          { name: 'hang', matchers: ['container=~"rec-hang-.*"'], script: 'hang.sh' },
          { name: 'env', matchers: ['container=~"x;.*"'], script: 'env.sh' },
          { name: 'noop', matchers: ['container=~"rec-noop-.*"'], script: 'noop.sh' },
          { name: 'docker-restart', matchers: ['container=~"rec-docker-.*"'], docker: 'restart' },
        ],
      },
    });
    alerter = await startAlerterParts(cfg, log);
    agentRedis = createRedis(cfg.redis);
    agentWriter = new InfluxWriter(cfg.influx, log);
    agent = new RecoveryAgent({ cfg, host, docker: d, redis: agentRedis, writer: agentWriter, log });
    agent.start();
    await agent.waitUntilReady();
    redis = createRedis(cfg.redis);
    feed = new AlertFeed(redis, cfg);
  });

  after(async () => {
    await cleanup(d, run);
    await feed?.close();
    await agent?.close();
    await agentWriter?.close();
    await agentRedis?.quit();
    await alerter?.stop();
    await redis?.quit();
    await sink.stop();
  });

  /** A container that exits 3 on its first run and stays up once restarted. */
  async function crashed(name: string) {
    const c = await runContainer(d, run, {
      name,
      cmd: ['sh', '-c', 'if [ -e /crashed ]; then echo up; exec sleep 3600; else touch /crashed; echo crashing; exit 3; fi'],
    });
    await c.wait();
    return c;
  }

  it('a script restarts a crashed container; run, exit code and output are recorded and the recovery notified', async () => {
    const name = `rec-restart-${run}`;
    const c = await crashed(name);
    await feed.send(input(name, { containerId: c.id }));
    const r = await ran(name, 'recovered');
    expect(r).to.include({ outcome: 'ok', exit_code: 0, action: 'restart-script', recovered: true, command: 'restart.sh' });
    expect(r.stdout).to.contain(`restarting ${name} for died`);
    expect(r.started_at).to.be.at.most(r.ended_at as number);
    expect((await c.inspect()).State.Running).to.equal(true);
    await sink.waitFor('/ops', 2); // the alert, then the recovery
    const rec = sink.at('/ops').map((x) => x.body as Record<string, any>).find((b) => b.kind === 'recovery')!;
    expect(rec).to.include({ reason: 'recovered', status: 'resolved' });
    expect(rec.recovery).to.include({ action: 'restart-script', outcome: 'ok', exitCode: 0, recovered: true });
    // Readable through the API.
    const api = await fetch(`http://127.0.0.1:${alerter.apiPort}/api/recovery-runs?container=${name}`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    const body = (await api.json()) as { runs: Array<Record<string, unknown>> };
    expect(body.runs).to.have.length(1);
    expect(body.runs[0]).to.include({ outcome: 'ok', exit_code: 0 });
  });

  it('a second crash within the cooldown runs nothing', async () => {
    const name = `rec-docker-${run}`;
    const c = await crashed(name);
    const skipped = async () => (await alerter.ctx.metrics.recoverySkipped.get()).values.find((v) => v.labels.reason === 'cooldown')?.value ?? 0;
    const before = await skipped();
    await feed.send(input(name, { containerId: c.id }));
    const r = await ran(name, 'recovered');
    expect(r).to.include({ outcome: 'ok', action: 'docker-restart', command: 'docker:restart', recovered: true });
    await feed.send(input(name, { containerId: c.id, startsAt: Date.now() + 1 }));
    await eventually(async () => (await skipped()) > before);
    expect(await runs(name)).to.have.length(1);
  });

  it('kills a script that hangs at its timeout, with its whole process group, and escalates', async () => {
    const name = `rec-hang-${run}`;
    await feed.send(input(name, { containerId: 'none' }));
    const r = await ran(name, 'recovered');
    expect(r).to.include({ outcome: 'timeout', recovered: false });
    expect(r.duration_ms).to.be.at.least(1900);
    const pgid = Number(/pgid (\d+)/.exec(String(r.stdout))![1]);
    expect(pgid).to.be.greaterThan(1);
    // Dead: at most zombies left for an init that reaps (this sandbox's PID 1 may not).
    expect(liveInGroup(pgid)).to.deep.equal([]);
    await sink.waitFor('/esc', 1);
    const esc = sink.at('/esc').map((x) => x.body as Record<string, any>).find((b) => b.alerts[0].container === name)!;
    expect(esc).to.include({ kind: 'recovery', reason: 'escalated', status: 'firing', receiver: 'escalation' });
    expect(esc.alerts[0].severity).to.equal('critical'); // raised from warning
    expect(esc.recovery).to.include({ outcome: 'timeout', recovered: false });
  });

  it('passes a hostile container name only as data', async () => {
    const marker = path.join(tmpdir(), `pwned-${run}`);
    const name = `x; touch ${marker}; $(touch ${marker}) \`touch ${marker}\``;
    await feed.send(input(name, { containerId: 'none' }));
    const r = await ran(name);
    expect(r.outcome).to.equal('ok');
    expect(r.stdout).to.equal(`${name}\n`);
    expect(r.stderr).to.contain(`SHIPWATCH_CONTAINER_NAME=${name}`).and.to.contain(`SHIPWATCH_HOST=${host}`).and.to.contain('SHIPWATCH_ALERT_KEY=died|');
    expect(existsSync(marker)).to.equal(false);
  });

  it('escalates when the action ran but the container did not come back', async () => {
    const name = `rec-noop-${run}`;
    const c = await crashed(name);
    await feed.send(input(name, { containerId: c.id }));
    const r = await ran(name, 'recovered');
    expect(r).to.include({ outcome: 'ok', recovered: false });
    await eventually(async () => sink.at('/esc').some((x) => (x.body as Record<string, any>).alerts[0].container === name), 30_000);
  });

  it('refuses at config load a script outside the scripts directory, naming the key', () => {
    symlinkSync('/bin/true', path.join(dir, 'escape.sh'));
    const rules = (script: string) => ({ alerter: { actions: { scriptsDir: dir, rules: [{ name: 'r', matchers: ['rule="died"'], script }] } } });
    expect(() => parseConfig(rules('../outside.sh'))).to.throw(/config: alerter\.actions\.rules\.0\.script: \.\.\/outside\.sh is outside actions\.scriptsDir/);
    expect(() => parseConfig(rules('missing.sh'))).to.throw(/config: alerter\.actions\.rules\.0\.script: missing\.sh does not exist/);
    expect(() => parseConfig(rules('/bin/true'))).to.throw(/config: alerter\.actions\.rules\.0\.script: \/bin\/true is outside actions\.scriptsDir/);
    expect(() => parseConfig(rules('escape.sh'))).to.throw(/config: alerter\.actions\.rules\.0\.script: escape\.sh resolves to .*true, outside actions\.scriptsDir/);
    expect(() => parseConfig(rules('restart.sh'))).to.not.throw();
  });
});
