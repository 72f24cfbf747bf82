import { expect } from 'chai';
import {
  v1Statements, bucketChanges, parseGoDuration, influxDuration, wantedRetention, MeasurementRouter,
} from '../../common/influx/retention.js';
import type { LineSink } from '../../common/influx/sink.js';
import { DEFAULTS } from '../../common/config.js';

const DAY = 86_400_000;
const want = wantedRetention(DEFAULTS.influx);

class Sink implements LineSink {
  lines: string[] = [];
  write(l: string[]) {
    this.lines.push(...l);
  }
  async flush() {
    return true;
  }
}

describe('retention planning', () => {
  it('defaults: raw points 7 days in the default policy, rollups 400 days in "rollup"', () => {
    expect(want).to.deep.equal({ rawPolicy: '', rawMs: 7 * DAY, rollupPolicy: 'rollup', rollupMs: 400 * DAY });
  });

  it('parses the durations InfluxDB 1.x prints', () => {
    expect(parseGoDuration('168h0m0s')).to.equal(7 * DAY);
    expect(parseGoDuration('0s')).to.equal(0);
    expect(parseGoDuration('1h30m0s')).to.equal(5_400_000);
    expect(influxDuration(0)).to.equal('INF');
    expect(influxDuration(7 * DAY)).to.equal('168h');
  });

  it('1.x: a new database gets its raw default policy and the rollup policy', () => {
    expect(v1Statements('sw', undefined, want)).to.deep.equal([
      'CREATE DATABASE "sw" WITH DURATION 168h REPLICATION 1 SHARD DURATION 1d NAME "autogen"',
      'CREATE RETENTION POLICY "rollup" ON "sw" DURATION 9600h REPLICATION 1 SHARD DURATION 7d',
    ]);
  });

  it('1.x: an existing database has its default policy shortened; nothing when all is as wanted', () => {
    expect(v1Statements('sw', [{ name: 'autogen', durationMs: 0, isDefault: true }], want)).to.deep.equal([
      'ALTER RETENTION POLICY "autogen" ON "sw" DURATION 168h REPLICATION 1 SHARD DURATION 1d',
      'CREATE RETENTION POLICY "rollup" ON "sw" DURATION 9600h REPLICATION 1 SHARD DURATION 7d',
    ]);
    const done = [{ name: 'autogen', durationMs: 7 * DAY, isDefault: true }, { name: 'rollup', durationMs: 400 * DAY, isDefault: false }];
    expect(v1Statements('sw', done, want)).to.deep.equal([]);
  });

  it('1.x: a configured raw policy is made the default (dashboards read the default)', () => {
    const w = { ...want, rawPolicy: 'raw' };
    expect(v1Statements('sw', [{ name: 'autogen', durationMs: 0, isDefault: true }], w)[0]).to.equal(
      'CREATE RETENTION POLICY "raw" ON "sw" DURATION 168h REPLICATION 1 SHARD DURATION 1d DEFAULT',
    );
    expect(v1Statements('sw', [{ name: 'raw', durationMs: 7 * DAY, isDefault: false }, { name: 'rollup', durationMs: 400 * DAY, isDefault: false }], w))
      .to.deep.equal(['ALTER RETENTION POLICY "raw" ON "sw" DURATION 168h REPLICATION 1 SHARD DURATION 1d DEFAULT']);
  });

  it('2.x: buckets "<bucket>" and "<bucket>/rollup" created or their retention changed', () => {
    expect(bucketChanges('sw', [], want)).to.deep.equal([
      { op: 'create', name: 'sw', everySeconds: 7 * 86_400 },
      { op: 'create', name: 'sw/rollup', everySeconds: 400 * 86_400 },
    ]);
    const existing = [
      { id: 'a', name: 'sw', retentionRules: [] },
      { id: 'b', name: 'sw/rollup', retentionRules: [{ type: 'expire', everySeconds: 400 * 86_400 }] },
    ];
    expect(bucketChanges('sw', existing, want)).to.deep.equal([{ op: 'update', id: 'a', name: 'sw', everySeconds: 7 * 86_400 }]);
    expect(bucketChanges('sw', existing, { ...want, rawMs: 0 })).to.deep.equal([]);
  });
});

describe('MeasurementRouter', () => {
  it('holds rollup lines until their policy exists, then sends them there; the rest goes on at once', async () => {
    const main = new Sink();
    const rollup = new Sink();
    let ready!: (s: LineSink) => void;
    const target = new Promise<LineSink>((r) => (ready = r));
    const router = new MeasurementRouter(main, ['shipwatch_rollup'], target);
    router.write(['shipwatch_rollup,metric=a avg=1 1', 'shipwatch_threshold,metric=a value=1 1', 'shipwatch_rollup_x v=1 1']);
    expect(main.lines).to.deep.equal(['shipwatch_threshold,metric=a value=1 1', 'shipwatch_rollup_x v=1 1']);
    expect(rollup.lines).to.deep.equal([]);
    expect(await router.flush()).to.equal(false);
    ready(rollup);
    await target;
    expect(rollup.lines).to.deep.equal(['shipwatch_rollup,metric=a avg=1 1']);
    router.write(['shipwatch_rollup avg=2 2']);
    expect(rollup.lines).to.have.length(2);
    expect(await router.flush()).to.equal(true);
  });
});
