/**
 * The alerter in-process against real Redis, InfluxDB, a real SMTP peer and an
 * HTTP receiver on 127.0.0.1: channel bodies, SMTP outage, silences,
 * acknowledgements, the API. Alerts are published through the processor's
 * own publisher.
 */
import { expect } from 'chai';
import { QueueEvents } from 'bullmq';
import { services, testConfig, freshDatabase, uniqueRun, eventually } from '../helpers/services.js';
import { SmtpPeer, HttpSink, AlertFeed, until, type AlertInput } from '../helpers/alerter.js';
import { EventEmitter } from 'node:events';
import { createLogger } from '../../common/log.js';
import { createRedis, type RedisClient } from '../../common/queue/connection.js';
import { startAlerterParts, type RunningAlerter } from '../../alerter/service.js';
import { DELIVERY_QUEUE, FLUSH_QUEUE } from '../../alerter/queues.js';
import { alertsPrefix } from '../../common/queue/names.js';
import { groupOf } from '../../alerter/grouping.js';
import { alertLabels } from '../../common/queue/alerts.js';
import type { InfluxQL } from '../../common/influx/query.js';
import type { Config } from '../../common/config.js';

describe('alerter: channels, silences, acknowledgements, API', function () {
  this.timeout(180_000);
  const run = uniqueRun('alch');
  const db = `alch_${process.pid}`;
  const token = `tok-${run}-0123456789abcdef`;
  const smtp = new SmtpPeer();
  const sink = new HttpSink();
  let q: InfluxQL;
  let cfg: Config;
  let alerter: RunningAlerter;
  let redis: RedisClient;
  let feed: AlertFeed;
  let api: string;
  let flushes: QueueEvents;
  let deliveries: QueueEvents;
  const flushDone = new Map<string, string>();
  /** emits 'flush' and 'delivery' as jobs complete */
  const ticks = new EventEmitter();
  const deliveryDone = new Map<string, string>();

  const input = (container: string, over: Partial<AlertInput> = {}): AlertInput => ({
    status: 'firing', rule: 'died', severity: 'critical', host: 'test-host', container, containerId: `${container}-id`,
    summary: `${container} exited with code 3`, value: 3, labels: { team: 'web' }, startsAt: Date.now(), snapshotId: null, ...over,
  });
  const fire = (container: string, over: Partial<AlertInput> = {}) => feed.send(input(container, over));
  const call = (method: string, p: string, body?: unknown, auth = true) =>
    fetch(api + p, {
      method,
      headers: { ...(auth ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  before(async () => {
    services();
    q = await freshDatabase(db);
    await smtp.start();
    const url = await sink.start();
    cfg = testConfig(db, {
      'redis.prefix': `{${run}}`,
      'alerter.smtp': { host: '127.0.0.1', port: smtp.port, timeout: '5s' },
      'alerter.api': { port: 0, token },
      'alerter.grafana': { url: 'http://grafana.test:3000' },
      'alerter.delivery': { backoff: '300ms', attempts: 30, stalledAfter: '10s' },
      'alerter.receivers': [
        { name: 'mail', email: { to: ['oncall@example.test'] } },
        {
          name: 'hooks',
          webhook: { url: `${url}/hook`, headers: { 'x-token': 'hook-secret' } },
          sms: { url: `${url}/sms`, to: ['+15550001', '+15550002'], headers: { authorization: 'Basic c21zOnNlY3JldA==' } },
          push: { url: `${url}/push`, format: 'ntfy', topic: 'ops' },
        },
        { name: 'slack', webhook: { url: `${url}/slack`, format: 'slack' } },
      ],
      'alerter.route': {
        receiver: '',
        groupBy: ['container'],
        groupWait: '0s',
        groupInterval: '1s',
        repeatInterval: '1h',
        routes: [
          { matchers: ['container=~"mail-.*"'], receiver: 'mail' },
          { matchers: ['container=~"ack-.*"'], receiver: 'mail', repeatInterval: '2s' },
          { matchers: ['container=~"hook-.*"'], receiver: 'hooks', continue: true },
          { matchers: ['container=~"hook-.*"'], receiver: 'slack' },
        ],
      },
    });
    alerter = await startAlerterParts(cfg, createLogger('alerter', process.env.SHIPWATCH_TEST_LOG ?? 'silent'));
    api = `http://127.0.0.1:${alerter.apiPort}`;
    redis = createRedis(cfg.redis);
    feed = new AlertFeed(redis, cfg);
    const prefix = alertsPrefix(cfg.redis.prefix);
    flushes = new QueueEvents(FLUSH_QUEUE, { connection: createRedis(cfg.redis), prefix });
    flushes.on('completed', ({ jobId, returnvalue }) => {
      flushDone.set(jobId, String(returnvalue));
      ticks.emit('flush');
    });
    deliveries = new QueueEvents(DELIVERY_QUEUE, { connection: createRedis(cfg.redis), prefix });
    deliveries.on('completed', ({ jobId, returnvalue }) => {
      deliveryDone.set(jobId, String(returnvalue));
      ticks.emit('delivery');
    });
    await Promise.all([flushes.waitUntilReady(), deliveries.waitUntilReady()]);
  });

  after(async () => {
    await flushes?.close();
    await deliveries?.close();
    await feed?.close();
    await alerter?.stop();
    await redis?.quit();
    await smtp.stop();
    await sink.stop();
  });

  /** Flush jobs of the group of a container that completed with the scheduled time after `since`. */
  const groupFlushes = (container: string, since: number) => {
    const route = alerter.ctx.router.match(alertLabels({ labels: {}, rule: 'died', severity: 'critical', host: 'test-host', container }));
    const gid = groupOf(route[0], alertLabels({ labels: {}, rule: 'died', severity: 'critical', host: 'test-host', container })).id;
    return [...flushDone.entries()].filter(([id]) => id.startsWith(`f-${gid}-`) && Number(id.split('-').at(-1)) > since);
  };

  it('sends the documented webhook body, a Slack body, one SMS per number within 160 characters, and a push', async () => {
    const container = `hook-${run}`;
    const startsAt = Date.now();
    await fire(container, { startsAt });
    await sink.waitFor('/hook', 1);
    await sink.waitFor('/slack', 1);
    await sink.waitFor('/sms', 2);
    await sink.waitFor('/push', 1);
    const hook = sink.at('/hook')[0];
    expect(hook.headers['x-token']).to.equal('hook-secret');
    expect(hook.headers['idempotency-key']).to.match(/^n-[0-9a-f]+-\d+\.hooks\.webhook$/);
    const b = hook.body as Record<string, any>;
    expect(b).to.include({ version: '1', kind: 'alert', status: 'firing', reason: 'new', receiver: 'hooks', idempotencyKey: hook.headers['idempotency-key'] });
    expect(b.groupLabels).to.deep.equal({ container });
    expect(b.alerts).to.have.length(1);
    expect(b.alerts[0]).to.include({ key: `died|test-host|${container}`, status: 'firing', rule: 'died', severity: 'critical', host: 'test-host', container, value: 3, endsAt: null, acknowledged: false });
    expect(b.alerts[0].dashboardUrl).to.match(/^http:\/\/grafana\.test:3000\/d\/shipwatch-container\?var-host=test-host&var-container=hook-/);
    expect(new Date(b.alerts[0].startsAt).toISOString()).to.equal(b.alerts[0].startsAt);

    const slack = sink.at('/slack')[0].body as Record<string, any>;
    expect(slack.text).to.equal(`[FIRING:1] died ${container} on test-host`);
    expect(slack.attachments[0]).to.include({ color: '#c0392b', text: `${container} exited with code 3` });

    const sms = sink.at('/sms').map((r) => r.body as { to: string; text: string });
    expect(sms.map((s) => s.to).sort()).to.deep.equal(['+15550001', '+15550002']);
    for (const s of sms) {
      expect(s.text.length).to.be.at.most(160);
      expect(s.text).to.equal(`FIRING critical died ${container}@test-host: ${container} exited with code 3`);
    }
    expect(sink.at('/sms')[0].headers.authorization).to.equal('Basic c21zOnNlY3JldA==');

    const push = sink.at('/push')[0].body as Record<string, any>;
    expect(push).to.include({ topic: 'ops', priority: 5, title: `[FIRING:1] died ${container} on test-host` });

    // Every attempt is recorded in InfluxDB.
    const rows = await eventually(async () => {
      const r = await q.rows(`SELECT * FROM "shipwatch_notification" WHERE "container_name" = '${container}'`);
      return r.length >= 4 && r;
    });
    expect(rows.map((r) => r.channel).sort()).to.deep.equal(['push', 'sms', 'webhook', 'webhook']);
    expect(rows.every((r) => r.outcome === 'sent')).to.equal(true);

    // The resolve reaches the same receivers.
    await fire(container, { startsAt, status: 'resolved', endsAt: Date.now() });
    await sink.waitFor('/hook', 2);
    const resolved = sink.at('/hook')[1].body as Record<string, any>;
    expect(resolved).to.include({ status: 'resolved', reason: 'resolved' });
    expect(resolved.alerts[0].status).to.equal('resolved');
    expect(resolved.alerts[0].endsAt).to.be.a('string');
  });

  it('one failing channel retries on its own and holds up no other', async () => {
    const container = `hook-failing-${run}`;
    const mine = (p: string) => sink.at(p).filter((r) => JSON.stringify(r.body).includes(container));
    sink.failing.add('/slack');
    await fire(container);
    // The other channels deliver while the Slack webhook keeps failing.
    await until(sink, 'request', () => mine('/hook').length >= 1 && mine('/sms').length >= 2 && mine('/push').length >= 1 && mine('/slack').length >= 2, 30_000, 'other channels delivered, slack retried');
    expect(mine('/slack').every((r) => r.status === 503)).to.equal(true);
    sink.failing.delete('/slack');
    await until(sink, 'request', () => mine('/slack').some((r) => r.status === 200), 30_000, 'slack delivered');
    const jobId = `d-${String(mine('/slack').find((r) => r.status === 200)!.headers['idempotency-key'])}`;
    await until(ticks, 'delivery', () => deliveryDone.has(jobId), 30_000, 'slack job completed');
    expect(mine('/slack').filter((r) => r.status === 200)).to.have.length(1);
    expect(mine('/hook')).to.have.length(1);
    const failed = await q.rows(`SELECT * FROM "shipwatch_notification" WHERE "container_name" = '${container}' AND "outcome" = 'failed'`);
    expect(failed.length).to.be.at.least(2);
    expect(failed.every((r) => r.receiver === 'slack' && String(r.error).includes('503'))).to.equal(true);
  });

  it('a publish repeated by a re-run processor job notifies once', async () => {
    const container = `mail-dup-${run}`;
    const startsAt = Date.now();
    const before = smtp.mails.length;
    const m = feed.message(input(container, { startsAt }));
    await feed.raw(m, `once-${run}`);
    // The same transition again, as a re-run that escaped the processor's job-ID guard would send it.
    await feed.raw(m, `again-${run}`);
    await smtp.waitFor(before + 1);
    const since = Date.now();
    await until(ticks, 'flush', () => groupFlushes(container, since).length >= 2, 30_000, 'two more flushes');
    expect(smtp.mails.filter((m) => m.parsed.subject?.includes(container))).to.have.length(1);
  });

  it('delivers an email once after the SMTP peer was down for a while', async () => {
    const container = `mail-outage-${run}`;
    await smtp.stop();
    const before = smtp.mails.length;
    await fire(container);
    // Wait until at least two attempts failed and were recorded.
    await eventually(async () => {
      const r = await q.rows(`SELECT * FROM "shipwatch_notification" WHERE "container_name" = '${container}' AND "outcome" = 'failed'`);
      return r.length >= 2;
    }, 60_000, 200);
    await smtp.start();
    await smtp.waitFor(before + 1);
    const jobDone = () => [...deliveryDone.keys()].some((id) => id.includes('.mail.email') && smtp.mails.at(-1)!.parsed.messageId!.includes(id.slice(2)));
    await until(ticks, 'delivery', jobDone, 30_000, 'delivery job completed');
    const since = Date.now();
    await until(ticks, 'flush', () => groupFlushes(container, since).length >= 2, 30_000, 'two more flushes');
    const mine = smtp.mails.filter((m) => m.parsed.subject?.includes(container));
    expect(mine).to.have.length(1);
    expect(mine[0].parsed.text).to.contain(`${container} exited with code 3`);
    expect(mine[0].parsed.html).to.contain('Container dashboard');
  });

  it('a silence stops notifications until it is deleted; its creation, the hold and its deletion (who, matchers, why) are in InfluxDB', async () => {
    const silenced = `mail-silenced-${run}`;
    const bad = await call('POST', '/api/silences', { matchers: ['container=~"('], createdBy: 'ann' });
    expect(bad.status).to.equal(400);
    const issues = ((await bad.json()) as { issues: Array<{ path: string; message: string }> }).issues;
    expect(issues.map((i) => i.path)).to.include.members(['matchers.0', 'comment']);

    const res = await call('POST', '/api/silences', { matchers: [`container="${silenced}"`], duration: '1h', createdBy: 'ann', comment: 'maintenance' });
    expect(res.status).to.equal(201);
    const silence = (await res.json()) as { id: string; state: string; matchers: string[] };
    expect(silence.state).to.equal('active');
    expect(silence.matchers).to.deep.equal([`container="${silenced}"`]);
    const listed = (await (await call('GET', '/api/silences')).json()) as { silences: Array<{ id: string }> };
    expect(listed.silences.map((s) => s.id)).to.include(silence.id);

    const before = smtp.mails.length;
    const since = Date.now();
    await fire(silenced);
    await until(ticks, 'flush', () => groupFlushes(silenced, since - 1).length >= 3, 30_000, 'three flushes');
    expect(smtp.mails.length).to.equal(before);
    const alert = (await (await call('GET', `/api/alerts/${encodeURIComponent(`died|test-host|${silenced}`)}`)).json()) as { silencedBy: string[] };
    expect(alert.silencedBy).to.deep.equal([silence.id]);

    expect((await call('DELETE', `/api/silences/${silence.id}`)).status).to.equal(400);
    expect((await call('DELETE', `/api/silences/${silence.id}?by=bob&comment=${encodeURIComponent('done early')}`)).status).to.equal(204);
    await smtp.waitFor(before + 1);
    expect(smtp.mails.at(-1)!.parsed.subject).to.contain(silenced);

    const history = await eventually(async () => {
      const r = await q.rows(`SELECT * FROM "shipwatch_silence" WHERE "silence_id" = '${silence.id}'`);
      return r.length === 2 && r;
    }, 10_000);
    expect(history.map((r) => [r.event, r.by, r.comment, r.matchers])).to.deep.equal([
      ['created', 'ann', 'maintenance', `container="${silenced}"`],
      ['deleted', 'bob', 'done early', `container="${silenced}"`],
    ]);
    const held = await eventually(async () => {
      const r = await q.rows(`SELECT * FROM "shipwatch_alert_handling" WHERE "container_name" = '${silenced}'`);
      return r.length > 0 && r;
    }, 10_000);
    // Three flushes held it back; recorded once.
    expect(held).to.have.length(1);
    expect(held[0]).to.include({ event: 'silenced', silence_ids: silence.id, held: 'notification', alert_key: `died|test-host|${silenced}`, rule: 'died' });
  });

  it('records a silence that expired, at its end', async () => {
    const endsAt = Date.now() + 300;
    const res = await call('POST', '/api/silences', { matchers: ['container="nobody"'], endsAt, createdBy: 'cy', comment: 'short' });
    expect(res.status).to.equal(201);
    const { id } = (await res.json()) as { id: string };
    const rows = await eventually(async () => {
      const r = await q.rows(`SELECT * FROM "shipwatch_silence" WHERE "silence_id" = '${id}' AND "event" = 'expired'`);
      return r.length > 0 && r;
    }, 40_000, 500);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ time: endsAt, by: 'cy', comment: 'short', ends_at: endsAt });
  });

  it('repeats a firing group at repeatInterval until it is acknowledged', async () => {
    const container = `ack-${run}`;
    const key = `died|test-host|${container}`;
    const mine = () => smtp.mails.filter((m) => m.parsed.subject?.includes(container));
    await fire(container);
    await until(smtp, 'mail', () => mine().length >= 2, 30_000, 'a repeat');
    expect(mine()[1].parsed.subject).to.match(/\(repeat\)$/);

    expect((await call('POST', `/api/alerts/${encodeURIComponent(key)}/ack`, { by: 'ann' }, false)).status).to.equal(401);
    expect((await call('POST', `/api/alerts/${encodeURIComponent(key)}/ack`, { comment: 5 })).status).to.equal(400);
    const acked = await call('POST', `/api/alerts/${encodeURIComponent(key)}/ack`, { by: 'ann', comment: 'on it' });
    expect(acked.status).to.equal(200);
    expect(((await acked.json()) as { acknowledged: boolean }).acknowledged).to.equal(true);
    const ackRows = await eventually(async () => {
      const r = await q.rows(`SELECT * FROM "shipwatch_alert_handling" WHERE "alert_key" = '${key}' AND "event" = 'acknowledged'`);
      return r.length > 0 && r;
    }, 10_000);
    expect(ackRows[0]).to.include({ by: 'ann', comment: 'on it', container_name: container, engine_host: 'test-host' });
    expect(ackRows[0].time_to_ack_s).to.equal((Number(ackRows[0].time) - Number(ackRows[0].starts_at)) / 1000);
    const since = Date.now();
    // Well past two repeat intervals of flushes: no notification scheduled after the acknowledgement.
    await until(ticks, 'flush', () => groupFlushes(container, since + 4500).length >= 1, 30_000, 'flushes past two repeat intervals');
    const flushTime = (m: (typeof smtp.mails)[number]) => Number(String(m.parsed.headers.get('x-shipwatch-notification')).split('-').at(-1));
    expect(mine().filter((m) => flushTime(m) > since)).to.deep.equal([]);
    expect(mine().every((m) => flushTime(m) > 0)).to.equal(true);

    // Withdrawn: who and why are recorded, and the alert is unacknowledged again.
    expect((await call('DELETE', `/api/alerts/${encodeURIComponent(key)}/ack`)).status).to.equal(400);
    const un = await call('DELETE', `/api/alerts/${encodeURIComponent(key)}/ack?by=bob&comment=${encodeURIComponent('not fixed')}`);
    expect(un.status).to.equal(200);
    expect(((await un.json()) as { acknowledged: boolean }).acknowledged).to.equal(false);
    expect((await call('DELETE', `/api/alerts/${encodeURIComponent(key)}/ack?by=bob`)).status).to.equal(409);
    const unRows = await eventually(async () => {
      const r = await q.rows(`SELECT * FROM "shipwatch_alert_handling" WHERE "alert_key" = '${key}' AND "event" = 'unacknowledged'`);
      return r.length > 0 && r;
    }, 10_000);
    expect(unRows[0]).to.include({ by: 'bob', comment: 'not fixed' });
  });

  it('serves health without a token, everything else with one, and Prometheus metrics', async () => {
    expect((await call('GET', '/healthz', undefined, false)).status).to.equal(200);
    const ready = await call('GET', '/readyz', undefined, false);
    expect(ready.status).to.equal(200);
    expect((await call('GET', '/api/alerts', undefined, false)).status).to.equal(401);
    expect((await fetch(api + '/api/alerts', { headers: { authorization: 'Bearer wrong' } })).status).to.equal(401);
    const alerts = (await (await call('GET', '/api/alerts?status=firing')).json()) as { alerts: Array<{ key: string; status: string }> };
    expect(alerts.alerts.length).to.be.greaterThan(0);
    expect(alerts.alerts.every((a) => a.status === 'firing')).to.equal(true);
    expect((await call('GET', '/api/snapshots/123-0000abcd')).status).to.equal(404);
    expect((await call('GET', '/api/recovery-runs?limit=0')).status).to.equal(400);
    const metrics = await (await call('GET', '/metrics')).text();
    expect(metrics).to.match(/shipwatch_alerter_deliveries_total\{receiver="mail",channel="email",outcome="sent"\} \d+/);
    expect(metrics).to.match(/shipwatch_alerter_deliveries_total\{receiver="mail",channel="email",outcome="failed"\} \d+/);
    expect(metrics).to.match(/shipwatch_alerter_queue_jobs\{queue="alerter-delivery",state="waiting"\} \d+/);
    expect(metrics).to.not.contain(token);
  });
});
