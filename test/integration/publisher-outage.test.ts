/**
 * The collector's publisher through a Redis outage, on a redis-server of the
 * test's own (stopped and started again): jobs made while Redis is down are
 * kept and added in order once it answers, each naming the one before it;
 * a job older than queue.publishRetry is dropped and never named.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { testConfig, uniqueRun } from '../helpers/services.js';
import { RedisServer, freePort, sleep } from '../helpers/stack.js';
import { SamplesPublisher, samplesJobId, eventJobId } from '../../common/queue/publisher.js';
import { createRedis } from '../../common/queue/connection.js';
import { SAMPLES_QUEUE, shardPrefix } from '../../common/queue/names.js';
import type { Config } from '../../common/config.js';

describe('publisher: a Redis outage', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'sw-pubout-'));
  let redis: RedisServer;
  const host = 'web-1';
  const T = 1_700_000_000_000;
  const samples = (time: number) => ({ host, time, containers: [] });
  const event = (time: number) => ({ host, time, nano: `${time}000000`, type: 'container', action: 'die', id: 'a'.repeat(64), name: 'web', attributes: { exitCode: '137' } });

  before(async () => {
    redis = new RedisServer(dir, await freePort());
    await redis.start();
  });
  after(async () => {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const config = (over: Record<string, unknown> = {}): Config => testConfig('unused', { 'redis.url': redis.url, 'redis.prefix': `{${uniqueRun('pubout')}}`, 'queue.shards': 1, ...over });
  async function jobsOf(cfg: Config) {
    const conn = createRedis(cfg.redis);
    const q = new Queue(SAMPLES_QUEUE, { connection: conn, prefix: shardPrefix(cfg.redis.prefix, 0) });
    try {
      const jobs = await q.getJobs(['waiting'], 0, -1, true);
      return jobs.map((j) => ({ id: j.id, prevId: j.data.prevId as string | null }));
    } finally {
      await q.close();
      await conn.quit();
    }
  }

  it('keeps the jobs made while Redis is down and adds them in order once it answers', async () => {
    const cfg = config();
    const pub = new SamplesPublisher(cfg);
    const retries: string[] = [];
    pub.on('retrying', (e) => retries.push(e.message));
    try {
      await pub.publishSamples(samples(T));
      await redis.stop();
      const pending = [pub.publishSamples(samples(T + 30_000)), pub.publishEvent(event(T + 40_000)), pub.publishSamples(samples(T + 60_000))];
      await sleep(3_000);
      expect(retries.length, 'tried again while down').to.be.greaterThan(0);
      await redis.start();
      const ids = await Promise.all(pending);
      expect(ids).to.deep.equal([samplesJobId(host, T + 30_000), eventJobId(event(T + 40_000)), samplesJobId(host, T + 60_000)]);
      const jobs = await jobsOf(cfg);
      const chain = [samplesJobId(host, T), ...ids];
      expect(jobs.map((j) => j.id)).to.deep.equal(chain);
      expect(jobs.map((j) => j.prevId)).to.deep.equal([null, ...chain.slice(0, -1)]);
    } finally {
      await pub.close();
    }
  });

  it('drops a job that waited longer than queue.publishRetry; the next names the last one added', async () => {
    const cfg = config({ 'queue.publishRetry': '1s' });
    const pub = new SamplesPublisher(cfg);
    const dropped: string[] = [];
    pub.on('dropped', (id) => dropped.push(id));
    try {
      await pub.publishSamples(samples(T));
      await redis.stop();
      const lost = pub.publishSamples(samples(T + 30_000));
      await lost.then(() => expect.fail('published while Redis was down'), () => {});
      expect(dropped).to.deep.equal([samplesJobId(host, T + 30_000)]);
      await redis.start();
      await pub.publishSamples(samples(T + 60_000));
      expect(await jobsOf(cfg)).to.deep.equal([
        { id: samplesJobId(host, T), prevId: null },
        { id: samplesJobId(host, T + 60_000), prevId: samplesJobId(host, T) },
      ]);
    } finally {
      await pub.close();
    }
  });

  /** Publishes while Redis is down, then closes: the publish is given up at once. */
  async function closeWhileDown(pub: SamplesPublisher) {
    try {
      const kept = pub.publishSamples(samples(T));
      await sleep(500);
      const t = Date.now();
      await pub.close();
      await kept.then(() => expect.fail('published while Redis was down'), () => {});
      expect(Date.now() - t).to.be.below(10_000);
    } finally {
      await redis.start();
    }
  }

  it('closing gives up what is still kept at once', async () => {
    const pub = new SamplesPublisher(config());
    await pub.publishSamples(samples(T - 30_000));
    await redis.stop();
    await closeWhileDown(pub);
  });

  it('closing gives up a job of a publisher that never reached Redis', async () => {
    await redis.stop();
    await closeWhileDown(new SamplesPublisher(config()));
  });
});
