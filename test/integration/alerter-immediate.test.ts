/**
 * The alerter's default grouping against real Redis and a real SMTP peer: the
 * first alert of a quiet group is emailed at once, the alerts that follow it
 * within groupWait arrive together in one email, and a resolve waits for the
 * group's groupInterval tick.
 */
import { expect } from 'chai';
import { services, testConfig, freshDatabase, uniqueRun } from '../helpers/services.js';
import { SmtpPeer, AlertFeed, type AlertInput } from '../helpers/alerter.js';
import { createLogger } from '../../common/log.js';
import { createRedis, type RedisClient } from '../../common/queue/connection.js';
import { startAlerterParts, type RunningAlerter } from '../../alerter/service.js';

describe('alerter: first alert at once, the rest batched', function () {
  this.timeout(120_000);
  const run = uniqueRun('alimm');
  const db = `alimm_${process.pid}`;
  const smtp = new SmtpPeer();
  let alerter: RunningAlerter;
  let redis: RedisClient;
  let feed: AlertFeed;
  let aStarted = 0;

  const input = (container: string, over: Partial<AlertInput> = {}): AlertInput => ({
    status: 'firing', rule: 'died', severity: 'critical', host: `h-${run}`, container, containerId: `${container}-id`,
    summary: `${container} exited with code 139`, value: 139, labels: {}, startsAt: Date.now(), snapshotId: null, ...over,
  });

  before(async () => {
    services();
    await freshDatabase(db);
    await smtp.start();
    const cfg = testConfig(db, {
      'redis.prefix': `{${run}}`,
      'alerter.api.enabled': false,
      'alerter.smtp': { host: '127.0.0.1', port: smtp.port, timeout: '5s' },
      'alerter.delivery': { backoff: '300ms' },
      'alerter.receivers': [{ name: 'mail', email: { to: ['oncall@example.test'] } }],
      // Defaults but shorter: groupBy [rule, host], immediate.
      'alerter.route': { receiver: 'mail', groupWait: '4s', groupInterval: '8s' },
    });
    alerter = await startAlerterParts(cfg, createLogger('alerter', process.env.SHIPWATCH_TEST_LOG ?? 'silent'));
    redis = createRedis(cfg.redis);
    feed = new AlertFeed(redis, cfg);
  });

  after(async () => {
    await feed?.close();
    await alerter?.stop();
    await redis?.quit();
    await smtp.stop();
  });

  it('emails the first crash at once and the two that follow it together, groupWait later', async () => {
    const t0 = Date.now();
    aStarted = t0;
    await feed.send(input('a', { startsAt: aStarted }));
    await smtp.waitFor(1);
    const first = smtp.mails[0];
    // At once, not after groupWait (4 s): the margin is for a busy machine.
    expect(first.at - t0).to.be.lessThan(3000);
    expect(first.parsed.subject).to.match(/^\[FIRING:1\] died a on /);
    await feed.send(input('b'));
    await feed.send(input('c'));
    await smtp.waitFor(2);
    const second = smtp.mails[1];
    expect(second.parsed.subject).to.match(/^\[FIRING:3\] died/);
    expect(second.parsed.text).to.contain('died: b on').and.to.contain('died: c on');
    expect(second.at - first.at).to.be.at.least(3500);
    expect(smtp.mails).to.have.length(2);
  });

  it('sends the resolve at the group interval tick, and a new crash later at once again', async () => {
    const before = smtp.mails.length;
    // The resolve of the life that fired (same startsAt).
    await feed.send(input('a', { status: 'resolved', startsAt: aStarted, endsAt: Date.now() }));
    await smtp.waitFor(before + 1);
    expect(smtp.mails[before].parsed.text).to.contain('RESOLVED critical died: a on');
    const t1 = Date.now();
    await feed.send(input('d'));
    await smtp.waitFor(before + 2);
    expect(smtp.mails[before + 1].at - t1).to.be.lessThan(3000);
  });
});
