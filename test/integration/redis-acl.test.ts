/**
 * Redis with authentication: a redis-server of the test's own loads the ACL
 * file deploy/redis/make-acl.sh writes for docker-compose (one user per
 * component, deploy/redis/users.acl.in). The whole pipeline runs on it, each
 * component as its own user: a crash is notified and the agent's action runs.
 * Each component is refused outside its rights; the default user is off.
 * And TLS: rediss:// with the CA file, refused without it.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { services, docker, freshDatabase, uniqueRun, eventually, runContainer, cleanup } from '../helpers/services.js';
import { HttpSink, pipelineConfig } from '../helpers/alerter.js';
import { startRedis, makeCertificates, type PrivateRedis } from '../helpers/private.js';
import { ROOT } from '../helpers/paths.js';
import { createLogger } from '../../common/log.js';
import { parseConfig, type Config } from '../../common/config.js';
import { createRedis, whenReady } from '../../common/queue/connection.js';
import { alertsPrefix, shardPrefix } from '../../common/queue/names.js';
import { agentPrefix, RESULTS_QUEUE } from '../../common/queue/actions.js';
import { startCollectorParts, type RunningCollector } from '../../collector/service.js';
import { startProcessorParts, type RunningProcessor } from '../../processor/service.js';
import { startAlerterParts, type RunningAlerter } from '../../alerter/service.js';
import { startAgent } from '../../agent/agent.js';
import { InfluxWriter } from '../../common/influx/writer.js';

const exec = promisify(execFile);
const PREFIX = '{shipwatch}';
const log = createLogger('acl-test', process.env.SHIPWATCH_TEST_LOG ?? 'silent');

describe('Redis with ACL users per component (deploy/redis)', function () {
  this.timeout(240_000);
  const run = uniqueRun('acl');
  const host = `acl-host-${process.pid}`;
  const pw = Object.fromEntries(['admin', 'collector', 'processor', 'alerter', 'agent'].map((r) => [r, `${r}-${run}-pw-0123456789`]));
  let redis: PrivateRedis;
  const user = (name: string, password = pw[name.replace(/^agent-.*/, 'agent')]) =>
    new Redis({ host: '127.0.0.1', port: redis.port, username: name, password, maxRetriesPerRequest: null, lazyConnect: true });
  const clients: Redis[] = [];
  const as = async (name: string) => {
    const c = user(name);
    clients.push(c);
    await c.connect();
    return c;
  };

  before(async () => {
    services();
    const dir = mkdtempSync(path.join(tmpdir(), 'sw-acl-'));
    const file = path.join(dir, 'users.acl');
    await exec(path.join(ROOT, 'deploy/redis/make-acl.sh'), [file], {
      env: {
        PATH: process.env.PATH, SHIPWATCH_HOST: host,
        REDIS_ADMIN_PASSWORD: pw.admin, REDIS_COLLECTOR_PASSWORD: pw.collector, REDIS_PROCESSOR_PASSWORD: pw.processor,
        REDIS_ALERTER_PASSWORD: pw.alerter, REDIS_AGENT_PASSWORD: pw.agent,
      },
    });
    const text = readFileSync(file, 'utf8');
    for (const p of Object.values(pw)) expect(text, 'passwords are stored hashed').to.not.contain(p);
    redis = await startRedis(['--aclfile', file]);
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    await redis?.stop();
  });

  it('refuses the default user, wrong passwords and the health user beyond PING', async () => {
    // One command on a fresh connection, as written: its first reply.
    const raw = (command: string) => new Promise<string>((resolve, reject) => {
      const s = connect(redis.port, '127.0.0.1', () => s.write(`${command}\r\n`));
      s.once('data', (b) => {
        s.destroy();
        resolve(b.toString());
      });
      s.once('error', reject);
    });
    expect(await raw('GET x')).to.match(/^-NOAUTH/);
    expect(await raw('AUTH collector not-the-password')).to.match(/^-WRONGPASS/);
    expect(await raw('AUTH default ""')).to.match(/^-WRONGPASS/);
    const health = new Redis({ host: '127.0.0.1', port: redis.port, username: 'health', password: 'anything', lazyConnect: true, enableReadyCheck: false });
    clients.push(health);
    await health.connect();
    expect(await health.ping()).to.equal('PONG');
    expect(await health.get('x').catch((e: Error) => e.message)).to.match(/NOPERM/);
  });

  it('keeps each component to its own queues and keys', async () => {
    const collector = await as('collector');
    const processor = await as('processor');
    const alerter = await as('alerter');
    const agent = await as(`agent-${host}`);
    const refused = async (what: string, p: Promise<unknown>) => {
      const r = await p.then(() => 'allowed', (e: Error) => e.message);
      expect(r, what).to.match(/NOPERM|no permissions|can't access/);
    };
    const add = (c: Redis, queue: string, prefix: string) => {
      const q = new Queue(queue, { connection: c, prefix });
      q.on('error', () => {});
      return q.add('x', { forged: true }).finally(() => q.close());
    };
    // What each may do.
    await add(collector, 'samples', shardPrefix(PREFIX, 5));
    await add(processor, 'alerts', alertsPrefix(PREFIX));
    await add(alerter, 'actions', agentPrefix(PREFIX, host));
    await add(agent, RESULTS_QUEUE, alertsPrefix(PREFIX));
    // The collector publishes samples only.
    await refused('collector → alerts', add(collector, 'alerts', alertsPrefix(PREFIX)));
    await refused('collector → actions', add(collector, 'actions', agentPrefix(PREFIX, host)));
    await refused('collector reads the alerter\'s state', collector.hgetall('{shipwatch:alerts}:alerter:alerts'));
    await refused('collector writes a host state', collector.set('{shipwatch:s0}:host:h', 'x'));
    // The processor cannot reach the alerter's state or any agent.
    await refused('processor → actions', add(processor, 'actions', agentPrefix(PREFIX, host)));
    await refused('processor → alerter state', processor.hset('{shipwatch:alerts}:alerter:silences', 'x', '{}'));
    // The alerter cannot forge samples.
    await refused('alerter → samples', add(alerter, 'samples', shardPrefix(PREFIX, 0)));
    // An agent takes its own host's actions only, and cannot raise alerts.
    await refused('agent → another host\'s actions', add(agent, 'actions', agentPrefix(PREFIX, 'another-host')));
    await refused('agent → alerts', add(agent, 'alerts', alertsPrefix(PREFIX)));
    await refused('agent → alerter state', agent.hgetall('{shipwatch:alerts}:alerter:alerts'));
    // Nobody but the admin runs server-wide commands.
    for (const [name, c] of Object.entries({ collector, processor, alerter, agent })) {
      await refused(`${name} FLUSHALL`, c.flushall());
      await refused(`${name} KEYS`, c.keys('*'));
      await refused(`${name} CONFIG`, c.config('GET', 'requirepass'));
      await refused(`${name} SCAN`, c.scan(0));
      await refused(`${name} ACL`, c.acl('LIST'));
      await refused(`${name} FUNCTION`, c.call('FUNCTION', 'FLUSH'));
      await refused(`${name} EVAL on another's key`, c.eval('return redis.call("GET", KEYS[1])', 1, '{shipwatch:agent:another-host}:ran:x'));
      await refused(`${name} EVAL hiding the key`, c.eval('return redis.call("SET", "{shipwatch:agent:another-host}:ran:x", "1")', 0));
    }
    const admin = user('admin', pw.admin);
    clients.push(admin);
    await admin.connect();
    expect(await admin.acl('WHOAMI')).to.equal('admin');
  });

  it('runs the whole pipeline with each component as its own user: a crash is notified and the agent starts the container', async () => {
    const d = docker();
    const db = `acl_${process.pid}`;
    await freshDatabase(db);
    const sink = new HttpSink();
    const url = await sink.start();
    const name = `${run}-web`;
    const overrides = {
      'alerter.receivers': [{ name: 'oncall', webhook: { url: `${url}/hook` } }],
      'alerter.actions': { signingKey: 's'.repeat(40), verifyWithin: '10s', rules: [{ name: 'start-again', matchers: [`container="${name}"`, 'rule="died"'], docker: 'start' }] },
    };
    const as = (role: string): Config => pipelineConfig(db, { host, prefix: 'shipwatch', container: name, smtpPort: 1, stopGrace: '300ms' }, {
      ...overrides,
      redis: { url: `redis://127.0.0.1:${redis.port}`, prefix: PREFIX, username: role === 'agent' ? `agent-${host}` : role, password: pw[role] },
    });
    const base = as('agent');
    let collector: RunningCollector | undefined;
    let processor: RunningProcessor | undefined;
    let alerter: RunningAlerter | undefined;
    let agent: Awaited<ReturnType<typeof startAgent>> | undefined;
    const agentWriter = new InfluxWriter(base.influx, log);
    try {
      processor = await startProcessorParts(as('processor'), log);
      alerter = await startAlerterParts(as('alerter'), log);
      const agentCfg = as('agent');
      agent = await startAgent({ cfg: agentCfg, host, docker: d, writer: agentWriter, log }, () => createRedis(agentCfg.redis, { maxRetriesPerRequest: null }));
      collector = await startCollectorParts(as('collector'), log);
      const c = await runContainer(d, run, { name, cmd: ['sh', '-c', 'if [ -e /crashed ]; then exec sleep 3600; fi; sleep 3; touch /crashed; exit 3'] });
      await sink.waitFor('/hook', 2, 120_000);
      const bodies = sink.at('/hook').map((r) => r.body as Record<string, any>);
      expect(bodies.find((b) => b.kind === 'alert')?.alerts[0]).to.include({ rule: 'died', container: name });
      const rec = bodies.find((b) => b.kind === 'recovery')!;
      expect(rec.recovery).to.include({ action: 'start-again', outcome: 'ok', recovered: true });
      expect((await c.inspect()).State.Running).to.equal(true);
    } finally {
      await collector?.stop();
      await agent?.stop();
      await agentWriter.close();
      await alerter?.stop();
      await processor?.stop();
      await sink.stop();
      await cleanup(d, run);
    }
  });
});

describe('Redis over TLS (rediss:// and redis.tls.ca)', function () {
  this.timeout(60_000);
  let redis: PrivateRedis;
  let certs: Awaited<ReturnType<typeof makeCertificates>>;

  before(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sw-tls-'));
    certs = await makeCertificates(dir);
    redis = await startRedis(['--tls-cert-file', certs.cert, '--tls-key-file', certs.key, '--tls-ca-cert-file', certs.ca, '--tls-auth-clients', 'no', '--requirepass', 'tls-test-password-0123'], { tls: true });
  });
  after(() => redis?.stop());

  const cfgOf = (tls: Record<string, unknown>, url = `rediss://127.0.0.1:${redis.port}`) => parseConfig({ redis: { url, password: 'tls-test-password-0123', tls } }).redis;

  it('connects with rediss:// and the CA file, and BullMQ works over it', async () => {
    const c = createRedis(cfgOf({ ca: certs.ca }), { maxRetriesPerRequest: null });
    try {
      await whenReady(c, 10_000);
      expect(await c.ping()).to.equal('PONG');
      const q = new Queue('tls', { connection: c, prefix: '{tls}' });
      await q.add('x', { n: 1 });
      let w: Worker | undefined;
      const got = await new Promise((resolve) => {
        w = new Worker('tls', async (j) => resolve(j.data), { connection: c, prefix: '{tls}' });
        w.on('error', () => {});
      });
      expect(got).to.deep.equal({ n: 1 });
      await w!.close();
      await q.close();
    } finally {
      c.disconnect();
    }
  });

  it('refuses a server whose certificate another CA signed', async () => {
    const c = createRedis(cfgOf({ ca: certs.otherCa }), { maxRetriesPerRequest: 0 });
    const err = await new Promise<Error>((resolve) => c.once('error', resolve));
    c.disconnect();
    expect(err.message).to.match(/self[- ]signed|unable to verify|certificate/i);
  });
});
