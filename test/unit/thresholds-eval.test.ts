import { expect } from 'chai';
import { scoreOnsets, f1Of, formatTimestamp, parseTimestamp, type Series } from '../../bench/thresholds-data.js';
import { onsetsJson, SHIPPED, DATA_SETS } from '../../bench/eval-thresholds.js';
import { contextNovelty, withNewLevels } from '../../bench/context-detectors.js';
import { Scorer, SEARCH_SPACE, MIN_GAIN, detect } from '../../bench/thresholds-search.js';
import { loadSeries } from '../../bench/thresholds-data.js';
import path from 'node:path';

const T0 = Date.UTC(2024, 0, 1);
const MIN = 60_000;

/** 100 samples a minute apart; windows in minutes from the start. */
function series(windows: Array<[number, number]>): Series {
  return {
    name: 'f/s.csv',
    times: Float64Array.from({ length: 100 }, (_, i) => T0 + i * MIN),
    values: new Float64Array(100),
    windows: windows.map(([a, b]) => [T0 + a * MIN, T0 + b * MIN]),
  };
}

describe('thresholds evaluation: the scoring rule', () => {
  it('ignores onsets in the first 15 % and counts a window that ends there as a miss', () => {
    const s = series([[5, 10], [50, 60]]);
    expect(scoreOnsets(s, [7, 14])).to.deep.equal({ tp: 0, fp: 0, fn: 2 });
    expect(scoreOnsets(s, [15, 55])).to.deep.equal({ tp: 1, fp: 1, fn: 1 });
  });

  it('counts a window with several onsets once, and every onset outside all windows', () => {
    const s = series([[50, 60]]);
    expect(scoreOnsets(s, [50, 55, 60, 61, 90])).to.deep.equal({ tp: 1, fp: 2, fn: 0 });
    expect(f1Of({ tp: 1, fp: 2, fn: 0 }).f1).to.be.closeTo(0.5, 1e-12);
  });

  it('writes onsets as timestamps another scorer can read', () => {
    const s = series([]);
    expect(onsetsJson([s], () => [0, 42])).to.deep.equal({ 'f/s.csv': ['2024-01-01 00:00:00', '2024-01-01 00:42:00'] });
    expect(parseTimestamp(formatTimestamp(T0 + 42 * MIN))).to.equal(T0 + 42 * MIN);
  });
});

describe('thresholds evaluation: the shipped defaults', function () {
  this.timeout(60_000);

  it('are where the parameter search stops: no single knob moves F1 by the search step', () => {
    const all = DATA_SETS.flatMap((d) => loadSeries(d, path.join(d, 'labels', 'combined_windows.json')));
    const scorer = new Scorer(all);
    const f1 = (o: typeof SHIPPED) => f1Of(scorer.total(o, () => true)).f1;
    const here = f1(SHIPPED);
    for (const [k, values] of Object.entries(SEARCH_SPACE)) {
      for (const v of values) expect(f1({ ...SHIPPED, [k]: v }), `${k} ${JSON.stringify(v)}`).to.be.at.most(here + MIN_GAIN);
    }
  });
});

describe('thresholds evaluation: the context-novelty comparison rows', () => {
  const opts = { levels: 4, order: 1, warmupMs: 0, restMs: 0 };
  /** Values a minute apart from a list of levels 0..3 (range 0..3 is reached at once). */
  const of = (values: number[]): Series => ({
    name: 'f/c.csv',
    times: Float64Array.from(values, (_, i) => T0 + i * MIN),
    values: Float64Array.from(values),
    windows: [],
  });

  it('raises an onset on each transition never seen, and none on a repeated one', () => {
    // 0→3, 3→0 are new once; the saw-tooth repeats them; 0→1 and 1→3 are new at the end
    const onsets = contextNovelty(opts)(of([0, 3, 0, 3, 0, 3, 0, 1, 3]));
    expect(onsets).to.deep.equal([1, 2, 7, 8]);
  });

  it('waits for the warm-up and rests after an onset', () => {
    const s = of([0, 3, 0, 3, 0, 1, 3]);
    expect(contextNovelty({ ...opts, warmupMs: 3 * MIN })(s)).to.deep.equal([5, 6]);
    expect(contextNovelty({ ...opts, restMs: 10 * MIN })(s)).to.deep.equal([1]);
  });

  it('adds to the shipped onsets a sample outside the band on a level never visited, not one on a level seen', () => {
    const opts = { ...SHIPPED, warmupMs: 100 * MIN };
    const values = Array.from({ length: 200 }, (_, i) => 10 + (i % 2));
    values[50] = 100; // during the warm-up: remembered, no onset
    values[150] = 60; // outside the band, no record (the memory holds 90), but a level never visited
    const s = of(values);
    expect(detect(s, opts)).to.deep.equal([]);
    expect(withNewLevels(opts, 8)(s)).to.deep.equal([150]);
    values[150] = 100; // the level of the warm-up's spike: visited
    expect(withNewLevels(opts, 8)(of(values))).to.deep.equal([]);
  });
});
