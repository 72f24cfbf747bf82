/**
 * Labelled series in NAB's format and the scoring rule of `npm run eval:thresholds`.
 *
 * Format: a folder of CSVs (`timestamp,value`, timestamps `YYYY-MM-DD HH:MM:SS` in
 * UTC, one row per sample in time order) and a labels file
 * `{ "<folder>/<file>.csv": [[start, end], ...] }` of the windows where something
 * is wrong; `[]` for a series with none.
 *
 * Scoring, pooled over every series: an onset is a sample where the detector
 * raised an anomaly; onsets in the first 15 % of a series (by samples) are not
 * scored; every labelled window counts, and one with at least one scored onset
 * inside is a true positive, one without a false negative (so a window that ends
 * inside the first 15 % is always a miss); each scored onset outside every window
 * is a false positive.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export const PROBATION_FRACTION = 0.15;

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

/** UTC milliseconds as "YYYY-MM-DD HH:MM:SS" (whole seconds). */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** The series of a labels file that exist under `folder`, by name. */
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

/** Index of the first scored sample. */
export function probationEnd(series: Series): number {
  return Math.floor(PROBATION_FRACTION * series.times.length);
}

/** Scores the alarm onsets (sample indexes) of one series by the rule above. */
export function scoreOnsets(series: Series, onsets: number[]): Counts {
  const first = probationEnd(series);
  const hit = new Array<boolean>(series.windows.length).fill(false);
  let fp = 0;
  for (const i of onsets) {
    if (i < first) continue;
    const t = series.times[i];
    let inside = false;
    for (let w = 0; w < series.windows.length; w++) {
      if (t >= series.windows[w][0] && t <= series.windows[w][1]) {
        hit[w] = true;
        inside = true;
      }
    }
    if (!inside) fp++;
  }
  const tp = hit.filter(Boolean).length;
  return { tp, fp, fn: series.windows.length - tp };
}

export function f1Of(c: Counts): { precision: number; recall: number; f1: number } {
  const precision = c.tp + c.fp > 0 ? c.tp / (c.tp + c.fp) : 0;
  const recall = c.tp + c.fn > 0 ? c.tp / (c.tp + c.fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}

export function sumCounts(list: Iterable<Counts>): Counts {
  const out = { tp: 0, fp: 0, fn: 0 };
  for (const c of list) {
    out.tp += c.tp;
    out.fp += c.fp;
    out.fn += c.fn;
  }
  return out;
}

/** The folder part of a series name. */
export const folderOf = (name: string): string => name.slice(0, name.indexOf('/'));
