/**
 * Rule evaluation (pure): turns a container's state and this sample's
 * rollups, thresholds and trends into conditions for the alert book. Static
 * rules come from processor.rules; the fault rules are built in.
 */
import type { Config } from '../common/config.js';
import type { ThresholdResult } from './thresholds/index.js';
import type { Condition } from './alerts.js';
import type { ContainerState } from './state.js';
import type { Rollup } from './rollup.js';
import type { Trend } from './predict.js';

export type StaticRule = Config['processor']['rules'][number];
export type Faults = Config['processor']['faults'];

/** Names of the built-in rules (alert rule tag). */
export const RULE = {
  died: 'died',
  oom: 'oom',
  restartLoop: 'restart_loop',
  unhealthy: 'unhealthy',
  logErrors: 'log_errors',
  /** anomaly.<metric> */
  anomaly: 'anomaly',
  /** exhaustion.<metric> */
  exhaustion: 'exhaustion',
  tcpCloseWait: 'tcp_close_wait',
  tcpTimeWait: 'tcp_time_wait',
  tcpSynRecv: 'tcp_syn_recv',
  /** a running container with a critical security posture finding */
  postureCritical: 'posture_critical',
} as const;

export interface SampleEval {
  rollups: Record<string, Rollup>;
  thresholds: Record<string, ThresholdResult>;
  trends: Record<string, { trend: Trend; limit: number }>;
}

const globCache = new Map<string, RegExp>();
export function globMatch(glob: string, s: string): boolean {
  if (glob === '*') return true;
  let re = globCache.get(glob);
  if (!re) {
    re = new RegExp('^' + glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
    globCache.set(glob, re);
  }
  return re.test(s);
}

export function compare(op: StaticRule['op'], a: number, b: number): boolean {
  switch (op) {
    case '>': return a > b;
    case '>=': return a >= b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '==': return a === b;
    case '!=': return a !== b;
  }
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
const fmtDuration = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`);

function base(c: ContainerState) {
  return { container: c.name, containerId: c.id, labels: c.labels, route: c.settings?.route, recovery: c.settings?.recovery };
}

/**
 * Conditions that are false are only needed where an alert may be pending or
 * firing (`known`: the container has one). The rest are not even built: a
 * condition is an object and closures, made for every container and rule on
 * every sample, and building them was most of a job's CPU.
 */
function push(out: Condition[], known: boolean, active: boolean, build: () => Condition): void {
  if (active || known) out.push(build());
}

/** Static threshold rules: absent values (a stopped container) count as false. */
export function staticConditions(c: ContainerState, ev: SampleEval, rules: StaticRule[], known = true): Condition[] {
  const out: Condition[] = [];
  for (const r of rules) {
    if (!globMatch(r.containers, c.name)) continue;
    const ru = ev.rollups[r.metric];
    const v = ru ? ru[r.aggregate] : undefined;
    const active = v !== undefined && Number.isFinite(v) && compare(r.op, v, r.value);
    push(out, known, active, () => ({
      ...base(c),
      labels: Object.keys(r.labels).length ? { ...c.labels, ...r.labels } : c.labels,
      rule: r.name,
      active,
      severity: r.severity,
      summary: () => `${r.metric}${r.aggregate === 'value' ? '' : ` ${r.aggregate}`} ${v === undefined ? 'n/a' : fmt(v)} ${r.op} ${r.value}`,
      value: v ?? null,
      forMs: r.for,
    }));
  }
  return out;
}

/** Faults that events and samples both move: unexpected death and OOM kill. */
export function deathConditions(c: ContainerState, f: Faults, known = true): Condition[] {
  const out: Condition[] = [];
  if (f.died.enabled) {
    const d = c.died;
    const active = !!d;
    push(out, known, active, () => ({
      ...base(c),
      rule: RULE.died,
      active,
      severity: f.died.severity,
      summary: () => d
        ? d.signal
          ? `${c.name} was killed (signal ${d.signal}, exit code ${d.exitCode ?? '?'}) without a stop request`
          : `${c.name} exited unexpectedly with code ${d.exitCode ?? '?'}`
        : `${c.name} runs again`,
      value: d?.exitCode ?? null,
      forMs: 0,
      since: d?.t,
      resolvedAt: c.info.startedAt || undefined,
    }));
  }
  if (f.oom.enabled) {
    const active = !!c.oom?.active;
    push(out, known, active, () => ({
      ...base(c),
      rule: RULE.oom,
      active,
      severity: f.oom.severity,
      summary: () => c.oom?.active ? `${c.name} was killed for running out of memory` : `${c.name} runs again after its OOM kill`,
      value: c.info.memLimit,
      forMs: 0,
      since: c.oom?.t,
      resolvedAt: c.oom ? Math.max(c.oom.t, c.info.startedAt) : undefined,
    }));
  }
  return out;
}

/** Faults judged on each sample: restart loop, unhealthy, anomaly, predicted exhaustion. */
export function sampleFaultConditions(c: ContainerState, ev: SampleEval, f: Faults, horizonMs: number, known = true): Condition[] {
  const out: Condition[] = [];
  if (f.restartLoop.enabled) {
    const n = c.rs.length;
    const active = n >= f.restartLoop.count;
    push(out, known, active, () => ({
      ...base(c),
      rule: RULE.restartLoop,
      active,
      severity: f.restartLoop.severity,
      summary: () => `${c.name} restarted ${n} times in ${fmtDuration(f.restartLoop.window / 1000)}`,
      value: n,
      forMs: 0,
    }));
  }
  if (f.unhealthy.enabled) {
    const h = c.info.health;
    const active = h?.status === 'unhealthy' && c.state === 'running';
    push(out, known, active, () => ({
      ...base(c),
      rule: RULE.unhealthy,
      active,
      severity: f.unhealthy.severity,
      summary: () => `${c.name} health is ${h?.status ?? 'unknown'}${h?.failingStreak ? ` (${h.failingStreak} failed probes in a row)` : ''}`,
      value: h?.failingStreak ?? null,
      forMs: f.unhealthy.for,
    }));
  }
  if (f.anomaly.enabled) {
    for (const [metric, m] of Object.entries(c.m)) {
      const r = ev.thresholds[metric];
      if (!r && !m.an) continue;
      const active = !!m.an;
      push(out, known, active, () => ({
        ...base(c),
        rule: `${RULE.anomaly}.${metric}`,
        active,
        severity: f.anomaly.severity,
        summary: () => r
          ? `${metric} ${fmt(ev.rollups[metric]?.value ?? NaN)} outside its usual band ${fmt(r.lower)}..${fmt(r.upper)} (score ${fmt(r.score)})`
          : `${metric} no longer measured`,
        value: ev.rollups[metric]?.value ?? null,
        forMs: 0,
      }));
    }
  }
  if (f.exhaustion.enabled) {
    for (const [metric, m] of Object.entries(c.m)) {
      if (!m.p) continue;
      const tr = ev.trends[metric];
      const eta = tr?.trend.eta;
      const active = eta !== undefined && eta * 1000 <= horizonMs;
      push(out, known, active, () => ({
        ...base(c),
        rule: `${RULE.exhaustion}.${metric}`,
        active,
        severity: f.exhaustion.severity,
        summary: () => tr && eta !== undefined
          ? `${metric} will reach its limit ${fmt(tr.limit)} in about ${fmtDuration(eta)} at the current trend`
          : `${metric} is not on course to its limit`,
        value: eta ?? null,
        forMs: 0,
      }));
    }
  }
  return out;
}

/** Log error rate (matching lines per minute) against processor.faults.logErrors.rate. */
export function logConditions(c: ContainerState, f: Faults, known = true): Condition[] {
  const logs = c.logs;
  if (!f.logErrors.enabled || !logs) return [];
  return [{
    ...base(c),
    rule: RULE.logErrors,
    active: logs.rate > f.logErrors.rate,
    severity: f.logErrors.severity,
    summary: () => `${c.name} logs ${fmt(logs.rate)} matching lines per minute (limit ${f.logErrors.rate})`,
    value: logs.rate,
    forMs: 0,
  }];
}

/** TCP states: CLOSE_WAIT piling up, TIME_WAIT near the ephemeral port range, SYN_RECV surge. */
export function tcpConditions(c: ContainerState, f: Faults, known = true): Condition[] {
  const out: Condition[] = [];
  const t = c.tcp;
  if (!t && !known) return out;
  if (f.closeWait.enabled) {
    const n = t?.closeWait ?? null;
    const active = n !== null && n >= f.closeWait.min;
    push(out, known, active, () => ({
      ...base(c),
      rule: RULE.tcpCloseWait,
      active,
      severity: f.closeWait.severity,
      summary: () => `${c.name} holds ${n ?? 'no'} connections in CLOSE_WAIT: its peers closed them and it did not`,
      value: n,
      forMs: f.closeWait.for,
    }));
  }
  if (f.timeWait.enabled) {
    const n = t?.timeWait ?? null;
    const range = t?.portRange ?? null;
    const active = n !== null && range !== null && range > 0 && n >= f.timeWait.ratio * range;
    push(out, known, active, () => ({
      ...base(c),
      rule: RULE.tcpTimeWait,
      active,
      severity: f.timeWait.severity,
      summary: () => `${c.name} has ${n ?? 'no'} sockets in TIME_WAIT against ${range ?? '?'} ephemeral ports: new outbound connections may fail`,
      value: n,
      forMs: f.timeWait.for,
    }));
  }
  if (f.synRecv.enabled) {
    const n = t?.synRecv ?? null;
    const active = !!t?.an;
    push(out, known, active, () => ({
      ...base(c),
      rule: RULE.tcpSynRecv,
      active,
      severity: f.synRecv.severity,
      summary: () => t?.an
        ? `${c.name} has ${n} half-open connections (SYN_RECV), above its usual ${fmt(t.upper ?? 0)}`
        : `${c.name} half-open connections back to usual (${n ?? 'n/a'})`,
      value: n,
      forMs: 0,
    }));
  }
  return out;
}

/** A running container with a critical posture finding. */
export function postureConditions(c: ContainerState, f: Faults, known = true): Condition[] {
  if (!f.posture.enabled) return [];
  const critical = c.posture?.critical ?? [];
  const out: Condition[] = [];
  const active = c.state === 'running' && critical.length > 0;
  push(out, known, active, () => ({
    ...base(c),
    rule: RULE.postureCritical,
    active,
    severity: f.posture.severity,
    summary: () => critical.length
      ? `${c.name} runs with critical security findings: ${critical.join(', ')} (CIS Docker Benchmark, docker-bench-security numbering)`
      : `${c.name} has no critical security finding now`,
    value: c.posture?.score ?? null,
    forMs: 0,
  }));
  return out;
}
