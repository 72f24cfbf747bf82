/**
 * The snapshot recorded when an alert fires: its document, its ID, and how it
 * is read back from shipwatch_snapshot (the processor writes it; the
 * alerter's API serves it).
 */
import type { InfluxQL } from './influx/query.js';
import { ident, literal } from './influx/query.js';
import { PROCESSOR_MEASUREMENT, SNAPSHOT_FIELDS } from './schema.js';
import { fnv1a } from './queue/shard.js';

/** What is known of a container from its inspect and events. */
export interface ContainerInfo {
  startedAt: number;
  finishedAt: number;
  exitCode: number | null;
  oomKilled: boolean;
  restartCount: number | null;
  pid: number | null;
  health: { status: string; failingStreak: number | null } | null;
  memLimit: number | null;
  pidsLimit: number | null;
}

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
    info: ContainerInfo;
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

/** Reads a snapshot by ID (for the alerter's API); undefined when there is none. */
export async function readSnapshot(query: InfluxQL, id: string): Promise<SnapshotBody | undefined> {
  const t = snapshotTime(id);
  if (t === undefined) return undefined;
  const rows = await query.rows(
    `SELECT ${ident(SNAPSHOT_FIELDS.body)} FROM ${ident(PROCESSOR_MEASUREMENT.snapshot)} WHERE time >= ${t}ms AND time <= ${t}ms AND ${ident(SNAPSHOT_FIELDS.id)} = ${literal(id)}`,
  );
  const body = rows[0]?.[SNAPSHOT_FIELDS.body];
  return typeof body === 'string' ? (JSON.parse(body) as SnapshotBody) : undefined;
}
