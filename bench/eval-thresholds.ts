/**
 * Scores the processor's dynamic-threshold detector, with the processor's default
 * configuration, on labelled series, beside simple thresholds measured in the same
 * run, and measures its update rate.
 *
 *   npm run eval:thresholds [-- FOLDER [LABELS]] [--onsets FILE] [--cv [--cv-starts S,...]] [--verbose]
 *
 * Without FOLDER: bench/data/nab (NAB's series, with its license) and the recorded
 * container traces in bench/data/containers, each scored on its own.
 * FOLDER [LABELS]  another data set in the same format; LABELS defaults to
 *                  FOLDER/labels/combined_windows.json
 * --onsets FILE    writes every series' alarm onsets as JSON,
 *                  {"<folder>/<file>.csv": ["YYYY-MM-DD HH:MM:SS", ...]}
 * --cv             nested cross-validation of the parameter choice over the folders
 *                  (bench/thresholds-search.ts); --cv-starts S,... makes the search
 *                  start from each of low, high, previous given (default: low,high)
 * --verbose        per-series counts
 *
 * The scoring rule is in bench/thresholds-data.ts.
 */
import { writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULTS } from '../common/config.js';
import { DynamicThreshold, thresholdOptions, type ThresholdOptions } from '../processor/thresholds/index.js';
import {
  loadSeries, scoreOnsets, f1Of, sumCounts, folderOf, formatTimestamp, probationEnd,
  type Series, type Counts,
} from './thresholds-data.js';
import { contextNovelty, withNewLevels } from './context-detectors.js';
import { Scorer, nestedCv, choose, describeChoice, detect, STARTS, DEFAULT_STARTS, type Start } from './thresholds-search.js';

/** What the processor runs with its default configuration: the only option set scored. */
export const SHIPPED: ThresholdOptions = thresholdOptions(DEFAULTS.processor.thresholds);

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DATA_SETS = [join(REPO, 'bench', 'data', 'nab'), join(REPO, 'bench', 'data', 'containers')];

/** A detector over a whole series: returns the onset indexes. */
export type Detector = (series: Series) => number[];

/** Static |x − mean| > k·σ, mean and σ from the probationary period; onsets start runs. */
export function staticDetector(k = 3): Detector {
  return (series) => {
    const n = Math.max(1, probationEnd(series));
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

/** Sliding-window z-score: |x − mean| > k·σ of the previous `window` samples, onsets start runs. */
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

/** Every series' onsets as "<folder>/<file>.csv" → timestamps, for any other scorer. */
export function onsetsJson(all: Series[], detector: Detector): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of all) out[s.name] = detector(s).map((i) => formatTimestamp(s.times[i]));
  return out;
}

/** Updates per second of one detector fed every series back to back (times kept increasing). */
export function measureRate(all: Series[], opts: ThresholdOptions, passes = 5): number {
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

const fmt = (x: number): string => x.toFixed(2);

function row(label: string, c: Counts): string {
  const { precision, recall, f1 } = f1Of(c);
  const n = (x: number, w: number) => String(x).padStart(w);
  return `${label.padEnd(44)} ${n(c.tp, 3)} ${n(c.fp, 4)} ${n(c.fn, 3)}  ${fmt(precision)}  ${fmt(recall)}  ${fmt(f1)}`;
}
const HEADER = `${''.padEnd(44)}  TP   FP  FN     P     R    F1`;

const total = (m: Map<string, Counts>, pick: (name: string) => boolean = () => true): Counts =>
  sumCounts([...m].filter(([n]) => pick(n)).map(([, c]) => c));

const shipped: Detector = (s) => detect(s, SHIPPED);

interface DataSet {
  folder: string;
  series: Series[];
}

function load(folder: string, labels?: string): DataSet {
  const series = loadSeries(folder, labels ?? join(folder, 'labels', 'combined_windows.json'));
  if (series.length === 0) throw new Error(`no labelled series found in ${folder}`);
  return { folder, series };
}

/** Scores one data set: the shipped defaults beside the simple thresholds, by folder. */
function report(set: DataSet, verbose: boolean): { ours: Counts; stat: Counts } {
  const variants: Array<[string, Detector]> = [
    ['dynamic threshold, shipped defaults', shipped],
    ['static mean ± 3σ of the first 15 %', staticDetector(3)],
    ['rolling mean ± 3σ of the last 288 samples', rollingDetector(288, 3)],
    // what each part adds: the shipped defaults with one part taken out
    ['  shipped, without the seasonal profile', (x) => detect(x, { ...SHIPPED, seasonality: undefined })],
    ['  shipped, without the repeat memory', (x) => detect(x, { ...SHIPPED, memoryMs: 0 })],
    ['  shipped, without Huber clipping', (x) => detect(x, { ...SHIPPED, huberClip: 1e12 })],
    // CAD OSE's idea, streaming (bench/context-detectors.ts): alone, and added to the shipped defaults
    ['context novelty, 8 levels, order 2, rest 1 h', contextNovelty({ levels: 8, order: 2, warmupMs: SHIPPED.warmupMs, restMs: SHIPPED.refractoryMs })],
    ['  shipped, plus onsets on never-seen levels', withNewLevels(SHIPPED, 8)],
  ];
  const results = variants.map(([label, det]) => [label, evaluate(set.series, det)] as const);
  const ours = results[0][1];
  const windows = sumCounts(ours.values());
  console.log(`${relative(set.folder)}: ${set.series.length} series, ${windows.tp + windows.fn} labelled windows`);
  if (verbose) {
    for (const s of set.series) {
      const c = ours.get(s.name) as Counts;
      console.log(`  ${s.name.padEnd(58)} windows ${c.tp + c.fn}  TP ${c.tp}  FP ${c.fp}  FN ${c.fn}`);
    }
  }
  console.log(HEADER);
  for (const [label, m] of results) console.log(row(label, total(m)));
  const folders = [...new Set(set.series.map((s) => folderOf(s.name)))];
  if (folders.length > 1) {
    for (const f of folders) console.log(row(`  shipped defaults, ${f}`, total(ours, (n) => folderOf(n) === f)));
  }
  console.log('');
  return { ours: total(ours), stat: total(results[1][1]) };
}

function crossValidate(sets: DataSet[], starts: Start[]): void {
  const all = sets.flatMap((s) => s.series);
  const scorer = new Scorer(all);
  const started = Date.now();
  console.log('nested cross-validation: for each folder, the whole parameter choice on the other folders only');
  console.log(`(the search starts the refined knobs at: ${starts.join(', ')})`);
  console.log(`${'held-out folder'.padEnd(44)}  TP   FP  FN     P     R    F1 | chosen on the others`);
  const { pooled } = nestedCv(scorer, (f) => console.log(`${row(f.folder, f.heldOut)} | ${describeChoice(f.chosen)}`), starts);
  console.log(row('pooled over the held-out folders', pooled));
  const onAll = choose(scorer, () => true, starts);
  console.log(`the same choice on all folders: ${describeChoice(onAll)}`);
  console.log(`(${scorer.evaluated} option sets scored in ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  console.log('');
  const cv = f1Of(pooled);
  const nab = sets[0];
  const ours = f1Of(total(evaluate(nab.series, shipped)));
  console.log(
    `thresholds --cv: nested cross-validation F1 ${fmt(cv.f1)} (P ${fmt(cv.precision)} R ${fmt(cv.recall)}) pooled over ` +
      `${new Set(all.map((s) => folderOf(s.name))).size} held-out folders vs shipped defaults F1 ${fmt(ours.f1)} ` +
      `on ${nab.series.length} series of ${relative(nab.folder)}`,
  );
}

const relative = (folder: string): string => (folder.startsWith(REPO + '/') ? folder.slice(REPO.length + 1) : folder);

function main(): void {
  const args = process.argv.slice(2);
  const flags = new Set<string>();
  const positional: string[] = [];
  let onsetsFile: string | undefined;
  let cvStarts: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--onsets') onsetsFile = args[++i];
    else if (args[i] === '--cv-starts') cvStarts = args[++i];
    else if (args[i].startsWith('--')) flags.add(args[i]);
    else positional.push(args[i]);
  }
  if (args.includes('--onsets') && !onsetsFile) throw new Error('--onsets needs a file name');
  const sets = positional[0]
    ? [load(resolve(positional[0]), positional[1] && resolve(positional[1]))]
    : DATA_SETS.filter((d) => existsSync(d)).map((d) => load(d));

  if (onsetsFile) {
    const out: Record<string, string[]> = {};
    for (const set of sets) Object.assign(out, onsetsJson(set.series, shipped));
    writeFileSync(onsetsFile, JSON.stringify(out, null, 1) + '\n');
    console.log(`onsets of ${Object.keys(out).length} series written to ${onsetsFile}`);
  }
  if (flags.has('--cv')) {
    const starts = (cvStarts?.split(',') ?? DEFAULT_STARTS) as Start[];
    for (const s of starts) if (!STARTS.includes(s)) throw new Error(`--cv-starts: one or more of ${STARTS.join(', ')}`);
    return crossValidate(sets, starts);
  }

  const scores = sets.map((set) => [set, report(set, flags.has('--verbose'))] as const);
  const passes = 5;
  const rate = measureRate(sets[0].series, SHIPPED, passes);
  const [first, firstScores] = scores[0];
  const dyn = f1Of(firstScores.ours);
  const stat = f1Of(firstScores.stat);
  const ratio = stat.f1 > 0 ? `${(dyn.f1 / stat.f1).toFixed(1)}x` : 'n/a';
  const others = scores
    .slice(1)
    .map(([set, s]) => {
      const c = s.ours;
      return `; ${relative(set.folder)}: TP ${c.tp} FP ${c.fp} FN ${c.fn}`;
    })
    .join('');
  console.log(
    `thresholds: F1 ${fmt(dyn.f1)} (P ${fmt(dyn.precision)} R ${fmt(dyn.recall)}) on ${first.series.length} series of ` +
      `${relative(first.folder)} vs static mean±3σ F1 ${fmt(stat.f1)} (${ratio})${others}; ` +
      `${Math.round(rate).toLocaleString('en-US')} updates/s (median of ${passes})`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
