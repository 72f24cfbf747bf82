/**
 * Bounded everything, on the alerter's API (real Redis) and its receivers
 * (HTTP servers on 127.0.0.1): requests per client, silences (count, length,
 * matchers, regular expressions that cannot backtrack), a receiver that
 * redirects or answers without end.
 */
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { services, testConfig, uniqueRun } from '../helpers/services.js';
import { createLogger } from '../../common/log.js';
import { createRedis, type RedisClient } from '../../common/queue/connection.js';
import { createStores } from '../../alerter/store/index.js';
import { AlerterMetrics } from '../../alerter/metrics.js';
import { startApi } from '../../alerter/api.js';
import { InfluxQL } from '../../common/influx/query.js';
import { post } from '../../alerter/receivers/channel.js';
import type { Config } from '../../common/config.js';
import { HandlingHistory } from '../../alerter/history.js';

describe('alerter: bounds', function () {
  this.timeout(60_000);
  const token = 'bounds-test-token-0123456789';
  let redis: RedisClient;
  const apis: Array<{ close(): Promise<void> }> = [];

  before(() => services());
  after(async () => {
    for (const a of apis) await a.close();
    await redis?.quit();
  });

  async function api(over: Record<string, unknown>) {
    const run = uniqueRun('albound');
    const cfg: Config = testConfig('unused', { 'redis.prefix': `{${run}}`, 'alerter.api': { port: 0, token, ...over } });
    redis ??= createRedis(cfg.redis);
    const stores = createStores(redis, cfg.redis.prefix);
    const a = await startApi({
      host: '127.0.0.1', port: 0, token, limits: cfg.alerter.api, alerts: stores.alerts, silences: stores.silences, redis,
      query: new InfluxQL(cfg.influx), metrics: new AlerterMetrics(async () => ({})), history: new HandlingHistory({ write() {}, flush: async () => true }, stores.claims),
      log: createLogger('api', 'silent'),
    });
    apis.push(a);
    const base = `http://127.0.0.1:${a.port}`;
    return (method: string, p: string, body?: unknown, auth = token) => fetch(base + p, {
      method,
      headers: { authorization: `Bearer ${auth}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  const silence = (matchers: string[], over: Record<string, unknown> = {}) => ({ matchers, duration: '1h', createdBy: 'ann', comment: 'test', ...over });

  it('limits requests per client, token guesses included, with 429 and the standard headers', async () => {
    const call = await api({ rateLimit: { requests: 5, window: '1m' } });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await call('GET', '/api/alerts', undefined, `guess-${i}-0123456789abcdefghij`)).status);
    expect(statuses).to.deep.equal([401, 401, 401, 401, 401, 429]);
    const res = await call('GET', '/api/alerts');
    expect(res.status).to.equal(429);
    expect(res.headers.get('ratelimit-policy')).to.match(/^5;w=60/);
    // Health checks are not counted.
    expect((await call('GET', '/healthz', undefined, '')).status).to.equal(200);
  });

  it('caps silences: how many, how long, how many matchers, how long a matcher', async () => {
    const call = await api({ silences: { max: 2, maxDuration: '1d', maxMatchers: 3 } });
    expect((await call('POST', '/api/silences', silence(['container="a"']))).status).to.equal(201);
    expect((await call('POST', '/api/silences', silence(['container="b"']))).status).to.equal(201);
    const full = await call('POST', '/api/silences', silence(['container="c"']));
    expect(full.status).to.equal(409);
    expect(((await full.json()) as { error: string }).error).to.match(/2 silences pending or active \(alerter\.api\.silences\.max\)/);
    const long = await call('POST', '/api/silences', silence(['container="c"'], { duration: '2d' }));
    expect(long.status).to.equal(400);
    expect(JSON.stringify(await long.json())).to.contain('alerter.api.silences.maxDuration');
    expect((await call('POST', '/api/silences', silence(['container="c"'], { duration: undefined, startsAt: Date.now() + 5 * 86_400_000, endsAt: Date.now() + 5 * 86_400_000 + 1000 }))).status).to.equal(400);
    const many = await call('POST', '/api/silences', silence(['a="1"', 'b="1"', 'c="1"', 'd="1"']));
    expect(many.status).to.equal(400);
    expect(JSON.stringify(await many.json())).to.match(/matchers.*at most 3|Too big/i);
    const huge = await call('POST', '/api/silences', silence([`container="${'x'.repeat(2000)}"`]));
    expect(huge.status).to.equal(400);
    expect(JSON.stringify(await huge.json())).to.contain('matcher longer than 1024 characters');
    // Deleting one makes room again.
    const list = (await (await call('GET', '/api/silences')).json()) as { silences: Array<{ id: string }> };
    expect((await call('DELETE', `/api/silences/${list.silences[0].id}?by=ann`)).status).to.equal(204);
    expect((await call('POST', '/api/silences', silence(['container="c"']))).status).to.equal(201);
  });

  it('refuses regular expressions RE2 cannot run in linear time (backreferences, lookarounds) and matches the rest without backtracking', async () => {
    const call = await api({});
    for (const re of ['(a)\\\\1', '(?=a)a', '(?<!b)a']) {
      const res = await call('POST', '/api/silences', silence([`container=~"${re}"`]));
      expect(res.status, re).to.equal(400);
      expect(JSON.stringify(await res.json()), re).to.contain('bad regular expression');
    }
    // A pattern that backtracks catastrophically in a backtracking engine, against an alert of 50,000 "a"s.
    const res = await call('POST', '/api/silences', silence(['container=~"(a+)+b"']));
    expect(res.status).to.equal(201);
    const { matches } = await import('../../common/matchers.js');
    const { parseMatcher } = await import('../../common/matchers.js');
    expect(matches(parseMatcher('container=~"(a+)+b"'), { container: 'a'.repeat(50_000) })).to.equal(false);
    expect(matches(parseMatcher('container=~"(a+)+b"'), { container: 'a'.repeat(50_000) + 'b' })).to.equal(true);
  });

  describe('receivers', () => {
    let server: Server;
    let base: string;
    const hits: string[] = [];
    before(async () => {
      server = createServer((req, res) => {
        hits.push(req.url ?? '');
        if (req.url === '/moved') {
          res.writeHead(302, { location: '/elsewhere' }).end();
        } else if (req.url === '/endless') {
          // An answer that never ends: only a reader that stops can finish.
          res.writeHead(200, { 'content-type': 'text/plain' });
          const chunk = Buffer.alloc(64 * 1024, 'x');
          const pump = () => {
            while (res.write(chunk));
            res.once('drain', pump);
          };
          pump();
          req.on('close', () => res.destroy());
        } else {
          res.writeHead(200).end('ok');
        }
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });

    it('follows no redirect: the delivery fails and the new address is never asked', async () => {
      const err = await post(`${base}/moved`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(10_000) }, 65_536).catch((e: Error) => e);
      expect((err as Error).message).to.match(/answered 302 \(a redirect\): not followed/);
      expect(hits).to.not.include('/elsewhere');
    });

    it('reads an answer only up to the cap, however long it is', async () => {
      // Without the cap this would read until the timeout and fail.
      expect(await post(`${base}/endless`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(30_000) }, 65_536)).to.equal('200');
    });

    it('names only the host when the request cannot be made: the URL may hold a credential', async () => {
      const err = await post('http://user:url-secret-0123@127.0.0.1:1/x?key=query-secret-0123', { method: 'POST', signal: AbortSignal.timeout(5000) }, 1024).catch((e: Error) => e);
      expect((err as Error).message).to.match(/^POST 127\.0\.0\.1:1: /);
      expect((err as Error).message).to.not.contain('url-secret').and.not.contain('query-secret');
    });
  });
});
