/**
 * How the detector's parameters are chosen, and nested cross-validation of that
 * choice (`npm run eval:thresholds -- --cv`).
 *
 * The choice covers every knob of the detector (ThresholdOptions, but `minScale`,
 * a guard against dividing by zero). The knobs that decide what alarms (GRID) are
 * searched exhaustively, the others (REFINE) held at a starting value; then
 * coordinate descent over all knobs starts from the best grid point: each knob in
 * turn moves to the value with the best F1 if that beats the current one by
 * MIN_GAIN, in rounds until a round changes nothing. The REFINE knobs start at
 * their lowest values and, in a second search, at their highest, and the better of
 * the two is the choice: neutral starts, since a start at values picked on this data
 * (`--cv-starts previous`, the middle of each list) would leak the held-out folder
 * into its own choice. F1 is pooled over the series the choice may look at.
 * Deterministic: no random draws.
 *
 * Nested cross-validation: for each folder, the whole choice is made again on the
 * other folders only and the chosen parameters are scored on the held-out folder;
 * the held-out counts are pooled. The shipped defaults are the choice made on all
 * folders; the pooled held-out F1 estimates what that choice is worth on series
 * it never saw.
 */
import { DynamicThreshold, DEFAULT_THRESHOLD_OPTIONS, thresholdOptions } from '../processor/thresholds/index.js';
import { DEFAULTS } from '../common/config.js';
import { PROCESSOR_METRICS } from '../common/schema.js';
import type { ThresholdOptions } from '../processor/thresholds/index.js';
import { scoreOnsets, sumCounts, f1Of, folderOf, type Counts, type Series } from './thresholds-data.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

type Axes = Record<string, unknown[]>;

/** Searched exhaustively: 3^5 x 2 = 486 points. */
export const GRID: Axes = {
  bandWidth: [6, 8, 10],
  repeatMargin: [1.1, 1.25, 1.5],
  memoryMs: [7 * DAY, 28 * DAY, 112 * DAY],
  refractoryMs: [HOUR, 3 * HOUR, 12 * HOUR],
  newNormalMs: [HOUR, 2 * HOUR, 4 * HOUR],
  seasonality: [undefined, { periodMs: DAY, buckets: 24 }],
};

/**
 * Searched by coordinate descent only, from a starting value: each list in ascending
 * order, its middle value the previous release's (for `minSpreadScale`, `forMs`,
 * `warmupMs`, `gapMs`, whose lists are not centred on it, PREVIOUS says which).
 */
export const REFINE: Axes = {
  levelRate: [0.003, 0.01, 0.03],
  seasonalRate: [0.02, 0.05, 0.1],
  huberClip: [1.5, 2, 3],
  minSpreadScale: [0, 0.1, 0.3],
  forMs: [0, 10 * MIN, 30 * MIN],
  warmupMs: [30 * MIN, HOUR, 2 * HOUR],
  gapMs: [HOUR, 6 * HOUR, DAY],
};

/**
 * Where the search starts the REFINE knobs: all lowest and all highest (the choice),
 * or the previous release's values (`--cv-starts`, to see what the start is worth).
 */
export type Start = 'previous' | 'low' | 'high';
export const STARTS: Start[] = ['previous', 'low', 'high'];
export const DEFAULT_STARTS: Start[] = ['low', 'high'];
const PREVIOUS: Record<string, unknown> = { minSpreadScale: 0.3, forMs: 0, warmupMs: HOUR, gapMs: 6 * HOUR };

export const SEARCH_SPACE: Axes = { ...GRID, ...REFINE };
const MAX_ROUNDS = 5;
/** Coordinate descent moves a knob only for at least this much F1 (about one window in fifty). */
export const MIN_GAIN = 0.01;

const METRICS = new Set<string>(Object.values(PROCESSOR_METRICS));

/** The processor metric a series is, by its file name ("<...>_<metric>.csv"), if any. */
export function metricOf(name: string): string | undefined {
  let found: string | undefined;
  for (const m of METRICS) if (name.endsWith(`_${m}.csv`) && (!found || m.length > found.length)) found = m;
  return found;
}

/**
 * Onsets (sample indexes) of the detector with `opts` over a whole series; a series of
 * a processor metric gets that metric's least change, as the processor would run it.
 */
export function detect(series: Series, opts: Partial<ThresholdOptions>): number[] {
  const metric = metricOf(series.name);
  const d = new DynamicThreshold(
    metric ? { ...opts, minWidth: thresholdOptions(DEFAULTS.processor.thresholds, metric).minWidth } : opts,
  );
  const onsets: number[] = [];
  for (let i = 0; i < series.times.length; i++) {
    if (d.update(series.times[i], series.values[i]).anomaly) onsets.push(i);
  }
  return onsets;
}

/** Every option, not only the searched ones: two sets that differ anywhere never share counts. */
const keyOf = (o: ThresholdOptions): string => {
  const r = o as unknown as Record<string, unknown>;
  return JSON.stringify(Object.keys(r).sort().map((k) => [k, r[k] ?? null]));
};

/** Scores option sets on every series once, and remembers the counts. */
export class Scorer {
  private cache = new Map<string, Map<string, Counts>>();
  constructor(readonly series: Series[]) {}

  counts(o: ThresholdOptions): Map<string, Counts> {
    const key = keyOf(o);
    let m = this.cache.get(key);
    if (!m) {
      m = new Map();
      for (const s of this.series) m.set(s.name, scoreOnsets(s, detect(s, o)));
      this.cache.set(key, m);
    }
    return m;
  }

  total(o: ThresholdOptions, pick: (name: string) => boolean): Counts {
    return sumCounts([...this.counts(o)].filter(([n]) => pick(n)).map(([, c]) => c));
  }

  get evaluated(): number {
    return this.cache.size;
  }
}

const withKnob = (o: ThresholdOptions, k: string, v: unknown): ThresholdOptions => ({ ...o, [k]: v });

/** Every grid point, with the REFINE knobs at the given start. */
export function gridPoints(start: Start = 'previous'): ThresholdOptions[] {
  let base: ThresholdOptions = { ...DEFAULT_THRESHOLD_OPTIONS };
  for (const [k, values] of Object.entries(REFINE)) {
    const v = start === 'low' ? values[0] : start === 'high' ? values[values.length - 1] : k in PREVIOUS ? PREVIOUS[k] : values[values.length >> 1];
    base = withKnob(base, k, v);
  }
  let out = [base];
  for (const [k, values] of Object.entries(GRID)) out = out.flatMap((o) => values.map((v) => withKnob(o, k, v)));
  return out;
}

/** Grid search, then coordinate descent, from one set of grid points. */
function descend(scorer: Scorer, pick: (name: string) => boolean, points: ThresholdOptions[]): [ThresholdOptions, number] {
  const f1 = (o: ThresholdOptions) => f1Of(scorer.total(o, pick)).f1;
  let best = points[0];
  let bestF1 = f1(best);
  for (const o of points.slice(1)) {
    const v = f1(o);
    if (v > bestF1) [best, bestF1] = [o, v];
  }
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let moved = false;
    for (const [k, values] of Object.entries(SEARCH_SPACE)) {
      for (const v of values) {
        const o = withKnob(best, k, v);
        const score = f1(o);
        if (score > bestF1 + MIN_GAIN) {
          [best, bestF1] = [o, score];
          moved = true;
        }
      }
    }
    if (!moved) break;
  }
  return [best, bestF1];
}

/**
 * The parameter choice, looking only at the series `pick` accepts: the best of the
 * searches from each start (by default, the previous release's values only).
 */
export function choose(scorer: Scorer, pick: (name: string) => boolean, starts: Start[] = DEFAULT_STARTS): ThresholdOptions {
  let best: [ThresholdOptions, number] | undefined;
  for (const start of starts) {
    const r = descend(scorer, pick, gridPoints(start));
    if (!best || r[1] > best[1]) best = r;
  }
  return best![0];
}

export interface Fold {
  folder: string;
  chosen: ThresholdOptions;
  heldOut: Counts;
}

/** Nested cross-validation over the folders of `scorer.series`. */
export function nestedCv(
  scorer: Scorer,
  onFold?: (f: Fold) => void,
  starts: Start[] = DEFAULT_STARTS,
): { folds: Fold[]; pooled: Counts } {
  const folders = [...new Set(scorer.series.map((s) => folderOf(s.name)))];
  const folds: Fold[] = [];
  for (const folder of folders) {
    const chosen = choose(scorer, (n) => folderOf(n) !== folder, starts);
    const fold = { folder, chosen, heldOut: scorer.total(chosen, (n) => folderOf(n) === folder) };
    folds.push(fold);
    onFold?.(fold);
  }
  return { folds, pooled: sumCounts(folds.map((f) => f.heldOut)) };
}

/** The knobs of `o` that differ from the shipped defaults, for printing. */
export function describeChoice(o: ThresholdOptions): string {
  const fmtValue = (k: string, v: unknown): string => {
    if (k === 'seasonality') return v ? `${(v as { buckets: number }).buckets}/day` : 'none';
    if (k.endsWith('Ms') && typeof v === 'number') {
      if (v === 0) return '0';
      if (v % DAY === 0) return `${v / DAY}d`;
      if (v % HOUR === 0) return `${v / HOUR}h`;
      return `${v / MIN}m`;
    }
    return String(v);
  };
  const d = DEFAULT_THRESHOLD_OPTIONS as unknown as Record<string, unknown>;
  const r = o as unknown as Record<string, unknown>;
  const diff = Object.keys(SEARCH_SPACE)
    .filter((k) => JSON.stringify(r[k] ?? null) !== JSON.stringify(d[k] ?? null))
    .map((k) => `${k} ${fmtValue(k, r[k])}`);
  return diff.length ? diff.join(', ') : 'the shipped defaults';
}
