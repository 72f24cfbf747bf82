import { expect } from 'chai';
import { scoreOnsets, f1Of, formatTimestamp, parseTimestamp, type Series } from '../../bench/thresholds-data.js';
import { onsetsJson, SHIPPED, DATA_SETS } from '../../bench/eval-thresholds.js';
import { Scorer, SEARCH_SPACE, MIN_GAIN } from '../../bench/thresholds-search.js';
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
