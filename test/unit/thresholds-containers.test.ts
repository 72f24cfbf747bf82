/**
 * The shipped defaults on container traces recorded through the real collector at
 * 30 s (bench/data/containers, recorded with `npm run record:containers`): the
 * detector alone, then the whole processor engine with its alert rules.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DynamicThreshold, thresholdOptions, type ThresholdResult } from '../../processor/thresholds/index.js';
import { metricOf } from '../../bench/thresholds-search.js';
import { HostEngine } from '../../processor/engine.js';
import { newHostState } from '../../processor/state.js';
import { parseConfig, DEFAULTS } from '../../common/config.js';
import type { ContainerSample } from '../../common/queue/payload.js';
import { loadSeries, parseTimestamp, type Series } from '../../bench/thresholds-data.js';
import { ROOT } from '../helpers/paths.js';

const DIR = path.join(ROOT, 'bench', 'data', 'containers');
const FOLDER = 'docker30s';
const series = new Map(loadSeries(DIR, path.join(DIR, 'labels', 'combined_windows.json')).map((s) => [s.name, s]));
const meta = JSON.parse(readFileSync(path.join(DIR, 'meta.json'), 'utf8')) as {
  step: { at: string };
  leak: { from: string; to: string };
  memoryLimits: Record<string, number>;
};
const trace = (pattern: string, metric: string): Series => {
  const s = series.get(`${FOLDER}/${pattern}_${metric}.csv`);
  if (!s) throw new Error(`no trace ${pattern}_${metric}`);
  return s;
};

/** The detector as the processor runs it for the series' metric. */
function run(s: Series): ThresholdResult[] {
  const d = new DynamicThreshold(thresholdOptions(DEFAULTS.processor.thresholds, metricOf(s.name)));
  return Array.from(s.times, (t, i) => d.update(t, s.values[i]));
}
const onsetTimes = (s: Series, r: ThresholdResult[]) => Array.from(s.times).filter((_, i) => r[i].anomaly);

describe('dynamic thresholds on container traces recorded at 30 s', () => {
  it('has the six patterns, each warm well before its end, and the step after the warm-up', () => {
    const warmup = DEFAULTS.processor.thresholds.warmup;
    for (const p of ['idle', 'steady', 'periodic', 'sawtooth', 'leak', 'step']) {
      for (const m of ['cpu_percent', 'mem_usage']) {
        const s = trace(p, m);
        expect(s.times[s.times.length - 1] - s.times[0]).to.be.greaterThan(warmup + 10 * 60_000);
        expect(run(s).at(-1)!.warm).to.equal(true);
        if (p === 'step') expect(parseTimestamp(meta.step.at)).to.be.greaterThan(s.times[0] + warmup);
      }
    }
  });

  for (const p of ['idle', 'steady', 'periodic', 'sawtooth']) {
    it(`raises no anomaly on the ${p} container`, () => {
      for (const m of ['cpu_percent', 'mem_usage']) {
        const s = trace(p, m);
        expect(onsetTimes(s, run(s)).map((t) => new Date(t).toISOString()), `${p} ${m}`).to.deep.equal([]);
      }
    });
  }

  // Taking the new level as normal needs `newNormal` (4 h) after the step, longer than the
  // recording: thresholds.test.ts has it on a synthetic step.
  it('raises one anomaly at the step, and none after it', () => {
    const at = parseTimestamp(meta.step.at);
    for (const m of ['cpu_percent', 'mem_usage']) {
      const s = trace('step', m);
      const onsets = onsetTimes(s, run(s));
      expect(onsets, m).to.have.length(1);
      expect(onsets[0] - at, m).to.be.within(0, 5 * 60_000);
    }
  });
});

/** One host job per sample time, with every traced container in it. */
function jobs() {
  const patterns = ['idle', 'steady', 'periodic', 'sawtooth', 'leak', 'step'];
  const times = new Set<number>();
  for (const p of patterns) for (const t of trace(p, 'mem_usage').times) times.add(t);
  const value = (p: string, m: string, t: number): number | null => {
    const s = trace(p, m);
    const i = s.times.indexOf(t);
    return i >= 0 ? s.values[i] : null;
  };
  const started = Math.min(...times) - 60_000;
  return [...times].sort((a, b) => a - b).map((t) => ({
    v: 1 as const,
    host: 'traces',
    time: t,
    containers: patterns.map((p): ContainerSample => ({
      id: p.padEnd(64, '0'),
      name: p,
      image: 'busybox',
      state: 'running',
      startedAt: started,
      restartCount: 0,
      cpu: { percent: value(p, 'cpu_percent', t) },
      mem: { usage: value(p, 'mem_usage', t), limit: meta.memoryLimits[`${FOLDER}/${p}_mem_usage.csv`], percent: null },
    })),
  }));
}

describe('the processor on the recorded container traces, with its default configuration', () => {
  const engine = new HostEngine(parseConfig({}).processor, false);
  const state = newHostState('traces');
  const transitions: Array<{ key: string; status: string; time: number }> = [];
  for (const job of jobs()) {
    for (const t of engine.applySamples(state, job).transitions) transitions.push({ key: t.key, status: t.status, time: t.time });
  }
  const of = (container: string) => transitions.filter((t) => t.key.endsWith(`|${container}`));

  it('raises no anomaly alert on the idle, steady, periodic and sawtooth containers', () => {
    for (const c of ['idle', 'steady', 'periodic', 'sawtooth']) {
      expect(of(c).filter((t) => t.key.startsWith('anomaly.')), c).to.deep.equal([]);
    }
  });

  it('raises no exhaustion alert on them, not even in their first minutes', () => {
    // The trend waits for half its window: two rising edges of a saw-tooth are not a leak.
    for (const c of ['idle', 'steady', 'periodic', 'sawtooth']) {
      expect(of(c).filter((t) => t.key.startsWith('exhaustion.')), c).to.deep.equal([]);
    }
  });

  it('alerts on the leak before memory reaches the limit', () => {
    const leak = of('leak');
    const limit = meta.memoryLimits[`${FOLDER}/leak_mem_usage.csv`];
    const mem = trace('leak', 'mem_usage');
    const full = mem.times.find((_, i) => mem.values[i] >= limit) ?? Infinity;
    const first = leak.find((t) => t.status === 'firing');
    expect(first, JSON.stringify(leak)).to.not.equal(undefined);
    expect(first!.key).to.match(/^(exhaustion|anomaly)\.mem_usage\|/);
    expect(first!.time).to.be.above(parseTimestamp(meta.leak.from));
    expect(first!.time).to.be.below(full);
    // well before the limit: in the first half of the leak
    const from = parseTimestamp(meta.leak.from);
    expect(first!.time).to.be.below(from + (parseTimestamp(meta.leak.to) - from) / 2);
  });

  it('alerts once on the step for each metric, and resolves', () => {
    const step = of('step');
    for (const m of ['cpu_percent', 'mem_usage']) {
      const k = step.filter((t) => t.key.startsWith(`anomaly.${m}|`)).map((t) => t.status);
      expect(k, m).to.deep.equal(['firing', 'resolved']);
    }
    expect(step.filter((t) => !t.key.startsWith('anomaly.'))).to.deep.equal([]);
  });
});
