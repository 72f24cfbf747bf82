/**
 * Alert life cycle (pure): a condition that turns true is pending until it has
 * held for its for-duration, then firing; when it turns false a firing alert
 * resolves and a pending one is forgotten. One alert per key
 * (rule|host|container), so repeats of a firing condition send nothing.
 */
import type { Severity } from '../common/severity.js';
import type { SnapshotSummary } from '../common/queue/alerts.js';
import type { AlertState } from './state.js';

export interface Condition {
  rule: string;
  active: boolean;
  severity: Severity;
  /** built only when the alert changes: most evaluations change nothing */
  summary: string | (() => string);
  value: number | null;
  /** how long it must hold before firing */
  forMs: number;
  labels: Record<string, string>;
  container: string;
  containerId: string;
  /** when the condition became true, if known better than the evaluation time (e.g. the die event) */
  since?: number;
  /** when it stopped being true, if known better than the evaluation time (e.g. the restart) */
  resolvedAt?: number;
  /** receiver and recovery rule named by the container's labels */
  route?: string;
  recovery?: string;
}

export interface Transition {
  status: 'firing' | 'resolved';
  key: string;
  alert: AlertState;
  /** firing: startsAt; resolved: when it resolved */
  time: number;
  /** the key facts of the snapshot taken when it fired, sent with the alert */
  snapshot?: SnapshotSummary;
}

const text = (s: Condition['summary']) => (typeof s === 'function' ? s() : s);

export const alertKey = (rule: string, host: string, container: string) => `${rule}|${host}|${container}`;

export class AlertBook {
  constructor(private readonly alerts: Record<string, AlertState>, private readonly host: string) {}

  /**
   * Applies a condition evaluated at `now`. `continuous` is false when the
   * container was not seen for longer than maxGap: a pending for-duration
   * starts over rather than counting the silence as time held.
   */
  apply(c: Condition, now: number, continuous = true): Transition | undefined {
    const key = alertKey(c.rule, this.host, c.container);
    const a = this.alerts[key];
    if (!c.active) {
      if (!a) return undefined;
      delete this.alerts[key];
      const time = c.resolvedAt !== undefined && c.resolvedAt >= a.startsAt && c.resolvedAt <= now ? c.resolvedAt : now;
      if (a.status === 'firing') return { status: 'resolved', key, alert: { ...a, summary: text(c.summary) || a.summary, value: c.value ?? a.value }, time };
      return undefined;
    }
    if (a?.status === 'firing') {
      a.value = c.value;
      return undefined;
    }
    const since = a && continuous ? a.since : (c.since ?? now);
    const next: AlertState = {
      status: 'pending',
      rule: c.rule,
      severity: c.severity,
      container: c.container,
      containerId: c.containerId,
      labels: { ...c.labels },
      summary: '',
      value: c.value,
      since,
      startsAt: 0,
      snapshotId: null,
    };
    if (c.route) next.route = c.route;
    if (c.recovery) next.recovery = c.recovery;
    this.alerts[key] = next;
    if (now - since >= c.forMs) {
      next.status = 'firing';
      next.summary = text(c.summary);
      next.startsAt = c.forMs === 0 ? since : now;
      return { status: 'firing', key, alert: next, time: next.startsAt };
    }
    return undefined;
  }

  /** Resolves every alert of a container (it was removed). */
  resolveContainer(container: string, now: number, summary: string): Transition[] {
    const out: Transition[] = [];
    for (const [key, a] of Object.entries(this.alerts)) {
      if (a.container !== container) continue;
      delete this.alerts[key];
      if (a.status === 'firing') out.push({ status: 'resolved', key, alert: { ...a, summary: `${a.summary} (${summary})` }, time: now });
    }
    return out;
  }
}
