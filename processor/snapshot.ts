/**
 * The snapshot document recorded when an alert fires (pure part): what the
 * processor knows of the container at that moment. The store adds what
 * InfluxDB has (processes, logs) and writes it.
 */
import { fnv1a } from '../common/queue/shard.js';
import type { ContainerState, HostState } from './state.js';
import type { Transition } from './alerts.js';

export const SNAPSHOT_VERSION = 1;

export interface SnapshotBody {
  v: number;
  id: string;
  /** ms since epoch: when the alert started */
  time: number;
  host: string;
  hostFacts: Record<string, string | number | boolean>;
  alert: { key: string; rule: string; severity: string; summary: string; value: number | null; startsAt: number };
  container: {
    id: string;
    name: string;
    image: string;
    state: string;
    labels: Record<string, string>;
    info: ContainerState['info'];
    restartsInWindow: number;
  };
  /** recent Docker events, oldest first */
  events: Array<{ time: number; action: string; detail: string }>;
  /** the samples of every metric in the rolling window: metric → [[ms, value], ...] */
  samples: Record<string, Array<[number, number]>>;
  /** the detector's band at the last sample, per metric */
  baselines: Record<string, { baseline: number; lower: number; upper: number }>;
  /** from InfluxDB when the collector wrote them; null when none were found */
  processes: Array<Record<string, unknown>> | null;
  logs: Array<{ time: number; stream: string; message: string }> | null;
  /** what could not be filled in, and why */
  notes: string[];
}

/** Deterministic ID: a job run twice writes the same snapshot. Starts with the time, so a read finds it by time. */
export function snapshotIdFor(key: string, startsAt: number): string {
  return `${startsAt}-${fnv1a(key).toString(16).padStart(8, '0')}`;
}

/** The time encoded in a snapshot ID, or undefined when the ID is not one. */
export function snapshotTime(id: string): number | undefined {
  const m = /^(\d{1,16})-[0-9a-f]{8}$/.exec(id);
  return m ? Number(m[1]) : undefined;
}

export function buildSnapshot(
  s: HostState,
  c: ContainerState,
  tr: Transition,
  baselines: SnapshotBody['baselines'],
): SnapshotBody {
  const samples: SnapshotBody['samples'] = {};
  for (const [metric, m] of Object.entries(c.m)) {
    const pts: Array<[number, number]> = [];
    for (let i = 0; i < m.w.length; i += 2) pts.push([m.w[i], m.w[i + 1]]);
    if (pts.length) samples[metric] = pts;
  }
  const a = tr.alert;
  return {
    v: SNAPSHOT_VERSION,
    id: a.snapshotId ?? snapshotIdFor(tr.key, a.startsAt),
    time: a.startsAt,
    host: s.host,
    hostFacts: { ...s.facts },
    alert: { key: tr.key, rule: a.rule, severity: a.severity, summary: a.summary, value: a.value, startsAt: a.startsAt },
    container: {
      id: c.id, name: c.name, image: c.image, state: c.state, labels: { ...c.labels },
      info: structuredClone(c.info), restartsInWindow: c.rs.length,
    },
    events: c.ev.map(([time, action, detail]) => ({ time, action, detail })),
    samples,
    baselines,
    processes: null,
    logs: null,
    notes: [],
  };
}
