/** Line protocol of the processor's measurements (pure; names from common/schema.ts). */
import type { SnapshotBody } from '../common/snapshot.js';
import { seriesKey, line, int } from '../common/lineprotocol.js';
import {
  PROCESSOR_MEASUREMENT as PM, PROCESSOR_TAG as PT, TAG, ROLLUP_FIELDS as RF, THRESHOLD_FIELDS as TF,
  PREDICTION_FIELDS as PF, ALERT_FIELDS as AF, SNAPSHOT_FIELDS as SF,
} from '../common/schema.js';
import type { ThresholdResult } from './thresholds/index.js';
import type { Rollup } from './rollup.js';
import type { Trend } from './predict.js';
import type { Transition } from './alerts.js';

const metricKey = (measurement: string, host: string, container: string, metric: string) =>
  seriesKey(measurement, { [TAG.engineHost]: host, [TAG.containerName]: container, [PT.metric]: metric });

/** A rollup point: per sample into `shipwatch_rollup`, per averaging window into `shipwatch_rollup_history`. */
export function rollupLine(host: string, container: string, metric: string, r: Rollup, t: number, measurement: string = PM.rollup): string {
  return line(metricKey(measurement, host, container, metric), {
    [RF.value]: r.value,
    [RF.avg]: r.avg,
    [RF.min]: r.min,
    [RF.max]: r.max,
    [RF.count]: int(r.count),
    [RF.delta]: r.delta,
  }, t);
}

export function thresholdLine(host: string, container: string, metric: string, r: ThresholdResult, t: number): string {
  return line(metricKey(PM.threshold, host, container, metric), {
    [TF.baseline]: r.baseline,
    [TF.lower]: r.lower,
    [TF.upper]: r.upper,
    [TF.score]: r.score,
    [TF.anomaly]: r.anomaly,
  }, t);
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
