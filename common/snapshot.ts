/**
 * The snapshot recorded when an alert fires: its document, its ID, and how it
 * is read back from shipwatch_snapshot (the processor writes it; the
 * alerter's API serves it).
 */
import type { InfluxQL } from './influx/query.js';
import { ident, literal } from './influx/query.js';
import { PROCESSOR_MEASUREMENT, PROCESSOR_TAG, SNAPSHOT_FIELDS, TAG } from './schema.js';
import { fnv1a } from './queue/shard.js';
import type { InspectFacts } from './capture.js';

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

/** 2: inspect, capture and sources added (version 1 bodies lack them). */
export const SNAPSHOT_VERSION = 2;

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
  /** busiest first, with docker_container_process's field names; null when none were found */
  processes: Array<Record<string, unknown>> | null;
  /** the last log lines before the fault, oldest first; null when none were found */
  logs: Array<{ time: number; stream: string; message: string }> | null;
  /** the inspect facts that matter, read from Docker at the fault; null when no capture came */
  inspect: InspectFacts | null;
  /** the collector's capture these came from: when, at which event, and what it could not read */
  capture: { time: number; trigger: string; errors: string[] } | null;
  /** where logs and processes came from: docker (read at the fault), influxdb (what the collector wrote before it) */
  sources: { logs: 'docker' | 'influxdb' | null; processes: 'docker' | 'influxdb' | null };
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
  return typeof body === 'string' ? upgradeSnapshot(JSON.parse(body) as SnapshotBody) : undefined;
}

/** A body as the current version reads it: what version 1 lacked is null. */
export function upgradeSnapshot(b: SnapshotBody): SnapshotBody {
  return { ...b, inspect: b.inspect ?? null, capture: b.capture ?? null, sources: b.sources ?? { logs: b.logs ? 'influxdb' : null, processes: b.processes ? 'influxdb' : null } };
}

export interface SnapshotFilter {
  host?: string;
  container?: string;
  rule?: string;
  /** ms since epoch, inclusive */
  from?: number;
  to?: number;
  limit: number;
  offset: number;
}

export interface SnapshotListItem {
  id: string;
  /** ms since epoch: when the alert started */
  time: number;
  host: string;
  container: string;
  rule: string;
  alertKey: string;
  /** null for snapshots written before these were stored beside the body */
  severity: string | null;
  summary: string | null;
}

/** Snapshots newest first, without their bodies. */
export async function listSnapshots(query: InfluxQL, f: SnapshotFilter): Promise<SnapshotListItem[]> {
  const where = [
    f.host !== undefined ? `${ident(TAG.engineHost)} = ${literal(f.host)}` : '',
    f.container !== undefined ? `${ident(TAG.containerName)} = ${literal(f.container)}` : '',
    f.rule !== undefined ? `${ident(PROCESSOR_TAG.rule)} = ${literal(f.rule)}` : '',
    f.from !== undefined ? `time >= ${Math.trunc(f.from)}ms` : '',
    f.to !== undefined ? `time <= ${Math.trunc(f.to)}ms` : '',
  ].filter(Boolean);
  const F = SNAPSHOT_FIELDS;
  const rows = await query.rows(
    `SELECT ${[F.id, F.alertKey, F.severity, F.summary, TAG.engineHost, TAG.containerName, PROCESSOR_TAG.rule].map(ident).join(', ')} ` +
      `FROM ${ident(PROCESSOR_MEASUREMENT.snapshot)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ` +
      `ORDER BY time DESC LIMIT ${Math.trunc(f.limit)} OFFSET ${Math.trunc(f.offset)}`,
  ).catch((e: Error) => {
    // No snapshot yet: the measurement does not exist.
    if (/not found|does not exist/i.test(e.message)) return [];
    throw e;
  });
  const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return rows.map((r) => ({
    id: String(r[F.id]),
    time: Number(r.time),
    host: String(r[TAG.engineHost] ?? ''),
    container: String(r[TAG.containerName] ?? ''),
    rule: String(r[PROCESSOR_TAG.rule] ?? ''),
    alertKey: String(r[F.alertKey] ?? ''),
    severity: str(r[F.severity]),
    summary: str(r[F.summary]),
  }));
}
