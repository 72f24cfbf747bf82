/** Line protocol of the processor's measurements (pure; names from common/schema.ts). */
import type { SnapshotBody } from '../common/snapshot.js';
import { seriesKey, line, int, type FieldValue } from '../common/lineprotocol.js';
import {
  PROCESSOR_MEASUREMENT as PM, PROCESSOR_TAG as PT, TAG, ROLLUP_FIELDS as RF, THRESHOLD_FIELDS as TF,
  PREDICTION_FIELDS as PF, ALERT_FIELDS as AF, SNAPSHOT_FIELDS as SF, metricField,
} from '../common/schema.js';
import type { ThresholdResult } from './thresholds/index.js';
import type { ClosedWindow } from './window.js';
import type { Trend } from './predict.js';
import type { Transition } from './alerts.js';

const metricKey = (measurement: string, host: string, container: string, metric: string) =>
  seriesKey(measurement, { [TAG.engineHost]: host, [TAG.containerName]: container, [PT.metric]: metric });

const containerKey = (measurement: string, host: string, container: string) =>
  seriesKey(measurement, { [TAG.engineHost]: host, [TAG.containerName]: container });

/** Rollup points of closed windows: one line per window start, each metric's figures as its fields. */
export function rollupLines(host: string, container: string, windows: Array<[string, ClosedWindow]>): string[] {
  if (!windows.length) return [];
  const byStart = new Map<number, Record<string, FieldValue>>();
  for (const [metric, w] of windows) {
    let f = byStart.get(w.start);
    if (!f) byStart.set(w.start, (f = {}));
    f[metricField(metric, RF.mean)] = w.mean;
    f[metricField(metric, RF.min)] = w.min;
    f[metricField(metric, RF.max)] = w.max;
  }
  const key = containerKey(PM.rollup, host, container);
  return [...byStart].map(([start, f]) => line(key, f, start));
}

/**
 * The bands of a container's metrics at t, one line. Score and anomaly are
 * written only outside the band (absent: 0 and false): InfluxDB's cost is per
 * field value.
 */
export function thresholdLine(host: string, container: string, bands: Array<[string, ThresholdResult]>, t: number): string {
  const f: Record<string, FieldValue> = {};
  for (const [metric, r] of bands) {
    f[metricField(metric, TF.baseline)] = r.baseline;
    f[metricField(metric, TF.lower)] = r.lower;
    f[metricField(metric, TF.upper)] = r.upper;
    if (r.score > 0) f[metricField(metric, TF.score)] = r.score;
    if (r.anomaly) f[metricField(metric, TF.anomaly)] = true;
  }
  return line(containerKey(PM.threshold, host, container), f, t);
}

export function predictionLine(host: string, container: string, metric: string, value: number, limit: number, tr: Trend, t: number): string {
  return line(metricKey(PM.prediction, host, container, metric), {
    [PF.value]: value,
    [PF.limit]: limit,
    [PF.slope]: tr.slope,
    [PF.eta]: tr.eta,
    [PF.predicted]: tr.predicted,
  }, t);
}

export function alertLine(host: string, tr: Transition): string {
  const a = tr.alert;
  return line(seriesKey(PM.alerts, {
    [TAG.engineHost]: host,
    [TAG.containerName]: a.container,
    [PT.rule]: a.rule,
    [PT.severity]: a.severity,
    [PT.status]: tr.status,
  }), {
    [AF.key]: tr.key,
    [AF.summary]: a.summary,
    [AF.value]: a.value ?? undefined,
    [AF.containerId]: a.containerId,
    [AF.startsAt]: int(a.startsAt),
    [AF.snapshotId]: a.snapshotId ?? undefined,
    [AF.firing]: int(tr.status === 'firing' ? 1 : 0),
    [AF.duration]: tr.status === 'resolved' ? (tr.time - a.startsAt) / 1000 : undefined,
  }, tr.time);
}

/** The snapshot as one point: the body as JSON, and what lists show beside it. */
export function snapshotLine(b: SnapshotBody, json: string): string {
  return line(seriesKey(PM.snapshot, { [TAG.engineHost]: b.host, [TAG.containerName]: b.container.name, [PT.rule]: b.alert.rule }), {
    [SF.id]: b.id,
    [SF.alertKey]: b.alert.key,
    [SF.severity]: b.alert.severity,
    [SF.summary]: b.alert.summary,
    [SF.body]: json,
  }, b.time);
}
