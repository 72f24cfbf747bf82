/**
 * Points a processor could not write to InfluxDB are kept in Redis, so a
 * processor killed during an InfluxDB outage loses none of them: another
 * processor writes them once InfluxDB answers, and removes them only then.
 */
import { expect } from 'chai';
import { InfluxWriter } from '../../common/influx/writer.js';
import { createRedis, type RedisClient } from '../../common/queue/connection.js';
import { createLogger } from '../../common/log.js';
import { SpillingSink, spillKey } from '../../processor/spill.js';
import { freshDatabase, testConfig, uniqueRun } from '../helpers/services.js';
import { freePort } from '../helpers/stack.js';
import type { InfluxQL } from '../../common/influx/query.js';

describe('processor: points kept in Redis during an InfluxDB outage', function () {
  this.timeout(60_000);
  const db = 'sw_spill_test';
  const prefix = `{${uniqueRun('spill')}}`;
  const log = createLogger('processor', 'silent');
  let q: InfluxQL;
  const clients: RedisClient[] = [];
  const opts = { flushWait: 1_000, maxBatches: 100, drainEvery: 60_000 };
  const t0 = Date.now() - 60_000;
  const lines = Array.from({ length: 30 }, (_, i) => `spill_test,container_name=c${i % 3} value=${i} ${(t0 + i * 1000) * 1e6}`);

  before(async () => {
    q = await freshDatabase(db);
  });
  after(async () => {
    for (const c of clients) {
      await c.del(spillKey(prefix));
      await c.quit();
    }
  });

  it('a processor that cannot reach InfluxDB keeps its points in Redis; another writes them once and empties the list', async () => {
    // Processor A: InfluxDB unreachable (nothing listens on the port).
    const down = testConfig(db, { 'influx.url': `http://127.0.0.1:${await freePort()}`, 'influx.timeout': '1s', 'redis.prefix': prefix });
    const redisA = createRedis(down.redis);
    clients.push(redisA);
    const writerA = new InfluxWriter(down.influx, log);
    const a = new SpillingSink(writerA, redisA, prefix, opts, log);
    a.write(lines.slice(0, 20));
    expect(await a.flush(), 'flush of A').to.equal(true);
    a.write(lines.slice(20));
    expect(await a.flush(), 'second flush of A (failing: straight to Redis)').to.equal(true);
    expect(a.stats.spilled).to.equal(30);
    expect(await redisA.llen(spillKey(prefix))).to.equal(2);
    // A dies with the points still in its writer's memory.
    await writerA.close(100);

    // Processor B: InfluxDB answers.
    const up = testConfig(db, { 'redis.prefix': prefix });
    const redisB = createRedis(up.redis);
    clients.push(redisB);
    const writerB = new InfluxWriter(up.influx, log);
    await writerB.ready();
    const b = new SpillingSink(writerB, redisB, prefix, { ...opts, flushWait: 10_000 }, log);
    await b.drain();
    expect(b.stats.drained).to.equal(30);
    expect(await redisB.llen(spillKey(prefix)), 'list emptied once written').to.equal(0);
    const rows = await q.rows(`SELECT count("value") AS n FROM "spill_test"`);
    expect(Number(rows[0].n)).to.equal(30);
    await b.close();
    await writerB.close();
  });
});
