/**
 * What the processor writes and keeps: the stored rollup's windows, when a
 * band or a trend is written, the lines' shape, and the host state's stored form.
 */
import { expect } from 'chai';
import { addToWindow, summarize, windowPhase, windowStart, type OpenWindow } from '../../processor/window.js';
import { bandPoint, trendPoint, reachesSoon, BAND_MOVE } from '../../processor/cadence.js';
import { rollupLines, thresholdLine } from '../../processor/lines.js';
import { decodeHostState, encodeHostState, newHostState, newContainerState } from '../../processor/state.js';
import type { ThresholdResult } from '../../processor/thresholds/index.js';

const W = 300_000;
const T0 = 1_700_000_000_000;

describe('processor stored rollup windows', () => {
  it('closes a window at the first sample after it, with the mean, min and max of its samples, stamped at its start', () => {
    const phase = 12_345;
    let w: OpenWindow | undefined;
    const closed = [];
    for (let i = 0; i < 25; i++) {
      const r = addToWindow(w, T0 + i * 30_000, i, W, phase);
      w = r.open;
      if (r.closed) closed.push(r.closed);
    }
    expect(closed.length).to.be.within(2, 3);
    for (const c of closed) {
      expect((c.start - phase) % W).to.equal(0);
      // samples i with windowStart(T0 + 30 s i) === c.start
      const mine = Array.from({ length: 25 }, (_, i) => i).filter((i) => windowStart(T0 + i * 30_000, W, phase) === c.start);
      expect(c.count).to.equal(mine.length);
      expect(c.min).to.equal(mine[0]);
      expect(c.max).to.equal(mine[mine.length - 1]);
      expect(c.mean).to.equal(mine.reduce((a, b) => a + b, 0) / mine.length);
    }
    // the last window stays open until a sample after it; summarize gives its figures so far
    expect(summarize(w!).count).to.be.greaterThan(0);
  });

  it('spreads containers over the window: their windows start at offsets of their own, the same every time', () => {
    const phases = Array.from({ length: 200 }, (_, i) => windowPhase('web-1', `app-${i}`, W));
    expect(windowPhase('web-1', 'app-7', W)).to.equal(phases[7]);
    for (const p of phases) expect(p).to.be.within(0, W - 1);
    // about a tenth of them in each tenth of the window, not all at its start
    const tenths = new Array(10).fill(0);
    for (const p of phases) tenths[Math.floor((p / W) * 10)]++;
    for (const n of tenths) expect(n).to.be.within(5, 40);
  });

  it('a sample older than the open window starts afresh instead of mixing windows', () => {
    const first = addToWindow(undefined, T0 + W, 5, W, 0);
    const back = addToWindow(first.open, T0, 7, W, 0);
    expect(back.closed).to.equal(undefined);
    expect(back.open).to.deep.equal([windowStart(T0, W, 0), 7, 7, 7, 1]);
  });

  it('writes every metric of a container on one line per window start, fields named <metric>_<stat>', () => {
    const lines = rollupLines('web 1', 'app', [
      ['cpu_percent', { start: T0, mean: 2.5, min: 1, max: 4, count: 4 }],
      ['mem_usage', { start: T0, mean: 100, min: 90, max: 110, count: 4 }],
      ['net_rx_rate', { start: T0 - W, mean: 7, min: 7, max: 7, count: 1 }],
    ]);
    expect(lines).to.deep.equal([
      `shipwatch_rollup,container_name=app,engine_host=web\\ 1 cpu_percent_mean=2.5,cpu_percent_min=1,cpu_percent_max=4,mem_usage_mean=100,mem_usage_min=90,mem_usage_max=110 ${T0}000000`,
      `shipwatch_rollup,container_name=app,engine_host=web\\ 1 net_rx_rate_mean=7,net_rx_rate_min=7,net_rx_rate_max=7 ${T0 - W}000000`,
    ]);
  });
});

describe('processor output cadence', () => {
  const band = (lower: number, upper: number, o: Partial<ThresholdResult> = {}): ThresholdResult =>
    ({ baseline: (lower + upper) / 2, lower, upper, warm: true, outside: false, anomaly: false, score: 0, ...o });

  it('writes a band once the detector has learned, then when an edge moved by more than BAND_MOVE of its width, and once per window', () => {
    expect(bandPoint(undefined, band(0, 10, { warm: false }), true), 'still learning').to.equal(undefined);
    const first = bandPoint(undefined, band(0, 10), false);
    expect(first).to.deep.equal([0, 10, 0]);
    expect(bandPoint(first, band(0.5, 10.5), false), 'moved 5 % of the width').to.equal(undefined);
    expect(bandPoint(first, band(0, 10 + 10 * BAND_MOVE * 1.5), false)).to.deep.equal([0, 11.5, 0]);
    expect(bandPoint(first, band(0.5, 10.5), true), 'a new window').to.deep.equal([0.5, 10.5, 0]);
  });

  it('writes every point outside the band, and the first one back', () => {
    const inside = [0, 10, 0];
    const out = bandPoint(inside, band(0, 10, { score: 2, outside: true }), false);
    expect(out).to.deep.equal([0, 10, 2]);
    expect(bandPoint(out, band(0, 10), false), 'back inside').to.deep.equal([0, 10, 0]);
    expect(bandPoint([0, 10, 0], band(0, 10), false)).to.equal(undefined);
    expect(bandPoint(inside, band(0, 10, { anomaly: true }), false)).to.not.equal(undefined);
  });

  it('writes a trend once per window and when it starts or stops reaching the limit within the horizon', () => {
    const hour = 3_600_000;
    const soon = reachesSoon({ slope: 1, fitted: 0, eta: 600, predicted: 0 }, hour);
    const late = reachesSoon({ slope: 1, fitted: 0, eta: 7200, predicted: 0 }, hour);
    const flat = reachesSoon({ slope: 0, fitted: 0, eta: undefined, predicted: 0 }, hour);
    expect([soon, late, flat]).to.deep.equal([true, false, false]);
    expect(trendPoint(undefined, false, false)).to.equal(true);
    expect(trendPoint(false, false, false)).to.equal(false);
    expect(trendPoint(false, true, false)).to.equal(true);
    expect(trendPoint(true, true, true)).to.equal(true);
  });

  it('a band line carries score and anomaly only outside the band', () => {
    const t = T0;
    expect(thresholdLine('h', 'c', [['cpu_percent', band(1, 3)]], t)).to.equal(`shipwatch_threshold,container_name=c,engine_host=h cpu_percent_baseline=2,cpu_percent_lower=1,cpu_percent_upper=3 ${t}000000`);
    expect(thresholdLine('h', 'c', [['cpu_percent', band(1, 3, { score: 4.5, anomaly: true })]], t)).to.equal(
      `shipwatch_threshold,container_name=c,engine_host=h cpu_percent_baseline=2,cpu_percent_lower=1,cpu_percent_upper=3,cpu_percent_score=4.5,cpu_percent_anomaly=true ${t}000000`,
    );
  });
});

describe('processor host state, stored form', () => {
  const state = () => {
    const s = newHostState('web-1');
    s.t = T0;
    s.lid = 's-web-1-1';
    const c = newContainerState('a'.repeat(64), 'app', 'img:1');
    c.m.cpu_percent = { w: [T0, 1.5], h: [T0, 1.5], tw: [T0, 1.5, 1.5, 1.5, 1], tb: [0, 3, 0], an: false };
    c.m.mem_usage = { w: [T0, 2 ** 40 + 0.25], h: [], p: [T0, 5, 1], ps: false };
    s.c[c.id] = c;
    return s;
  };

  it('reads back what it wrote, numbers exact', () => {
    const s = state();
    const raw = encodeHostState(s);
    expect(raw).to.be.instanceOf(Buffer);
    expect(decodeHostState('web-1', raw)).to.deep.equal(s);
  });

  it('reads the JSON documents of earlier versions, detector states stored as value arrays', () => {
    const s = state();
    const th = { version: 1, learned: 3, level: 2 };
    s.c['a'.repeat(64)].m.cpu_percent.th = th as never;
    const old = JSON.parse(JSON.stringify(s));
    old.c['a'.repeat(64)].m.cpu_percent.th = [1, 3, 2];
    old.thk = ['version', 'learned', 'level'];
    expect(decodeHostState('web-1', Buffer.from(JSON.stringify(old)))).to.deep.equal(s);
    expect(decodeHostState('web-1', JSON.stringify(old))).to.deep.equal(s);
  });

  it('starts afresh on nothing stored, another host or another version', () => {
    expect(decodeHostState('web-1', null)).to.deep.equal(newHostState('web-1'));
    expect(decodeHostState('web-2', encodeHostState(state()))).to.deep.equal(newHostState('web-2'));
    expect(decodeHostState('web-1', encodeHostState({ ...state(), sv: 99 }))).to.deep.equal(newHostState('web-1'));
  });
});
