/**
 * Restart-storm limits of the recovery dispatcher against real Redis: at most
 * maxAttempts actions per container within the window, then escalation; one
 * action per alert state however often it is handed over; nothing for a
 * silenced alert.
 */
import { expect } from 'chai';
import { Queue } from 'bullmq';
import { services, testConfig, uniqueRun } from '../helpers/services.js';
import { createLogger } from '../../common/log.js';
import { createRedis, type RedisClient } from '../../common/queue/connection.js';
import { parseMatcher } from '../../common/matchers.js';
import { createStores } from '../../alerter/store/index.js';
import { Router } from '../../alerter/routing.js';
import { AlerterMetrics } from '../../alerter/metrics.js';
import { ActionDispatcher } from '../../alerter/dispatcher.js';
import { alertLabels } from '../../common/queue/alerts.js';
import { ActionJobSchema, verifyAction } from '../../common/queue/actions.js';
import { DELIVERY_QUEUE, FLUSH_QUEUE, type DeliveryJob } from '../../alerter/queues.js';
import { alertsPrefix } from '../../common/queue/names.js';
import type { AlerterContext } from '../../alerter/context.js';
import type { AlertRecord } from '../../alerter/record.js';
import { SnapshotLinks } from '../../alerter/links.js';
import { HandlingHistory } from '../../alerter/history.js';
import { LabelProblemLog } from '../../alerter/label-problems.js';
import type { LineSink } from '../../common/influx/sink.js';

describe('alerter: recovery limits', function () {
  this.timeout(60_000);
  const run = uniqueRun('allim');
  let redis: RedisClient;
  let ctx: AlerterContext;
  let dispatcher: ActionDispatcher;
  const queues: Queue[] = [];
  const written: string[] = [];
  const writer: LineSink = { write: (l) => void written.push(...l), flush: async () => true };

  before(async () => {
    services();
    const cfg = testConfig('unused', {
      'redis.prefix': `{${run}}`,
      'alerter.receivers': [{ name: 'ops', webhook: { url: 'http://127.0.0.1:9/' } }, { name: 'pager', webhook: { url: 'http://127.0.0.1:9/' } }],
      'alerter.route': { receiver: 'ops' },
      'alerter.actions': { cooldown: '0s', maxAttempts: 2, attemptWindow: '1h', escalateTo: 'pager', rules: [{ name: 'restart', matchers: ['rule="died"'], docker: 'restart' }] },
    });
    redis = createRedis(cfg.redis);
    const prefix = alertsPrefix(cfg.redis.prefix);
    const flushQueue = new Queue(FLUSH_QUEUE, { connection: redis, prefix });
    const deliveryQueue = new Queue<DeliveryJob>(DELIVERY_QUEUE, { connection: redis, prefix });
    queues.push(flushQueue, deliveryQueue);
    const stores = createStores(redis, cfg.redis.prefix);
    ctx = {
      cfg: cfg.alerter, stores, router: new Router(cfg.alerter.route),
      receivers: new Map(cfg.alerter.receivers.map((r) => [r.name, r])), flushQueue, deliveryQueue,
      writer, metrics: new AlerterMetrics(async () => ({})), links: new SnapshotLinks('', '', 0), history: new HandlingHistory(writer, stores.claims), labelProblems: new LabelProblemLog(writer, createLogger('t', 'silent')),
      log: createLogger('t', 'silent'), now: Date.now,
    };
    dispatcher = new ActionDispatcher(ctx, redis, cfg.redis.prefix);
  });

  after(async () => {
    await dispatcher.close();
    for (const q of queues) await q.close();
    await redis.quit();
  });

  const record = (container: string, startsAt: number): AlertRecord => ({
    msg: {
      v: 1, key: `died|h|${container}`, status: 'firing', rule: 'died', severity: 'warning', host: 'h', container, containerId: 'id',
      summary: 'died', value: 1, labels: {}, startsAt, endsAt: null, snapshotId: null,
    },
    receivedAt: startsAt,
    ack: null,
  });
  const fire = async (r: AlertRecord) => {
    await ctx.stores.alerts.put(r);
    const labels = alertLabels(r.msg);
    await dispatcher.onFiring(r, labels, ctx.router.match(labels));
  };

  it('runs at most maxAttempts actions per container, then escalates instead', async () => {
    const q = dispatcher.queueFor('h');
    for (let i = 1; i <= 4; i++) await fire(record('storm', 1000 * i));
    await fire(record('storm', 1000)); // the first state again: nothing new
    expect(await q.getJobCountByTypes('waiting', 'delayed', 'active')).to.equal(2);
    const esc = (await ctx.deliveryQueue.getJobs(['waiting'])).map((j) => j.data.n);
    expect(esc).to.have.length(2);
    for (const n of esc) {
      expect(n).to.include({ kind: 'recovery', reason: 'escalated', receiver: 'pager' });
      expect(n.recovery).to.include({ outcome: 'refused', recovered: false });
      expect(n.alerts[0].severity).to.equal('critical');
    }
  });

  it('counts attempts with the counter and its expiry set together, and repairs a counter left without one', async () => {
    const key = `${alertsPrefix(`{${run}}`)}:alerter:tries:h|atomic`;
    expect(await ctx.stores.recovery.countAttempt('h|atomic', 60_000)).to.equal(1);
    expect(await redis.pttl(key)).to.be.within(1, 60_000);
    // As a crash between INCR and PEXPIRE used to leave it: counting forever, refusing recovery for good.
    await redis.persist(key);
    expect(await redis.pttl(key)).to.equal(-1);
    expect(await ctx.stores.recovery.countAttempt('h|atomic', 60_000)).to.equal(2);
    expect(await redis.pttl(key)).to.be.within(1, 60_000);
  });

  it('signs the actions it queues, with the labels the agent matches on', async () => {
    const signed = testConfig('unused', {
      'redis.prefix': `{${run}}`,
      'alerter.receivers': [{ name: 'ops', webhook: { url: 'http://127.0.0.1:9/' } }],
      'alerter.route': { receiver: 'ops' },
      'alerter.actions': { cooldown: '0s', signingKey: 'k'.repeat(40), rules: [{ name: 'restart', matchers: ['rule="died"'], docker: 'restart' }] },
    });
    const d2 = new ActionDispatcher({ ...ctx, cfg: signed.alerter }, redis, signed.redis.prefix);
    try {
      const r = record('signed', 9000);
      r.msg.labels = { team: 'web' };
      await ctx.stores.alerts.put(r);
      await d2.onFiring(r, alertLabels(r.msg), ctx.router.match(alertLabels(r.msg)));
      const [job] = await d2.queueFor('h').getJobs(['waiting']).then((js) => js.filter((j) => j.data.facts.container === 'signed'));
      expect(verifyAction(job.data, 'k'.repeat(40))).to.equal(true);
      expect(job.data.facts.labels).to.deep.equal({ team: 'web' });
      expect(ActionJobSchema.safeParse(job.data).success).to.equal(true);
    } finally {
      await d2.close();
    }
  });

  it('starts nothing for a silenced alert, and records once that the silence held its recovery back', async () => {
    await ctx.stores.silences.put({ id: 's', matchers: [parseMatcher('container="quiet"')], startsAt: 0, endsAt: Date.now() + 3_600_000, createdBy: 't', comment: 'c', createdAt: 0 });
    const q = dispatcher.queueFor('h');
    const before = await q.getJobCountByTypes('waiting', 'delayed', 'active');
    await fire(record('quiet', 5000));
    await fire(record('quiet', 5000));
    expect(await q.getJobCountByTypes('waiting', 'delayed', 'active')).to.equal(before);
    const held = written.filter((l) => l.startsWith('shipwatch_alert_handling,'));
    expect(held).to.have.length(1);
    expect(held[0]).to.match(/,event=silenced,/).and.to.contain('silence_ids="s"').and.to.contain('held="recovery"');
  });
});
