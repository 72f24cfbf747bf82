/** Retention set up on the real InfluxDB 1.x: policies created, adjusted, and rollups written into theirs. */
import { expect } from 'chai';
import { services, testConfig, freshDatabase, uniqueRun } from '../helpers/services.js';
import { ensureRetention, parseGoDuration } from '../../common/influx/retention.js';
import { InfluxQL, ident } from '../../common/influx/query.js';
import { InfluxWriter } from '../../common/influx/writer.js';
import { createLogger } from '../../common/log.js';

const DAY = 86_400_000;
const silent = createLogger('test', 'silent');

async function policies(q: InfluxQL, db: string) {
  const rows = await q.rows(`SHOW RETENTION POLICIES ON ${ident(db)}`);
  return Object.fromEntries(rows.map((r) => [String(r.name), { ms: parseGoDuration(String(r.duration)), isDefault: r.default === true }]));
}

describe('retention on InfluxDB 1.x', function () {
  this.timeout(60_000);
  const db = uniqueRun('sw_retention').replace(/-/g, '_');
  let q: InfluxQL;

  before(() => {
    services();
    q = new InfluxQL(testConfig(db).influx);
  });
  after(() => q.query(`DROP DATABASE ${ident(db)}`));

  it('creates the database with raw points 7 days (default policy) and rollups 400 days on first start', async () => {
    await q.query(`DROP DATABASE ${ident(db)}`);
    const r = await ensureRetention(testConfig(db).influx, silent);
    expect(r.changes).to.have.length(2);
    expect(await policies(q, db)).to.deep.equal({
      autogen: { ms: 7 * DAY, isDefault: true },
      rollup: { ms: 400 * DAY, isDefault: false },
    });
    expect((await ensureRetention(testConfig(db).influx, silent)).changes, 'second start changes nothing').to.deep.equal([]);
  });

  it('follows the configured durations on a later start, and shortens an existing forever policy', async () => {
    const cfg = testConfig(db, { 'influx.retention.raw': '2d', 'influx.retention.rollup': '30d' });
    await ensureRetention(cfg.influx, silent);
    expect(await policies(q, db)).to.deep.equal({
      autogen: { ms: 2 * DAY, isDefault: true },
      rollup: { ms: 30 * DAY, isDefault: false },
    });
    const other = uniqueRun('sw_retention_old').replace(/-/g, '_');
    await freshDatabase(other); // a database made before: autogen kept forever
    try {
      await ensureRetention(testConfig(other).influx, silent);
      expect((await policies(q, other)).autogen).to.deep.equal({ ms: 7 * DAY, isDefault: true });
    } finally {
      await q.query(`DROP DATABASE ${ident(other)}`);
    }
  });

  it('writes into the rollup policy with influx.retentionPolicy set to it; default-policy queries do not see those points', async () => {
    const cfg = testConfig(db);
    const w = new InfluxWriter({ ...cfg.influx, retentionPolicy: cfg.influx.rollupRetentionPolicy }, silent);
    w.write([`shipwatch_rollup,container_name=c,engine_host=h cpu_percent_mean=1 ${Date.now()}000000`]);
    await w.ensureDatabase();
    await w.flush();
    await w.close();
    expect(await q.rows('SELECT "cpu_percent_mean" FROM "rollup"."shipwatch_rollup"')).to.have.length(1);
    expect(await q.rows('SELECT "cpu_percent_mean" FROM "shipwatch_rollup"')).to.have.length(0);
  });
});
