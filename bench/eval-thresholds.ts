/**
 * Scores the processor's dynamic-threshold detector on labelled anomaly series
 * (NAB format) against a static mean ± 3σ threshold, and measures its update rate.
 *
 *   npm run eval:thresholds [folder] [labelsFile] [--verbose] [--lofo] [--sensitivity]
 *
 * --verbose      per-series counts
 * --lofo         leave-one-folder-out check of the parameter choice (a small grid)
 * --sensitivity  F1 when one parameter at a time moves away from its default
 *
 * folder defaults to bench/data/nab (a copy of NAB's series, with its license); labelsFile to
 * <folder>/labels/combined_windows.json. Scoring: a detection is an alarm onset;
 * the first 15 % of each series is probationary (its onsets, and windows ending
 * in it, are not scored); a window with an onset is a true positive, one without
 * a false negative; an onset outside every window is a false positive.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DynamicThreshold, DEFAULT_THRESHOLD_OPTIONS } from '../processor/thresholds/index.js';
import type { ThresholdOptions } from '../processor/thresholds/index.js';

export const PROBATION_FRACTION = 0.15;
const DAY_MS = 86_400_000;

/** The option set scored here: the defaults plus an hour-of-day profile. */
export const EVAL_OPTIONS: Partial<ThresholdOptions> = {
  ...DEFAULT_THRESHOLD_OPTIONS,
  seasonality: { periodMs: DAY_MS, buckets: 24 },
};

export interface Series {
  /** "<folder>/<file>.csv", as in the labels file */
  name: string;
  times: Float64Array;
  values: Float64Array;
  /** [start, end] in ms, inclusive */
  windows: Array<[number, number]>;
}

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/;

/** "YYYY-MM-DD HH:MM:SS[.ffffff]" as UTC milliseconds. */
export function parseTimestamp(text: string): number {
  const m = TIMESTAMP.exec(text.trim());
  if (!m) throw new Error(`bad timestamp: ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s, frac] = m;
  const ms = frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
  return Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, ms);
}

export function loadSeries(folder: string, labelsFile: string): Series[] {
  const labels = JSON.parse(readFileSync(labelsFile, 'utf8')) as Record<string, Array<[string, string]>>;
  const out: Series[] = [];
  for (const name of Object.keys(labels).sort()) {
    const file = join(folder, name);
    if (!existsSync(file)) continue;
    const lines = readFileSync(file, 'utf8').split(/\r?\n/);
    const times: number[] = [];
    const values: number[] = [];
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      if (!line) continue;
      const comma = line.indexOf(',');
      times.push(parseTimestamp(line.slice(0, comma)));
      const text = line.slice(comma + 1).trim();
      values.push(text === '' ? NaN : Number(text)); // a blank value is missing, not zero
    }
    const windows = labels[name].map(([a, b]): [number, number] => [parseTimestamp(a), parseTimestamp(b)]);
    out.push({ name, times: Float64Array.from(times), values: Float64Array.from(values), windows });
  }
  return out;
}

/** Scores alarm onsets (sample indexes, ascending) of one series. */
export function scoreOnsets(series: Series, onsets: number[]): Counts {
  const probation = Math.floor(PROBATION_FRACTION * series.times.length);
  const probationEnd = series.times[probation] ?? Infinity;
  const scored = series.windows.filter(([, end]) => end >= probationEnd);
  const hit = new Array<boolean>(scored.length).fill(false);
  let fp = 0;
  for (const i of onsets) {
    if (i < probation) continue;
    const t = series.times[i];
    let inside = false;
    for (let w = 0; w < scored.length; w++) {
      if (t >= scored[w][0] && t <= scored[w][1]) {
        hit[w] = true;
        inside = true;
      }
    }
    if (!inside) fp++;
  }
  const tp = hit.filter(Boolean).length;
  return { tp, fp, fn: scored.length - tp };
}

export function f1Of(c: Counts): { precision: number; recall: number; f1: number } {
  const precision = c.tp + c.fp > 0 ? c.tp / (c.tp + c.fp) : 0;
  const recall = c.tp + c.fn > 0 ? c.tp / (c.tp + c.fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}

export function sumCounts(list: Counts[]): Counts {
  return list.reduce((a, c) => ({ tp: a.tp + c.tp, fp: a.fp + c.fp, fn: a.fn + c.fn }), { tp: 0, fp: 0, fn: 0 });
}

/** A detector over a whole series: returns the onset indexes. */
export type Detector = (series: Series) => number[];

export function dynamicDetector(opts: Partial<ThresholdOptions>): Detector {
  return (series) => {
    const d = new DynamicThreshold(opts);
    const onsets: number[] = [];
    for (let i = 0; i < series.times.length; i++) {
      if (d.update(series.times[i], series.values[i]).anomaly) onsets.push(i);
    }
    return onsets;
  };
}

/** Static |x − mean| > k·σ, mean and σ from the probationary period; onsets start runs. */
export function staticDetector(k = 3): Detector {
  return (series) => {
    const n = Math.max(1, Math.floor(PROBATION_FRACTION * series.values.length));
    let sum = 0;
    for (let i = 0; i < n; i++) sum += series.values[i];
    const mean = sum / n;
    let sq = 0;
    for (let i = 0; i < n; i++) sq += (series.values[i] - mean) ** 2;
    const limit = k * Math.sqrt(sq / n);
    const onsets: number[] = [];
    let above = false;
    for (let i = 0; i < series.values.length; i++) {
      const out = Math.abs(series.values[i] - mean) > limit;
      if (out && !above) onsets.push(i);
      above = out;
    }
    return onsets;
  };
}

/**
 * Sliding-window z-score: |x − mean| > k·σ of the previous `window` samples,
 * onsets start runs (the common "rolling 3σ" dynamic threshold).
 */
export function rollingDetector(window: number, k: number): Detector {
  return (series) => {
    const v = series.values;
    const onsets: number[] = [];
    let sum = 0;
    let sq = 0;
    let above = false;
    for (let i = 0; i < v.length; i++) {
      if (i >= window) {
        const mean = sum / window;
        const sd = Math.sqrt(Math.max(0, sq / window - mean * mean));
        const out = Math.abs(v[i] - mean) > k * sd && sd > 0;
        if (out && !above) onsets.push(i);
        above = out;
        sum -= v[i - window];
        sq -= v[i - window] ** 2;
      }
      sum += v[i];
      sq += v[i] ** 2;
    }
    return onsets;
  };
}

export function evaluate(all: Series[], detector: Detector): Map<string, Counts> {
  const out = new Map<string, Counts>();
  for (const s of all) out.set(s.name, scoreOnsets(s, detector(s)));
  return out;
}

const folderOf = (name: string): string => name.split('/')[0];

/** Updates per second of one detector fed every series back to back (times kept increasing). */
export function measureRate(all: Series[], opts: Partial<ThresholdOptions>, passes = 5): number {
  let count = 0;
  for (const s of all) count += s.times.length;
  const times = new Float64Array(count);
  const values = new Float64Array(count);
  let at = 0;
  let next = 0;
  for (const s of all) {
    const offset = next - s.times[0];
    for (let i = 0; i < s.times.length; i++, at++) {
      times[at] = s.times[i] + offset;
      values[at] = s.values[i];
    }
    next = times[at - 1] + 60_000;
  }
  const rates: number[] = [];
  // summing the scores keeps the results alive, and checks they stay finite
  let scores = 0;
  for (let p = 0; p < passes + 1; p++) {
    const d = new DynamicThreshold(opts);
    const start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) scores += d.update(times[i], values[i]).score;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (p > 0) rates.push(count / seconds); // the first pass warms the JIT up
  }
  if (!Number.isFinite(scores)) throw new Error('thresholds: a non-finite score');
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

function fmt(x: number): string {
  return x.toFixed(2);
}

function row(label: string, c: Counts): string {
  const { precision, recall, f1 } = f1Of(c);
  const n = (x: number, w: number) => String(x).padStart(w);
  return `${label.padEnd(46)} ${n(c.tp, 3)} ${n(c.fp, 4)} ${n(c.fn, 3)}  ${fmt(precision)}  ${fmt(recall)}  ${fmt(f1)}`;
}

const total = (m: Map<string, Counts>, pick: (name: string) => boolean = () => true): Counts =>
  sumCounts([...m].filter(([n]) => pick(n)).map(([, c]) => c));

/** Every combination of the listed values, over `base`. */
function grid(base: Partial<ThresholdOptions>, axes: Record<string, number[]>): Array<Partial<ThresholdOptions>> {
  let out: Array<Partial<ThresholdOptions>> = [base];
  for (const [key, values] of Object.entries(axes)) {
    out = out.flatMap((o) => values.map((v) => ({ ...o, [key]: v })));
  }
  return out;
}

/** The knobs that matter most, each at the default and on both sides of it. */
export const TUNING_AXES: Record<string, number[]> = {
  bandWidth: [6, 8, 10],
  tailMargin: [1.25, 1.5, 2],
  tailRate: [0.02, 0.03, 0.05],
  repeatHalfLife: [2000, 8000, 16000],
  repeatMargin: [1.05, 1.1, 1.2],
};

/**
 * For each folder: pick the grid point with the best F1 on the other folders, score
 * it on the held-out one. Summed over folders, this estimates the F1 of the tuning
 * procedure on data it did not see.
 */
function leaveOneFolderOut(all: Series[]): void {
  const candidates = grid(EVAL_OPTIONS, TUNING_AXES);
  const results = candidates.map((opts) => evaluate(all, dynamicDetector(opts)));
  const folders = [...new Set(all.map((s) => folderOf(s.name)))];
  const heldOut: Counts[] = [];
  console.log(`leave-one-folder-out over ${candidates.length} parameter sets:`);
  console.log(`${'held-out folder'.padEnd(46)}  TP   FP  FN     P     R    F1 | chosen on the others`);
  for (const folder of folders) {
    const others = (n: string) => folderOf(n) !== folder;
    let best = 0;
    for (let i = 1; i < results.length; i++) {
      if (f1Of(total(results[i], others)).f1 > f1Of(total(results[best], others)).f1) best = i;
    }
    const c = total(results[best], (n) => folderOf(n) === folder);
    heldOut.push(c);
    const chosen = Object.keys(TUNING_AXES)
      .map((k) => `${k} ${(candidates[best] as Record<string, unknown>)[k]}`)
      .join(', ');
    console.log(`${row(folder, c)} | ${chosen}`);
  }
  console.log(row('all folders, each scored held-out', sumCounts(heldOut)));
  const f1s = results.map((m) => f1Of(total(m)).f1).sort((a, b) => a - b);
  console.log(
    `F1 over the whole grid: min ${fmt(f1s[0])}, median ${fmt(f1s[f1s.length >> 1])}, max ${fmt(f1s[f1s.length - 1])}`,
  );
  console.log('');
}

/** F1 with one option at a time moved away from its default. */
function sensitivity(all: Series[]): void {
  const axes: Record<string, number[]> = {
    ...TUNING_AXES,
    levelRate: [0.005, 0.01, 0.02],
    scaleRate: [0.005, 0.01, 0.02],
    seasonalRate: [0.03, 0.05, 0.1],
    huberClip: [1.5, 2, 2.5],
    shiftSamples: [20, 30, 50],
    minSpreadScale: [0, 0.1, 0.2],
    refractorySamples: [0, 36, 72],
  };
  console.log('sensitivity: F1 (TP/FP) with one option changed, the rest at their defaults');
  for (const [key, values] of Object.entries(axes)) {
    const cells = values.map((v) => {
      const c = total(evaluate(all, dynamicDetector({ ...EVAL_OPTIONS, [key]: v })));
      return `${v}: ${fmt(f1Of(c).f1)} (${c.tp}/${c.fp})`;
    });
    console.log(`  ${key.padEnd(18)} ${cells.join('   ')}`);
  }
  console.log('');
}

function main(): void {
  const args = process.argv.slice(2);
  const flags = new Set(args.filter((a) => a.startsWith('--')));
  const positional = args.filter((a) => !a.startsWith('--'));
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const folder = resolve(positional[0] ?? join(repoRoot, 'bench', 'data', 'nab'));
  const labelsFile = resolve(positional[1] ?? join(folder, 'labels', 'combined_windows.json'));
  const all = loadSeries(folder, labelsFile);
  if (all.length === 0) throw new Error(`no labelled series found in ${folder}`);

  const variants: Array<[string, Detector]> = [
    ['dynamic: defaults + hour-of-day profile', dynamicDetector(EVAL_OPTIONS)],
    ['  same, no seasonal profile', dynamicDetector({ ...EVAL_OPTIONS, seasonality: undefined })],
    ['  same, no repeat memory', dynamicDetector({ ...EVAL_OPTIONS, repeatHalfLife: 0 })],
    ['  same, no tail trackers', dynamicDetector({ ...EVAL_OPTIONS, tailMargin: 1e-9 })],
    [
      '  plain robust band (neither of the two)',
      dynamicDetector({ ...EVAL_OPTIONS, tailMargin: 1e-9, repeatHalfLife: 0 }),
    ],
    ['  same as dynamic, no Huber clipping', dynamicDetector({ ...EVAL_OPTIONS, huberClip: 1e12 })],
    ['rolling mean ± 3σ of the last 288 samples', rollingDetector(288, 3)],
    ['static mean ± 3σ of the probation period', staticDetector(3)],
  ];
  const results = variants.map(([label, det]) => [label, evaluate(all, det)] as const);
  const ours = results[0][1];
  const baseline = results[results.length - 1][1];

  if (flags.has('--verbose')) {
    console.log(`${'series'.padEnd(58)} win  TP   FP  FN | static TP FP FN`);
    for (const s of all) {
      const c = ours.get(s.name) as Counts;
      const b = baseline.get(s.name) as Counts;
      const n = (x: number, w: number) => String(x).padStart(w);
      const counts = `${n(c.tp + c.fn, 3)} ${n(c.tp, 3)} ${n(c.fp, 4)} ${n(c.fn, 3)}`;
      console.log(`${s.name.padEnd(58)} ${counts} | ${b.tp} ${b.fp} ${b.fn}`);
    }
    console.log('');
  }

  let windows = 0;
  for (const c of ours.values()) windows += c.tp + c.fn;
  console.log(`${all.length} series, ${windows} scored windows`);
  console.log(`${'detector'.padEnd(46)}  TP   FP  FN     P     R    F1`);
  for (const [label, map] of results) console.log(row(label, total(map)));
  console.log('');
  const folders = [...new Set(all.map((s) => folderOf(s.name)))];
  const subsets: Array<[string, (n: string) => boolean]> = [
    ['artificial*', (n) => n.startsWith('artificial')],
    ['real*', (n) => !n.startsWith('artificial')],
    ...folders.map((f): [string, (n: string) => boolean] => [f, (n) => folderOf(n) === f]),
  ];
  console.log(`${'subset (dynamic)'.padEnd(46)}  TP   FP  FN     P     R    F1 | static F1`);
  for (const [label, pick] of subsets) {
    console.log(`${row(label, total(ours, pick))} | ${fmt(f1Of(total(baseline, pick)).f1)}`);
  }
  console.log('');

  if (flags.has('--lofo')) leaveOneFolderOut(all);
  if (flags.has('--sensitivity')) sensitivity(all);

  const passes = 5;
  const rate = measureRate(all, EVAL_OPTIONS, passes);
  const dyn = f1Of(total(ours));
  const base = f1Of(total(baseline));
  const ratio = base.f1 > 0 ? `${(dyn.f1 / base.f1).toFixed(1)}x` : 'n/a';
  const speed = `${Math.round(rate).toLocaleString('en-US')} updates/s (median of ${passes})`;
  console.log(
    `thresholds: F1 ${fmt(dyn.f1)} (P ${fmt(dyn.precision)} R ${fmt(dyn.recall)}) ` +
      `vs static mean+3σ F1 ${fmt(base.f1)} (ratio ${ratio}); ${speed}`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
