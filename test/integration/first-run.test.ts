/**
 * A first run as the shipped configuration makes it: no receiver. The alerter
 * says so at start, /readyz reports it, every firing alert logs that it
 * reached no one and is counted in InfluxDB (the Overview dashboard's panel).
 * The start-up output is a readable summary; the whole configuration, secrets
 * redacted, only at debug level.
 */
import { expect } from 'chai';
import { services, freshDatabase, uniqueRun, eventually } from '../helpers/services.js';
import { AlerterChild, AlertFeed, type AlertInput } from '../helpers/alerter.js';
import { parseConfig } from '../../common/config.js';
import { createRedis, type RedisClient } from '../../common/queue/connection.js';
import { ident, literal, type InfluxQL } from '../../common/influx/query.js';
import { ALERTER_MEASUREMENT as AM, UNROUTED_FIELDS as UF, TAG } from '../../common/schema.js';

interface LogRecord {
  level: number;
  msg: string;
  [k: string]: unknown;
}

const records = (a: AlerterChild): LogRecord[] => a.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogRecord);

const apiOf = (a: AlerterChild) => {
  const ready = records(a).find((r) => r.msg.startsWith('alerter ready:'))!;
  return `http://${(ready.summary as { api: { address: string } }).api.address}`;
};

describe('first run: no receiver configured', function () {
  this.timeout(120_000);
  const run = uniqueRun('first');
  const db = `first_${process.pid}`;
  const host = `first-${run}`;
  let q: InfluxQL;
  let redis: RedisClient;
  let feed: AlertFeed;
  let alerter: AlerterChild;

  const base = () => {
    const e = services();
    return {
      influx: { url: e.influxUrl, bucket: db, flushInterval: '200ms' },
      redis: { url: e.redisUrl, prefix: `{${run}}` },
    };
  };
  const alert = (container: string, over: Partial<AlertInput> = {}): AlertInput => ({
    status: 'firing', rule: 'died', severity: 'critical', host, container, containerId: `id-${container}`,
    summary: `${container} exited with code 3`, value: 3, labels: {}, startsAt: Date.now(), snapshotId: null, ...over,
  });

  before(async () => {
    q = await freshDatabase(db);
    redis = createRedis({ url: services().redisUrl, nodes: [], prefix: `{${run}}` }, { maxRetriesPerRequest: 3 });
    feed = new AlertFeed(redis, parseConfig({ redis: { url: services().redisUrl, prefix: `{${run}}` }, queue: { shards: 1, attempts: 3, backoff: 1000, keepFailed: 100 } }));
    alerter = new AlerterChild({ ...base(), alerter: { api: { port: 0, token: 'first-run-token-0123456789' } } });
    await alerter.ready();
  });
  after(async () => {
    await alerter?.kill('SIGTERM');
    await feed?.close();
    await redis?.quit();
  });

  it('starts with one readable summary and a warning that alerts reach no one', async () => {
    await alerter.waitForLog('firing alerts reach no one');
    const all = records(alerter);
    const ready = all.filter((r) => r.msg.startsWith('alerter ready:'));
    expect(ready).to.have.length(1);
    expect(ready[0].msg).to.contain('receivers: NONE');
    expect(ready[0].msg).to.contain('token set');
    expect(all.some((r) => r.level === 40 && r.msg === 'no receiver configured (alerter.receivers): firing alerts reach no one')).to.equal(true);
    expect(all.some((r) => r.msg === 'configuration'), 'the configuration only at debug level').to.equal(false);
  });

  it('/readyz reports it', async () => {
    const res = await fetch(`${apiOf(alerter)}/readyz`);
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { status: string; warnings: string[] };
    expect(body.status).to.equal('ready');
    expect(body.warnings).to.include('no receiver configured (alerter.receivers): firing alerts reach no one');
  });

  it('every firing alert logs that it reached no one and is counted in InfluxDB; a resolve is not', async () => {
    const warned = () => records(alerter).filter((r) => r.level === 40 && String(r.msg).startsWith('alert reached no one'));
    const t0 = Date.now() - 60_000;
    await feed.send(alert('web', { startsAt: t0 }));
    await feed.send(alert('db', { startsAt: t0 + 1000 }));
    await eventually(async () => warned().length >= 2, 30_000);
    expect(warned()[0].msg).to.equal('alert reached no one: no receiver configured (alerter.receivers)');
    expect(warned().map((r) => r.container).sort()).to.deep.equal(['db', 'web']);

    await feed.send(alert('web', { status: 'resolved', startsAt: t0, endsAt: t0 + 5000 }));
    await alerter.waitForLog('"status":"resolved"');
    expect(warned(), 'a resolve reached no one either, but nobody waits for it').to.have.length(2);

    const rows = await eventually(async () => {
      const r = await q.rows(`SELECT ${ident(UF.alertKey)}, ${ident(TAG.containerName)} FROM ${ident(AM.unrouted)} WHERE ${ident(TAG.engineHost)} = ${literal(host)}`);
      return r.length >= 2 && r;
    }, 30_000, 200);
    expect(rows.map((r) => r[UF.alertKey]).sort()).to.deep.equal([`died|${host}|db`, `died|${host}|web`]);

    const metrics = await (await fetch(`${apiOf(alerter)}/metrics`, { headers: { authorization: 'Bearer first-run-token-0123456789' } })).text();
    expect(metrics).to.match(/^shipwatch_alerter_unrouted_alerts_total 2$/m);
  });
});

describe('start-up output: the configuration only at debug level, secrets redacted', function () {
  this.timeout(120_000);
  const run = uniqueRun('debugcfg');
  const secrets = ['api-token-s3cr3t-0123456789', 'smtp-pass-s3cr3t', 'header-s3cr3t'];
  let alerter: AlerterChild | undefined;

  after(async () => {
    await alerter?.kill('SIGTERM');
  });

  it('logs the redacted configuration at debug level and no secret anywhere', async () => {
    const e = services();
    alerter = new AlerterChild({
      influx: { url: e.influxUrl, bucket: `debugcfg_${process.pid}` },
      redis: { url: e.redisUrl, prefix: `{${run}}` },
      alerter: {
        api: { port: 0, token: secrets[0] },
        smtp: { password: secrets[1] },
        receivers: [{ name: 'hook', webhook: { url: 'http://127.0.0.1:9/hook', headers: { Authorization: `Bearer ${secrets[2]}` } } }],
        route: { receiver: 'hook' },
      },
    }, { SHIPWATCH_LOG_LEVEL: 'debug' });
    await alerter.ready();
    const cfg = records(alerter).find((r) => r.msg === 'configuration');
    expect(cfg, 'configuration record').to.not.equal(undefined);
    const a = (cfg!.config as { alerter: { api: { token: string }; smtp: { password: string }; receivers: Array<{ webhook: { headers: Record<string, string> } }> } }).alerter;
    expect(a.api.token).to.equal('[redacted]');
    expect(a.smtp.password).to.equal('[redacted]');
    expect(a.receivers[0].webhook.headers.Authorization).to.equal('[redacted]');
    for (const s of secrets) expect(alerter.stderr, s).to.not.contain(s);
    expect(records(alerter).some((r) => r.level === 40 && String(r.msg).includes('no receiver')), 'a receiver is configured').to.equal(false);
  });
});
