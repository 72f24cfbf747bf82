import { expect } from 'chai';
import {
  DEFAULT_THRESHOLD_OPTIONS,
  DynamicThreshold,
  resolveOptions,
  thresholdOptions,
} from '../../processor/thresholds/index.js';
import type { ThresholdOptions, ThresholdResult, ThresholdState } from '../../processor/thresholds/index.js';
import { DEFAULTS, parseConfig } from '../../common/config.js';
import { HostEngine } from '../../processor/engine.js';
import { SHIPPED } from '../../bench/eval-thresholds.js';
import { PROCESSOR_METRICS } from '../../common/schema.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const STEP = 5 * MINUTE;
const DAY = 86_400_000;
const START = Date.UTC(2024, 0, 1);

/** Seeded standard normal noise, so every run sees the same series. */
function noise(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

/** Feeds values at regular 5-minute steps; returns every result. */
function feed(d: DynamicThreshold, values: number[], from = 0): ThresholdResult[] {
  return values.map((v, i) => d.update(START + (from + i) * STEP, v));
}

function noisy(n: number, level: number, sigma: number, seed = 1): number[] {
  const z = noise(seed);
  return Array.from({ length: n }, () => level + sigma * z());
}

const onsets = (results: ThresholdResult[]): number[] =>
  results.flatMap((r, i) => (r.anomaly ? [i] : []));

describe('DynamicThreshold', () => {
  it('raises no anomaly on a flat noisy series', () => {
    const d = new DynamicThreshold();
    const results = feed(d, noisy(20_000, 50, 2));
    expect(onsets(results)).to.deep.equal([]);
    const last = results[results.length - 1];
    expect(last.warm).to.equal(true);
    expect(last.baseline).to.be.closeTo(50, 0.5);
    expect(last.lower).to.be.below(50 - 4).and.above(0);
    expect(last.upper).to.be.above(50 + 4).and.below(100);
  });

  it('raises exactly one onset for a big spike after warm-up, with a positive score', () => {
    const d = new DynamicThreshold();
    const values = noisy(2000, 50, 2);
    values[1500] = 120;
    const results = feed(d, values);
    expect(onsets(results)).to.deep.equal([1500]);
    expect(results[1500].outside).to.equal(true);
    expect(results[1500].score).to.be.greaterThan(0);
    expect(results[1499].score).to.equal(0);
  });

  it('does not let a spike widen the band it is judged against', () => {
    const d = new DynamicThreshold();
    const values = noisy(2000, 50, 2);
    values[1500] = 500;
    const results = feed(d, values);
    const width = (r: ThresholdResult) => r.upper - r.lower;
    expect(width(results[1501])).to.be.below(width(results[1499]) * 1.1);
    expect(results[1501].baseline).to.be.closeTo(results[1499].baseline, 1);
  });

  it('raises no alarm during warm-up', () => {
    const d = new DynamicThreshold({ warmupMs: 200 * STEP });
    const values = noisy(400, 10, 1);
    values[150] = 100;
    const results = feed(d, values);
    expect(results[150].warm).to.equal(false);
    expect(results[150].anomaly).to.equal(false);
    expect(results[250].warm).to.equal(true);
    expect(onsets(results)).to.deep.equal([]);
  });

  it('alarms on a level shift once, then takes the new level as normal', () => {
    const d = new DynamicThreshold();
    const before = noisy(2000, 100, 1, 3);
    const after = noisy(3000, 200, 1, 4);
    const results = feed(d, [...before, ...after]);
    expect(onsets(results)).to.deep.equal([2000]);
    const last = results[results.length - 1];
    expect(last.baseline).to.be.closeTo(200, 1);
    expect(last.outside).to.equal(false);
    // the band is back to its usual width, so a real spike at the new level is still caught
    expect(last.upper - last.baseline).to.be.below(20);
    const spike = d.update(START + 5000 * STEP, 260);
    expect(spike.anomaly).to.equal(true);
  });

  it('needs the value outside the band for `forMs` before raising an anomaly', () => {
    const d = new DynamicThreshold({ forMs: 10 * MINUTE });
    const values = noisy(3000, 50, 2);
    values[1500] = 120; // a lone spike
    values[2500] = values[2501] = values[2502] = values[2503] = 120;
    const results = feed(d, values);
    expect(onsets(results)).to.deep.equal([2502]);
    expect(results[1500].outside).to.equal(true);
  });

  it('raises no second anomaly within the refractory period', () => {
    const d = new DynamicThreshold({ refractoryMs: 2 * HOUR, repeatMargin: 1 });
    const values = noisy(3000, 50, 2);
    values[1500] = 120;
    values[1512] = 200; // one hour later: larger, but still refractory
    values[1540] = 300; // later still
    expect(onsets(feed(d, values))).to.deep.equal([1500, 1540]);
  });

  it('counts warm-up, refractory and new-normal time in time, whatever the sampling interval', () => {
    // the same step at 30-second and at 5-minute samples: one onset at the step, and the new level
    // becomes the baseline after `newNormalMs` in both
    for (const step of [30_000, STEP]) {
      const d = new DynamicThreshold({ seasonality: undefined });
      const n = Math.round((2 * DAY) / step);
      const z = noise(31);
      const values = Array.from({ length: n }, (_, i) => (i * step < DAY ? 100 : 200) + z());
      const results = values.map((v, i) => d.update(START + i * step, v));
      const at = n / 2;
      expect(onsets(results), `at ${step} ms`).to.deep.equal([at]);
      const settled = at + Math.ceil(DEFAULT_THRESHOLD_OPTIONS.newNormalMs / step) + 1;
      expect(results[settled - 2].outside, `at ${step} ms`).to.equal(true);
      expect(results[settled].baseline, `at ${step} ms`).to.be.closeTo(200, 2);
      expect(results[settled].outside, `at ${step} ms`).to.equal(false);
    }
  });

  it('stops alarming on spikes the series usually has', () => {
    const d = new DynamicThreshold();
    const values = noisy(20_000, 0.5, 0.05);
    for (let i = 50; i < values.length; i += 97) values[i] = 30;
    const results = feed(d, values);
    // while the daily profile takes shape (its first day, and the day after, when what the
    // first day taught is forgotten) a few spikes page; then none of the 200 that follow
    expect(onsets(results).length).to.be.at.most(4);
    expect(onsets(results).filter((i) => i >= 2 * 288)).to.deep.equal([]);
    // a spike far larger than the usual ones still alarms
    expect(d.update(START + 20_000 * STEP, 300).anomaly).to.equal(true);
  });

  it('ignores NaN and Infinity without changing its state', () => {
    const d = new DynamicThreshold();
    feed(d, noisy(500, 20, 1));
    const before = JSON.stringify(d);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const r = d.update(START + 500 * STEP, bad);
      expect(r.anomaly).to.equal(false);
      expect(r.outside).to.equal(false);
      expect(r.score).to.equal(0);
      expect(Number.isFinite(r.baseline) && Number.isFinite(r.lower) && Number.isFinite(r.upper)).to.equal(true);
    }
    expect(d.update(NaN, 20).anomaly).to.equal(false);
    expect(JSON.stringify(d)).to.equal(before);
  });

  it('ignores a sample older than the last one', () => {
    const d = new DynamicThreshold();
    feed(d, noisy(500, 20, 1));
    const before = JSON.stringify(d);
    expect(d.update(START, 1e6).anomaly).to.equal(false);
    expect(JSON.stringify(d)).to.equal(before);
  });

  it('raises nothing after a long gap, even if the level moved, and alarms again later', () => {
    const d = new DynamicThreshold();
    feed(d, noisy(2000, 100, 1, 5));
    const afterGap = feed(d, noisy(500, 130, 1, 6), 2000 + 3 * 288); // three days of silence
    expect(onsets(afterGap)).to.deep.equal([]);
    expect(afterGap[0].warm).to.equal(false);
    const last = afterGap[afterGap.length - 1];
    expect(last.warm).to.equal(true);
    expect(last.baseline).to.be.closeTo(130, 1);
    expect(d.update(START + (2000 + 3 * 288 + 500) * STEP, 200).anomaly).to.equal(true);
  });

  it('takes a coarser sampling interval in its stride: no gap, still alarming', () => {
    const d = new DynamicThreshold();
    feed(d, noisy(1000, 10, 1));
    // from 5-minute to hourly samples
    let t = START + 1000 * STEP;
    const z = noise(9);
    let last: ThresholdResult | undefined;
    for (let i = 0; i < 100; i++) last = d.update((t += 12 * STEP), 10 + z());
    expect(last?.warm).to.equal(true);
    expect(d.update(t + 12 * STEP, 60).anomaly).to.equal(true);
  });

  it('does not alarm on a flat series or its rounding noise', () => {
    const d = new DynamicThreshold();
    const values = Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? 45.000001 : 45));
    expect(onsets(feed(d, values))).to.deep.equal([]);
  });

  it('keeps up with at least 200,000 updates per second', () => {
    const d = new DynamicThreshold();
    const values = noisy(200_000, 50, 5);
    const started = process.hrtime.bigint();
    feed(d, values);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    expect(seconds).to.be.below(1);
  });

  describe('with a daily profile', () => {
    const opts: Partial<ThresholdOptions> = { seasonality: { periodMs: DAY, buckets: 24 } };
    // quiet nights around 20, a busy 09:00-18:00 around 80
    const daily = (i: number, z: () => number): number => {
      const hour = new Date(START + i * STEP).getUTCHours();
      return (hour >= 9 && hour < 18 ? 80 : 20) + z();
    };
    const days = 10;
    const series = (z: () => number) => Array.from({ length: days * 288 }, (_, i) => daily(i, z));

    it('does not alarm at the daily peak once the pattern is learned', () => {
      const d = new DynamicThreshold(opts);
      const results = feed(d, series(noise(11)));
      const afterFirstDay = onsets(results).filter((i) => i >= 288);
      expect(afterFirstDay).to.deep.equal([]);
      const noon = results[(days - 1) * 288 + 144];
      expect(noon.baseline).to.be.closeTo(80, 2);
      const night = results[(days - 1) * 288 + 24];
      expect(night.baseline).to.be.closeTo(20, 2);
    });

    it('alarms on a value usual by day but unusual at night', () => {
      const d = new DynamicThreshold(opts);
      const z = noise(12);
      // ten days, then a quiet night up to 03:00
      const values = Array.from({ length: days * 288 + 36 }, (_, i) => daily(i, z));
      expect(onsets(feed(d, values)).filter((i) => i >= 288)).to.deep.equal([]);
      const r = d.update(START + (days * 288 + 36) * STEP, 80);
      expect(r.anomaly).to.equal(true);
      expect(r.upper).to.be.below(80);
    });

    it('alarms during its first cycle, before the profile is complete', () => {
      const d = new DynamicThreshold(opts);
      const values = series(noise(13)).slice(0, 200);
      values[150] = 300; // 12:30 on the first day
      const results = feed(d, values);
      expect(results[150].warm).to.equal(true);
      expect(onsets(results)).to.include(150);
    });
  });

  describe('state', () => {
    const opts: Partial<ThresholdOptions> = { seasonality: { periodMs: DAY, buckets: 24 } };
    const values = noisy(6000, 40, 3, 21);
    values[2000] = 150;
    values[4000] = NaN;
    for (let i = 4500; i < 4700; i++) values[i] += 60;

    it('survives JSON: feeding half, restoring, then the rest equals feeding all at once', () => {
      const whole = new DynamicThreshold(opts);
      const all = feed(whole, values);

      const first = new DynamicThreshold(opts);
      const head = feed(first, values.slice(0, 3100));
      const stored = JSON.parse(JSON.stringify(first.toJSON())) as ThresholdState;
      const second = DynamicThreshold.fromJSON(stored, opts);
      const tail = feed(second, values.slice(3100), 3100);

      expect([...head, ...tail]).to.deep.equal(all);
      expect(JSON.stringify(second)).to.equal(JSON.stringify(whole));
      expect(onsets(all).length).to.be.greaterThan(0);
    });

    it('returns a copy that later updates leave alone', () => {
      const d = new DynamicThreshold(opts);
      feed(d, values.slice(0, 500));
      const snapshot = d.toJSON();
      const text = JSON.stringify(snapshot);
      feed(d, values.slice(500, 600), 500);
      expect(JSON.stringify(snapshot)).to.equal(text);
    });

    it('relearns the profile, rather than misreading it, when the seasonality changes', () => {
      const d = new DynamicThreshold(opts);
      feed(d, values.slice(0, 500));
      const restored = DynamicThreshold.fromJSON(d.toJSON(), { seasonality: { periodMs: DAY, buckets: 48 } });
      expect(restored.toJSON().profile?.offsets).to.have.length(48);
      expect(restored.toJSON().profile?.counts.every((c) => c === 0)).to.equal(true);
    });

    it('starts learning afresh from a state of another version or shape, rather than failing', () => {
      const good = new DynamicThreshold().toJSON();
      const fresh = new DynamicThreshold().toJSON();
      const oldVersion = { ...good, version: 1, learned: 500, spacingMs: 300_000, cooldown: 0, rewarm: 0 };
      for (const stored of [oldVersion, { ...good, level: null }, { version: 2 }, 'nonsense', 42, []]) {
        const d = DynamicThreshold.fromJSON(stored);
        expect(d.toJSON(), JSON.stringify(stored)).to.deep.equal(fresh);
        expect(d.update(START, 5).anomaly).to.equal(false);
      }
    });
  });

  describe('options', () => {
    it('fills defaults and keeps them for undefined knobs', () => {
      const o = resolveOptions({ bandWidth: undefined, forMs: 60_000 });
      expect(o.bandWidth).to.equal(DEFAULT_THRESHOLD_OPTIONS.bandWidth);
      expect(o.forMs).to.equal(60_000);
      expect(resolveOptions({ seasonality: undefined }).seasonality).to.equal(undefined);
    });

    it('rejects unusable values, naming the option', () => {
      expect(() => new DynamicThreshold({ newNormalMs: 0 })).to.throw(RangeError, /newNormalMs/);
      expect(() => new DynamicThreshold({ refractoryMs: -1 })).to.throw(RangeError, /refractoryMs/);
      expect(() => new DynamicThreshold({ levelRate: 2 })).to.throw(RangeError, /levelRate/);
      expect(() => new DynamicThreshold({ seasonality: { periodMs: DAY, buckets: 0 } })).to.throw(
        RangeError,
        /buckets/,
      );
    });

    it('ships the processor configuration defaults, and the evaluation scores exactly those', () => {
      expect(DEFAULT_THRESHOLD_OPTIONS).to.deep.equal(thresholdOptions(DEFAULTS.processor.thresholds));
      expect(SHIPPED).to.deep.equal(DEFAULT_THRESHOLD_OPTIONS);
      const engine = new HostEngine(parseConfig({}).processor);
      const { minWidth: none, ...shipped } = SHIPPED;
      expect(none).to.equal(0);
      const minChange = DEFAULTS.processor.thresholds.minChange as Record<string, number>;
      for (const metric of Object.values(PROCESSOR_METRICS)) {
        // the same options, but each metric with its least change
        const { minWidth, ...rest } = engine.thresholdOptionsFor(metric);
        expect(rest, metric).to.deep.equal(shipped);
        expect(minWidth, metric).to.equal(minChange[metric]).and.be.greaterThan(0);
      }
    });

    it('takes durations from the configuration and names a bad key', () => {
      const cfg = parseConfig({ processor: { thresholds: { warmup: '2h', refractory: '0s', seasonality: { period: 0 } } } });
      const o = thresholdOptions(cfg.processor.thresholds);
      expect(o.warmupMs).to.equal(2 * HOUR);
      expect(o.refractoryMs).to.equal(0);
      expect(o.seasonality).to.equal(undefined);
      expect(() => parseConfig({ processor: { thresholds: { newNormal: 'soon' } } })).to.throw(/processor\.thresholds\.newNormal/);
      expect(() => parseConfig({ processor: { thresholds: { bandWidth: 0 } } })).to.throw(/processor\.thresholds\.bandWidth/);
    });
  });
});
