/**
 * Applies one job to a host's state (pure: no I/O, no clock). Returns the
 * lines to write and the alert transitions; the consumer does the I/O. Given
 * the same state and job it always returns the same result, which is what
 * makes a job that runs twice (after a crash) harmless.
 */
import type { Config } from '../common/config.js';
import type { SamplesPayload, EventPayload, ContainerSample } from '../common/queue/payload.js';
import { DynamicThreshold, thresholdOptions, type ThresholdOptions, type ThresholdResult } from './thresholds/index.js';
import { newContainerState, type HostState, type ContainerState } from './state.js';
import { metricValues, currentCounters, limitOf, gauge } from './metrics.js';
import { addSample, newMetricState } from './rollup.js';
import { addToWindow, summarize, windowPhase, type ClosedWindow } from './window.js';
import { addTrendSample, fitTrend, type TrendOptions } from './predict.js';
import { AlertBook, type Condition, type Transition } from './alerts.js';
import { applyEvent, confirmDeaths, clearRecovered, trackRestarts, trackLogErrors, noteOom } from './faults.js';
import { staticConditions, deathConditions, sampleFaultConditions, logConditions, tcpConditions, postureConditions, type SampleEval } from './rules.js';
import { updateTcp } from './tcp.js';
import { DetectorChoice, labelThresholdRules } from './settings.js';
import { rollupLines, thresholdLine, predictionLine, alertLine } from './lines.js';
import { bandPoint, trendPoint, reachesSoon } from './cadence.js';
import { snapshotIdFor } from '../common/snapshot.js';
import { PROCESSOR_METRICS } from '../common/schema.js';

export type ProcessorConfig = Config['processor'];

/** Where a job stands against the host's state. */
export type Order =
  /** already applied, or older than what was: acknowledged without effect */
  | 'skip'
  /** its predecessor was applied (or it has none): apply now */
  | 'apply'
  /** its predecessor is not applied yet: the consumer looks whether it is still coming */
  | 'predecessor';

export interface Fault {
  transition: Transition;
  container: ContainerState;
  baselines: Record<string, { baseline: number; lower: number; upper: number }>;
}

export interface Applied {
  lines: string[];
  transitions: Transition[];
  /** firing transitions that want a snapshot */
  faults: Fault[];
  /** container samples applied */
  samples: number;
}

const TREND_BUCKETS = 12;
/** Restart times kept per container: enough for any sensible restart-loop count. */
const RESTARTS_CAP = 1000;
/** Metrics with a limit, fitted for exhaustion. */
const LIMITED = [PROCESSOR_METRICS.memUsage, PROCESSOR_METRICS.fsUsage];

export const eventKey = (e: EventPayload) => `${e.action}|${e.id}`;

export class HostEngine {
  private readonly thresholdOpts = new Map<string, ThresholdOptions>();
  private readonly thresholdMetrics: Set<string>;
  private readonly trendOpts: TrendOptions;
  /** per container and metric: the configured detector, or the sensitivity its labels ask for */
  private readonly detectors: DetectorChoice;
  /** SYN_RECV's band: no least change of its own, the fault's `min` is that */
  private readonly synRecvOptions: ThresholdOptions;

  constructor(private readonly cfg: ProcessorConfig, private readonly snapshots = true) {
    const th = cfg.thresholds;
    // One option set per metric (each its own least change); unusable options fail here, at start.
    for (const metric of Object.values(PROCESSOR_METRICS)) {
      const o = thresholdOptions(th, metric);
      new DynamicThreshold(o);
      this.thresholdOpts.set(metric, o);
    }
    this.synRecvOptions = thresholdOptions(th);
    this.thresholdMetrics = new Set(th.enabled ? th.metrics : []);
    this.detectors = new DetectorChoice((metric) => this.thresholdOptionsFor(metric), this.thresholdMetrics);
    this.trendOpts = { window: cfg.prediction.window, buckets: TREND_BUCKETS, minSamples: cfg.prediction.minSamples };
  }

  /** The detector options the processor runs for `metric`. */
  thresholdOptionsFor(metric: string): ThresholdOptions {
    return this.thresholdOpts.get(metric) ?? thresholdOptions(this.cfg.thresholds, metric);
  }

  /**
   * Samples and events of a host form one chain, in publish order: a job is
   * applied after the job it names, so that a later cycle never overtakes
   * the events published before it (a die before its stop, say).
   */
  private chained(s: HostState, prevId: string | null | undefined): Order {
    return !prevId || prevId === s.lid ? 'apply' : 'predecessor';
  }

  orderSamples(s: HostState, p: SamplesPayload): Order {
    if (p.time <= s.t) return 'skip';
    return this.chained(s, p.prevId);
  }

  orderEvent(s: HostState, e: EventPayload): Order {
    if (s.en) {
      const n = BigInt(e.nano);
      const last = BigInt(s.en);
      if (n < last || (n === last && s.ek.includes(eventKey(e)))) return 'skip';
    }
    return this.chained(s, e.prevId);
  }

  private finish(s: HostState, out: Applied, conds: Condition[], now: number, continuous: boolean, c?: ContainerState) {
    const book = new AlertBook(s.a, s.host);
    for (const cond of conds) {
      const tr = book.apply(cond, now, continuous);
      if (!tr) continue;
      if (tr.status === 'firing' && this.snapshots) {
        tr.alert.snapshotId = snapshotIdFor(tr.key, tr.alert.startsAt);
        const container = c ?? Object.values(s.c).find((x) => x.id === cond.containerId);
        if (container) out.faults.push({ transition: tr, container, baselines: {} });
      }
      out.transitions.push(tr);
      out.lines.push(alertLine(s.host, tr));
    }
  }

  applySamples(s: HostState, p: SamplesPayload): Applied {
    const cfg = this.cfg;
    const t = p.time;
    const out: Applied = { lines: [], transitions: [], faults: [], samples: 0 };
    confirmDeaths(s, t, cfg.faults.died.stopGrace);
    if (p.facts) s.facts = p.facts;
    const present = new Set<string>();
    const alerted = containersWithAlerts(s);
    for (const sample of p.containers) {
      present.add(sample.id);
      let c = s.c[sample.id];
      if (!c) c = s.c[sample.id] = newContainerState(sample.id, sample.name, sample.image);
      const continuous = c.seen === 0 || t - c.seen <= cfg.maxGap;
      const restarted = this.updateInfo(c, sample, t);
      const ev = this.sampleMetrics(s, c, sample, t, restarted, out);
      if (cfg.faults.logErrors.enabled) trackLogErrors(c, sample.logMatches, t, cfg.faults.logErrors);
      if (sample.tcp || c.tcp) updateTcp(c, sample.tcp, t, cfg.faults.synRecv.min, this.synRecvOptions);
      c.seen = t;
      out.samples++;
      const known = alerted.has(c.name);
      const quiet = c.settings?.alert === false;
      if (quiet && known) this.resolveAll(s, out, c, t, 'alerts turned off by its shipwatch.alert label');
      const conds = quiet ? [] : [
        ...staticConditions(c, ev, cfg.rules, known),
        ...staticConditions(c, ev, labelThresholdRules(c.settings), known),
        ...sampleFaultConditions(c, ev, cfg.faults, cfg.prediction.horizon, known),
        ...deathConditions(c, cfg.faults, known),
        ...logConditions(c, cfg.faults),
        ...tcpConditions(c, cfg.faults, known),
        ...postureConditions(c, cfg.faults, known),
      ];
      const before = out.faults.length;
      this.finish(s, out, conds, t, continuous, c);
      for (let i = before; i < out.faults.length; i++) out.faults[i].baselines = baselinesOf(ev.thresholds);
      clearRecovered(c);
    }
    // Absent from the cycle: the container was removed.
    for (const [id, c] of Object.entries(s.c)) {
      if (present.has(id)) continue;
      this.resolveAll(s, out, c, t, 'container removed');
      out.lines.push(...this.lastWindows(s.host, c));
      delete s.c[id];
    }
    s.t = t;
    return out;
  }

  private resolveAll(s: HostState, out: Applied, c: ContainerState, t: number, why: string) {
    for (const tr of new AlertBook(s.a, s.host).resolveContainer(c.name, t, why)) {
      out.transitions.push(tr);
      out.lines.push(alertLine(s.host, tr));
    }
  }

  /** Copies the inspect-like state; returns true when the container (re)started since the last sample. */
  private updateInfo(c: ContainerState, x: ContainerSample, t: number): boolean {
    c.name = x.name;
    c.image = x.image;
    c.state = x.state;
    c.labels = x.labels ?? {};
    if (x.settings) c.settings = x.settings;
    else delete c.settings;
    const i = c.info;
    const startedAt = gauge(x.startedAt) ?? 0;
    const restarted = c.seen !== 0 && startedAt !== 0 && startedAt !== i.startedAt && startedAt > i.startedAt;
    const finishedAt = gauge(x.finishedAt) ?? 0;
    if (x.oomKilled && finishedAt > 0) noteOom(c, finishedAt);
    const restartCount = gauge(x.restartCount) ?? null;
    trackRestarts(c, restartCount, t, this.cfg.faults.restartLoop.window, Math.max(RESTARTS_CAP, this.cfg.faults.restartLoop.count));
    // Events may have moved these already; the sample never moves them back.
    i.startedAt = Math.max(i.startedAt, startedAt);
    i.finishedAt = Math.max(i.finishedAt, finishedAt);
    if (x.exitCode !== undefined && x.exitCode !== null) i.exitCode = x.exitCode;
    i.oomKilled = !!x.oomKilled;
    i.restartCount = restartCount;
    i.pid = gauge(x.pid) ?? null;
    i.health = x.health ? { status: x.health.status, failingStreak: gauge(x.health.failingStreak) ?? null } : null;
    i.memLimit = gauge(x.mem?.limit) ?? i.memLimit;
    i.pidsLimit = gauge(x.pids?.limit) ?? i.pidsLimit;
    if (x.posture) c.posture = { score: gauge(x.posture.score) ?? null, critical: x.posture.critical };
    else if (c.posture) c.posture = null;
    return restarted;
  }

  private sampleMetrics(s: HostState, c: ContainerState, x: ContainerSample, t: number, restarted: boolean, out: Applied): SampleEval {
    const cfg = this.cfg;
    const ev: SampleEval = { rollups: {}, thresholds: {}, trends: {} };
    const values = metricValues(x, t, c.ctr, cfg.maxGap);
    c.ctr = currentCounters(x, t);
    // What is written (docs/processor.md): a rollup per closed averaging window, a band when it moved,
    // a trend when its verdict changed and once per window; each container's metrics on one line.
    const phase = windowPhase(s.host, c.name, cfg.averageWindow);
    const closed: Array<[string, ClosedWindow]> = [];
    const bands: Array<[string, ThresholdResult]> = [];
    for (const metric in values) {
      const value = values[metric]!;
      let m = c.m[metric];
      if (!m) m = c.m[metric] = newMetricState();
      ev.rollups[metric] = addSample(m, t, value, cfg);
      const win = addToWindow(m.tw, t, value, cfg.averageWindow, phase);
      m.tw = win.open;
      if (win.closed) closed.push([metric, win.closed]);
      const newWindow = !!win.closed;
      const detector = this.detectors.optionsFor(c.settings, metric);
      if (detector) {
        const det = new DynamicThreshold(detector, m.th);
        const res = det.update(t, value);
        m.th = det.toJSON();
        m.an = res.anomaly || (!!m.an && res.outside);
        ev.thresholds[metric] = res;
        const band = bandPoint(m.tb, res, newWindow);
        if (band) {
          m.tb = band;
          bands.push([metric, res]);
        }
      }
      const limit = cfg.prediction.enabled && LIMITED.includes(metric as never) ? limitOf(metric, x) : undefined;
      if (limit !== undefined) {
        // A restart starts memory afresh: the old trend says nothing.
        if (!m.p || restarted) m.p = [];
        const pl = m.p;
        const last = pl.length >= 3 ? pl[pl.length - 3] : undefined;
        if (last !== undefined && t - last > cfg.maxGap) pl.length = 0;
        addTrendSample(pl, t, value, this.trendOpts);
        const tr = fitTrend(pl, t, limit, cfg.prediction.horizon, this.trendOpts);
        if (tr) {
          ev.trends[metric] = { trend: tr, limit };
          const soon = reachesSoon(tr, cfg.prediction.horizon);
          if (trendPoint(m.ps, soon, newWindow)) {
            m.ps = soon;
            out.lines.push(predictionLine(s.host, c.name, metric, value, limit, tr, t));
          }
        }
      } else if (m.p) {
        delete m.p;
        delete m.ps;
      }
    }
    out.lines.push(...rollupLines(s.host, c.name, closed));
    if (bands.length) out.lines.push(thresholdLine(s.host, c.name, bands, t));
    // A metric not measured now (stopped container) ends its anomaly.
    for (const metric in c.m) if (!(metric in values) && c.m[metric].an) c.m[metric].an = false;
    return ev;
  }

  /** The windows still open of a container that went away: partial, but all there is. */
  private lastWindows(host: string, c: ContainerState): string[] {
    const open: Array<[string, ClosedWindow]> = [];
    for (const metric in c.m) {
      const w = c.m[metric].tw;
      if (w) open.push([metric, summarize(w)]);
    }
    return rollupLines(host, c.name, open);
  }

  applyEvent(s: HostState, e: EventPayload): Applied {
    const out: Applied = { lines: [], transitions: [], faults: [], samples: 0 };
    confirmDeaths(s, e.time, this.cfg.faults.died.stopGrace);
    if (e.type === 'container') {
      let c = s.c[e.id];
      if (!c && !e.action.startsWith('destroy')) {
        c = s.c[e.id] = newContainerState(e.id, e.name ?? e.attributes?.name ?? e.id.slice(0, 12), e.image ?? e.attributes?.image ?? '');
      }
      if (c) applyEvent(c, e);
    }
    const n = BigInt(e.nano);
    if (!s.en || n > BigInt(s.en)) {
      s.en = e.nano;
      s.ek = [];
    }
    s.ek.push(eventKey(e));
    this.evaluateDeaths(s, out, e.time);
    return out;
  }

  private evaluateDeaths(s: HostState, out: Applied, now: number) {
    const alerted = containersWithAlerts(s);
    for (const c of Object.values(s.c)) {
      if (c.settings?.alert !== false) this.finish(s, out, deathConditions(c, this.cfg.faults, alerted.has(c.name)), now, true, c);
      clearRecovered(c);
    }
  }
}

function containersWithAlerts(s: HostState): Set<string> {
  const out = new Set<string>();
  for (const k in s.a) out.add(s.a[k].container);
  return out;
}

function baselinesOf(th: Record<string, ThresholdResult>) {
  const out: Record<string, { baseline: number; lower: number; upper: number }> = {};
  for (const [k, r] of Object.entries(th)) out[k] = { baseline: r.baseline, lower: r.lower, upper: r.upper };
  return out;
}
