/**
 * InfluxDB least privilege on the real 1.6.7, with authentication on, in an
 * influxd of the test's own: the set-up entry point (common/influx-setup.ts),
 * run with the admin's credential, makes a user per component with READ,
 * WRITE or ALL on the database; each component then runs with its own user
 * and can do what it needs and nothing more. Run again, it keeps the passwords.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { services, docker, testConfig, uniqueRun, eventually, runContainer, cleanup } from '../helpers/services.js';
import { startInfluxWithAuth, type Proc } from '../helpers/private.js';
import { ROOT } from '../helpers/paths.js';
import { createLogger } from '../../common/log.js';
import { InfluxQL } from '../../common/influx/query.js';
import { startCollectorParts, type RunningCollector } from '../../collector/service.js';
import { bucketGrants, V1_PRIVILEGE, type InfluxRole } from '../../common/influx/access.js';

const exec = promisify(execFile);
const ADMIN = { user: 'admin', password: 'influx-admin-password-0123' };
const DB = 'shipwatch_access';

describe('InfluxDB 1.x users per component (common/influx-setup.ts)', function () {
  this.timeout(180_000);
  const run = uniqueRun('influxacl');
  const out = mkdtempSync(path.join(tmpdir(), 'sw-influx-creds-'));
  const log = createLogger('influx-access', process.env.SHIPWATCH_TEST_LOG ?? 'silent');
  let influx: Proc & { url: string };

  const setup = () => exec(process.execPath, ['--import', 'tsx', path.join(ROOT, 'common/influx-setup.ts'), '--out', out], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME, SHIPWATCH_INFLUX_URL: influx.url, SHIPWATCH_INFLUX_BUCKET: DB,
      SHIPWATCH_INFLUX_USERNAME: ADMIN.user, SHIPWATCH_INFLUX_PASSWORD: ADMIN.password,
    },
  });
  const creds = (role: InfluxRole) => ({
    username: readFileSync(path.join(out, role, 'username'), 'utf8').trim(),
    password: readFileSync(path.join(out, role, 'password'), 'utf8').trim(),
  });
  const as = (role: InfluxRole) => new InfluxQL({ url: influx.url, bucket: DB, token: '', timeout: 10_000, ...creds(role) });
  const write = async (role: InfluxRole, line: string) => {
    const c = creds(role);
    const res = await fetch(`${influx.url}/write?db=${DB}`, {
      method: 'POST', body: line, headers: { authorization: 'Basic ' + Buffer.from(`${c.username}:${c.password}`).toString('base64') },
    });
    return res.status;
  };
  const fails = (p: Promise<unknown>) => p.then(() => 'allowed', (e: Error) => e.message);

  before(async () => {
    services();
    influx = await startInfluxWithAuth(ADMIN);
  });
  after(async () => influx?.stop());

  it('sets up the database, its retention and a user per component, each with a password of its own, readable only where mounted', async () => {
    // No configuration file: the environment only, as in the compose service.
    const { stderr } = await setup().catch((e: Error & { stderr: string }) => {
      throw new Error(e.stderr);
    });
    expect(stderr).to.contain('InfluxDB credentials set up');
    const admin = new InfluxQL({ url: influx.url, bucket: DB, token: '', timeout: 10_000, username: ADMIN.user, password: ADMIN.password });
    const rps = (await admin.rows(`SHOW RETENTION POLICIES ON "${DB}"`)).map((r) => r.name);
    expect(rps).to.include('rollup');
    const grants = Object.fromEntries(await Promise.all((['collector', 'processor', 'alerter', 'agent', 'grafana'] as InfluxRole[]).map(async (role) => {
      const rows = await admin.rows(`SHOW GRANTS FOR "shipwatch_${role}"`);
      return [role, rows.find((r) => r.database === DB)?.privilege];
    })));
    expect(grants).to.deep.equal({ collector: 'ALL PRIVILEGES', processor: 'ALL PRIVILEGES', alerter: 'ALL PRIVILEGES', agent: 'WRITE', grafana: 'READ' });
    const passwords = new Set((['collector', 'processor', 'alerter', 'agent', 'grafana'] as InfluxRole[]).map((r) => creds(r).password));
    expect(passwords.size).to.equal(5);
    expect(statSync(path.join(out, 'agent', 'password')).mode & 0o777).to.equal(0o444);
    for (const p of passwords) expect(stderr, 'no password in the set-up log').to.not.contain(p);
    expect(stderr).to.not.contain(ADMIN.password);
  });

  it('lets the agent write and nothing else, Grafana read and nothing else, and no component administer', async () => {
    expect(await write('agent', `probe,host=a value=1`)).to.equal(204);
    expect(await fails(as('agent').rows('SELECT * FROM probe'))).to.match(/not authorized/);
    expect(await write('grafana', `probe,host=g value=1`)).to.equal(403);
    expect(await as('grafana').rows('SELECT * FROM probe')).to.have.length(1);
    for (const role of ['collector', 'processor', 'alerter', 'agent', 'grafana'] as InfluxRole[]) {
      expect(await fails(as(role).query(`DROP DATABASE "${DB}"`)), role).to.match(/not authorized|requires admin/);
      expect(await fails(as(role).query(`CREATE USER "x${role}" WITH PASSWORD 'p' WITH ALL PRIVILEGES`)), role).to.match(/not authorized|requires admin/);
      expect(await fails(as(role).query('SHOW USERS')), role).to.match(/not authorized|requires admin/);
    }
  });

  it('runs the collector with its own user, managing nothing: its points arrive, none rejected', async () => {
    const d = docker();
    const host = `influxacl-${process.pid}`;
    const c = creds('collector');
    const cfg = testConfig(DB, {
      host,
      influx: { url: influx.url, bucket: DB, username: c.username, password: c.password, flushInterval: '200ms', retention: { manage: false } },
      'collector.interval': '1s',
      'queue.enabled': false,
    });
    let collector: RunningCollector | undefined;
    try {
      await runContainer(d, run, { name: `${run}-c`, cmd: ['sh', '-c', 'exec sleep 3600'] });
      collector = await startCollectorParts(cfg, log);
      await eventually(async () => (await as('grafana').rows(`SELECT * FROM docker_container_status WHERE engine_host = '${host}' LIMIT 1`)).length > 0, 30_000, 200);
      expect(collector.writer.counters.rejected).to.equal(0);
    } finally {
      await collector?.stop();
      await cleanup(d, run);
    }
  });

  it('keeps the passwords when run again', async () => {
    const before = creds('processor').password;
    const { stderr } = await setup();
    expect(stderr).to.match(/processor: kept/);
    expect(creds('processor').password).to.equal(before);
    expect(await write('agent', 'probe,host=a value=2')).to.equal(204);
  });

  it('plans 2.x tokens scoped to the buckets each component uses', () => {
    const g = bucketGrants(testConfig('b').influx);
    expect(g).to.deep.equal({
      collector: { read: ['b'], write: ['b'] },
      processor: { read: ['b', 'b/rollup'], write: ['b', 'b/rollup'] },
      alerter: { read: ['b'], write: ['b'] },
      agent: { read: [], write: ['b'] },
      grafana: { read: ['b', 'b/rollup'], write: [] },
    });
    expect(V1_PRIVILEGE.agent).to.equal('WRITE');
  });
});
