/**
 * The snapshot document recorded when an alert fires (pure part): what the
 * processor knows of the container at that moment. The store adds what
 * InfluxDB has (processes, logs) and writes it.
 */
import { SNAPSHOT_VERSION, snapshotIdFor, type SnapshotBody } from '../common/snapshot.js';
import type { SnapshotSummary } from '../common/queue/alerts.js';
import { formatValue } from '../common/format.js';
import type { ContainerState, HostState } from './state.js';
import type { Transition } from './alerts.js';
import type { FaultCapture } from '../common/capture.js';

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
    inspect: null,
    capture: null,
    sources: { logs: null, processes: null },
    notes: [],
  };
}

/** How far after the alert's start a capture may have been read and still describe it. */
const CAPTURE_AFTER_MS = 60_000;

/**
 * Fills the snapshot from the collector's capture at the fault (its log tail,
 * inspect facts and processes, read from Docker), when the capture belongs to
 * this fault: read within `lookback` before the alert started, or just after.
 * Returns whether it was used.
 */
export function applyCapture(body: SnapshotBody, cap: FaultCapture, lookback: number, logLines: number): boolean {
  if (cap.time < body.time - lookback || cap.time > body.time + CAPTURE_AFTER_MS) return false;
  body.capture = { time: cap.time, trigger: cap.trigger, errors: cap.errors };
  body.inspect = cap.inspect;
  if (cap.logs && logLines > 0) {
    body.logs = cap.logs.slice(-logLines).map((l) => ({ time: l.time ?? cap.time, stream: l.stream, message: l.message }));
    body.sources.logs = 'docker';
  }
  if (cap.processes) {
    body.processes = cap.processes;
    body.sources.processes = 'docker';
  }
  for (const e of cap.errors) body.notes.push(`capture: ${e}`);
  return true;
}

/** Lines and characters of the log tail an alert message carries. */
const SUMMARY_LOG_LINES = 10;
const SUMMARY_LOG_CHARS = 500;

/** The facts of a snapshot an on-call engineer reads first, sent with the alert (the email shows them). */
export function snapshotSummary(s: SnapshotBody): SnapshotSummary {
  const c = s.container;
  const i = c.info;
  const facts: Array<[string, string]> = [
    ['image', c.image],
    ['state', c.state],
  ];
  if (i) {
    if (i.exitCode !== null && i.exitCode !== undefined) facts.push(['exit code', String(i.exitCode)]);
    if (i.oomKilled) facts.push(['OOM killed', 'yes']);
    if (i.restartCount !== null && i.restartCount !== undefined) facts.push(['restart count', String(i.restartCount)]);
    if (i.health) facts.push(['health', i.health.status]);
    if (i.startedAt) facts.push(['started at', new Date(i.startedAt).toISOString()]);
    if (i.finishedAt) facts.push(['finished at', new Date(i.finishedAt).toISOString()]);
    if (i.memLimit) facts.push(['memory limit', `${Math.round(i.memLimit / 1048576)} MiB`]);
  }
  facts.push(['restarts in window', String(c.restartsInWindow)]);
  const ins = s.inspect;
  if (ins) {
    facts.push(['restart policy', ins.restartPolicy.name + (ins.restartPolicy.maximumRetryCount ? `:${ins.restartPolicy.maximumRetryCount}` : '')]);
    if (ins.state.error) facts.push(['error', ins.state.error.slice(0, 300)]);
    const check = ins.health?.log.at(-1);
    if (check) facts.push(['last health check', `exit ${check.exitCode ?? '?'}: ${check.output.trim().slice(0, 300)}`]);
  }
  const last = (m: string) => s.samples[m]?.at(-1)?.[1];
  const cpu = last('cpu_percent');
  const mem = last('mem_usage');
  if (cpu !== undefined) facts.push(['CPU %', formatValue(cpu)]);
  if (mem !== undefined) facts.push(['memory', `${Math.round(mem / 1048576)} MiB`]);
  if (s.events.length) facts.push(['recent events', s.events.slice(-5).map((e) => `${e.action}${e.detail ? ` ${e.detail}` : ''}`).join(', ')]);
  const logs = (s.logs ?? []).slice(-SUMMARY_LOG_LINES).map((l) => l.message.slice(0, SUMMARY_LOG_CHARS));
  return { facts, logs };
}
