import { expect } from 'chai';
import { addSample, newMetricState } from '../../processor/rollup.js';
import { counterRate, metricValues, currentCounters } from '../../processor/metrics.js';
import { addTrendSample, fitTrend } from '../../processor/predict.js';
import type { ContainerSample } from '../../common/queue/payload.js';

const win = { averageWindow: 300_000, deltaWindow: 60_000 };
const T0 = 1_700_000_000_000;

describe('processor rollups', () => {
  it('averages the samples of the window and drops older ones', () => {
    const m = newMetricState();
    let r;
    for (let i = 0; i < 20; i++) r = addSample(m, T0 + i * 30_000, i, win);
    // window (t-5m, t]: samples 10..19
    expect(r!.count).to.equal(10);
    expect(r!.avg).to.equal(14.5);
    expect(r!.min).to.equal(10);
    expect(r!.max).to.equal(19);
    expect(r!.value).to.equal(19);
  });

  it('delta is the change of the average over deltaWindow', () => {
    const m = newMetricState();
    let r;
    for (let i = 0; i < 20; i++) r = addSample(m, T0 + i * 30_000, i, win);
    // avg at 19 is 14.5, at 17 (one minute before) 12.5
    expect(r!.delta).to.equal(2);
  });

  it('has no delta on the first samples or after a gap', () => {
    const m = newMetricState();
    expect(addSample(m, T0, 1, win).delta).to.equal(undefined);
    expect(addSample(m, T0 + 30_000, 1, win).delta).to.equal(undefined);
    expect(addSample(m, T0 + 60_000, 1, win).delta).to.equal(0);
    const after = addSample(m, T0 + 60_000 + 10 * 60_000, 5, win);
    expect(after.delta).to.equal(undefined);
    expect(after.count).to.equal(1);
    expect(after.avg).to.equal(5);
  });
});

describe('processor rates', () => {
  it('computes bytes/s from consecutive counters', () => {
    expect(counterRate(1000, 4000, 30_000)).to.equal(100);
  });

  it('gives no rate when a counter went backwards, is missing or NaN', () => {
    expect(counterRate(5000, 100, 30_000)).to.equal(undefined);
    expect(counterRate(null, 100, 30_000)).to.equal(undefined);
    expect(counterRate(100, null, 30_000)).to.equal(undefined);
    expect(counterRate(100, NaN, 30_000)).to.equal(undefined);
    expect(counterRate(100, 200, 0)).to.equal(undefined);
  });

  const sample = (rx: number | null, startedAt: number, cpu: number | null = 10): ContainerSample => ({
    id: 'x', name: 'x', image: 'i', state: 'running', startedAt,
    cpu: { percent: cpu }, mem: { usage: 100, limit: 1000, percent: null }, net: { rx, tx: 0 }, blkio: { read: 0, write: 0 },
  });

  it('gives no rate across a container restart, even when the counter grew', () => {
    const prev = currentCounters(sample(1000, T0 - 60_000), T0);
    const v = metricValues(sample(900_000, T0 + 10_000), T0 + 30_000, prev, 300_000);
    expect(v).to.not.have.property('net_rx_rate');
  });

  it('gives no rate across a gap longer than maxGap', () => {
    const prev = currentCounters(sample(1000, T0 - 60_000), T0);
    expect(metricValues(sample(2000, T0 - 60_000), T0 + 600_000, prev, 300_000)).to.not.have.property('net_rx_rate');
    expect(metricValues(sample(2000, T0 - 60_000), T0 + 30_000, prev, 300_000).net_rx_rate).to.be.closeTo(33.33, 0.01);
  });

  it('leaves out NaN, null and negative gauges; derives mem_percent', () => {
    const v = metricValues({ ...sample(1, T0), cpu: { percent: -1 }, pids: { current: NaN, limit: null } }, T0, null, 300_000);
    expect(v).to.not.have.property('cpu_percent');
    expect(v).to.not.have.property('pids');
    expect(v.mem_percent).to.equal(10);
  });
});

describe('processor trend', () => {
  const o = { window: 1_800_000, buckets: 12, minSamples: 5 };

  it('estimates when a linear rise reaches the limit', () => {
    const p: number[] = [];
    // 1 MB per 30 s from 100 MB; limit 200 MB
    for (let i = 0; i < 40; i++) addTrendSample(p, T0 + i * 30_000, 100e6 + i * 1e6, o);
    const now = T0 + 39 * 30_000;
    const tr = fitTrend(p, now, 200e6, 3_600_000, o)!;
    expect(tr.slope).to.be.closeTo(1e6 / 30, 1);
    // at 139 MB now, 61 MB to go at 33.3 kB/s = 1830 s
    expect(tr.eta!).to.be.closeTo(1830, 40);
  });

  it('is robust to spikes and has no eta when flat or falling', () => {
    const p: number[] = [];
    for (let i = 0; i < 40; i++) addTrendSample(p, T0 + i * 30_000, i % 9 === 0 ? 190e6 : 100e6, o);
    const tr = fitTrend(p, T0 + 39 * 30_000, 200e6, 3_600_000, o)!;
    expect(Math.abs(tr.slope)).to.be.lessThan(2000);
    const q: number[] = [];
    for (let i = 0; i < 40; i++) addTrendSample(q, T0 + i * 30_000, 150e6 - i * 1e6, o);
    expect(fitTrend(q, T0 + 39 * 30_000, 200e6, 3_600_000, o)!.eta).to.equal(undefined);
  });

  it('waits until its history spans half the window', () => {
    const p: number[] = [];
    // 1 MB per 30 s: a clear rise, but only 10 min of a 30 min window
    for (let i = 0; i < 20; i++) addTrendSample(p, T0 + i * 30_000, 100e6 + i * 1e6, o);
    expect(fitTrend(p, T0 + 19 * 30_000, 200e6, 3_600_000, o)).to.equal(undefined);
    for (let i = 20; i < 31; i++) addTrendSample(p, T0 + i * 30_000, 100e6 + i * 1e6, o);
    expect(fitTrend(p, T0 + 30 * 30_000, 200e6, 3_600_000, o)!.eta).to.be.a('number');
  });

  it('needs minSamples and three buckets', () => {
    const p: number[] = [];
    addTrendSample(p, T0, 1, o);
    addTrendSample(p, T0 + 30_000, 2, o);
    expect(fitTrend(p, T0 + 30_000, 10, 3_600_000, o)).to.equal(undefined);
  });
});
