/**
 * At-least-once delivery without duplicates: the real alerter entry point is
 * SIGKILLed right after the SMTP peer accepted an email and before the
 * delivery job completed (test hook SHIPWATCH_ALERTER_TEST_PAUSE_AFTER_SEND);
 * the alerter started again takes the job up and must not send it again.
 */
import { expect } from 'chai';
import { services, testConfig, freshDatabase, uniqueRun, eventually } from '../helpers/services.js';
import { SmtpPeer, AlertFeed, AlerterChild } from '../helpers/alerter.js';
import { nestedConfig } from '../helpers/processor.js';
import { createRedis, type RedisClient } from '../../common/queue/connection.js';
import { PAUSE_AFTER_SEND_ENV } from '../../alerter/delivery.js';
import type { InfluxQL } from '../../common/influx/query.js';

describe('alerter: killed mid-delivery', function () {
  this.timeout(180_000);
  const run = uniqueRun('alkill');
  const db = `alkill_${process.pid}`;
  const smtp = new SmtpPeer();
  const children: AlerterChild[] = [];
  let redis: RedisClient;
  let feed: AlertFeed;
  let q: InfluxQL;

  after(async () => {
    for (const c of children) await c.kill();
    await feed?.close();
    await redis?.quit();
    await smtp.stop();
  });

  it('sends the email once although the alerter died between sending and completing the job', async () => {
    const e = services();
    q = await freshDatabase(db);
    await smtp.start();
    const config = nestedConfig({}, {
      'influx.url': e.influxUrl,
      'influx.bucket': db,
      'influx.flushInterval': '200ms',
      'redis.url': e.redisUrl,
      'redis.prefix': `{${run}}`,
      'alerter.api.enabled': false,
      'alerter.smtp': { host: '127.0.0.1', port: smtp.port, timeout: '5s' },
      // The restarted alerter takes the orphaned job up after this.
      'alerter.delivery': { stalledAfter: '3s', backoff: '200ms' },
      'alerter.receivers': [{ name: 'mail', email: { to: ['oncall@example.test'] } }],
      'alerter.route': { receiver: 'mail', groupWait: '0s', groupInterval: '1s' },
    });
    const cfg = testConfig(db, { 'redis.prefix': `{${run}}` });
    redis = createRedis(cfg.redis);
    feed = new AlertFeed(redis, cfg);

    const first = new AlerterChild(config, { [PAUSE_AFTER_SEND_ENV]: '1' });
    children.push(first);
    await first.ready();
    await feed.send({
      status: 'firing', rule: 'died', severity: 'critical', host: 'kill-host', container: `web-${run}`, containerId: 'x',
      summary: 'exited with code 1', value: 1, labels: {}, startsAt: Date.now(), snapshotId: null,
    });
    await first.waitForLog('paused after send');
    await smtp.waitFor(1);
    await first.kill('SIGKILL');

    const second = new AlerterChild(config);
    children.push(second);
    await second.ready();
    // The orphaned job is taken up, found sent, and completed without sending.
    await eventually(async () => {
      const r = await q.rows(`SELECT * FROM "shipwatch_notification" WHERE "outcome" = 'duplicate'`);
      return r.length >= 1;
    }, 90_000, 200);
    expect(smtp.mails).to.have.length(1);
    expect(smtp.mails[0].parsed.subject).to.contain(`web-${run}`);
    expect(smtp.mails[0].parsed.messageId).to.match(/^<n-[0-9a-f]+-\d+\.mail\.email@shipwatch>$/);
    await second.kill('SIGTERM');
  });

  it('keeps a group timer across a restart: the email due after groupWait still arrives, once', async () => {
    const e = services();
    const prefix = `{${run}-t}`;
    const before = smtp.mails.length;
    const config = nestedConfig({}, {
      'influx.url': e.influxUrl,
      'influx.bucket': db,
      'redis.url': e.redisUrl,
      'redis.prefix': prefix,
      'alerter.api.enabled': false,
      'alerter.smtp': { host: '127.0.0.1', port: smtp.port, timeout: '5s' },
      'alerter.delivery': { backoff: '200ms' },
      'alerter.receivers': [{ name: 'mail', email: { to: ['oncall@example.test'] } }],
      // Alertmanager timing: the first notification waits groupWait.
      'alerter.route': { receiver: 'mail', groupWait: '4s', immediate: false, groupInterval: '1s' },
    });
    const cfg = testConfig(db, { 'redis.prefix': prefix });
    const feed2 = new AlertFeed(redis, cfg);
    const first = new AlerterChild(config);
    children.push(first);
    await first.ready();
    const t0 = Date.now();
    await feed2.send({
      status: 'firing', rule: 'died', severity: 'critical', host: 'kill-host', container: `timer-${run}`, containerId: 'x',
      summary: 'exited with code 1', value: 1, labels: {}, startsAt: t0, snapshotId: null,
    });
    await first.waitForLog('"msg":"alert"');
    await first.kill('SIGKILL');
    expect(smtp.mails.length).to.equal(before);
    const second = new AlerterChild(config);
    children.push(second);
    await second.ready();
    await smtp.waitFor(before + 1);
    const mail = smtp.mails[before];
    expect(mail.parsed.subject).to.contain(`timer-${run}`);
    expect(mail.at - t0).to.be.at.least(3900); // not before its groupWait
    await second.waitForLog('delivered');
    await feed2.close();
    await second.kill('SIGTERM');
    expect(smtp.mails.length).to.equal(before + 1);
  });
});
