/**
 * A report's figures from what its queries returned (pure: no I/O, no clock).
 * docs/reports.md defines each one; test/unit/reports.test.ts checks them on
 * hand-computed data.
 */
import { fitTrend } from '../predict.js';
import type {
  AlertFigures, AlertRow, AckRow, Change, ContainerData, ContainerFigures, ContainerRef, Figures, HostFigures, HostSeries, HourProfile,
  ImageEntry, InventoryEntry, LimitPrediction, NearLimit, RecoveryFigures, RecoveryRow, Report, ReportData, ResourceTrend, Series, TopEntry,
} from './model.js';
import { REPORT_VERSION } from './model.js';

export interface ReportOptions {
  id: string;
  title: string;
  kind: Report['kind'];
  schedule: string | null;
  host: string | null;
  timezone: string;
  generatedAt: number;
  topN: number;
  /** share of a limit from which a peak is listed (0.8) */
  nearLimit: number;
  /** predictions further than this after the period's end are left out, ms */
  horizon: number;
}

/** What the period is compared with for "what changed". */
export interface Previous {
  from: number;
  to: number;
  /** the previous report's ID, when its inventory was used */
  report: string | null;
  inventory: InventoryEntry[];
  images: ImageEntry[];
}

const DAY_S = 86_400;
const key = (r: ContainerRef) => `${r.host}\u0000${r.container}`;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const mean = (xs: number[]) => (xs.length ? sum(xs) / xs.length : null);
const max = (xs: number[]) => (xs.length ? Math.max(...xs) : null);

export function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

/** Adds series point by point (same timestamps summed). */
export function addSeries(...all: Series[]): Series {
  const m = new Map<number, number>();
  for (const s of all) for (const [t, v] of s) m.set(t, (m.get(t) ?? 0) + v);
  return [...m.entries()].sort((a, b) => a[0] - b[0]);
}

function sumHostSeries(hs: HostSeries[]): HostSeries {
  return {
    cpu: addSeries(...hs.map((h) => h.cpu)), mem: addSeries(...hs.map((h) => h.mem)),
    rx: addSeries(...hs.map((h) => h.rx)), tx: addSeries(...hs.map((h) => h.tx)),
    read: addSeries(...hs.map((h) => h.read)), write: addSeries(...hs.map((h) => h.write)),
  };
}

const values = (s: Series) => s.map(([, v]) => v);

export function alertFigures(alerts: AlertRow[], acks: AckRow[]): AlertFigures {
  const resolved = alerts.filter((a) => a.status === 'resolved');
  const durations = resolved.map((a) => (a.time - a.startsAt) / 1000);
  return {
    fired: alerts.filter((a) => a.status === 'firing').length,
    resolved: resolved.length,
    resolveMeanS: mean(durations),
    resolveMedianS: median(durations),
    resolveMaxS: max(durations),
    acknowledged: acks.length,
    ackMedianS: median(acks.map((a) => a.timeToAckS)),
  };
}

export function recoveryFigures(runs: RecoveryRow[]): RecoveryFigures {
  const outcomes: Record<string, number> = {};
  for (const r of runs) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  return { runs: runs.length, outcomes, recovered: runs.filter((r) => r.recovered === true).length };
}

interface ScopeInput {
  containers: ContainerData[];
  count: number;
  series: HostSeries;
  alerts: AlertRow[];
  acks: AckRow[];
  recovery: RecoveryRow[];
}

/** Figures of a host or the fleet: gauges from the summed series, traffic and counts summed. */
function scopeFigures(x: ScopeInput, seconds: number): Figures {
  const traffic = (f: 'rx' | 'tx' | 'read' | 'write') => {
    const bytes = sum(x.containers.map((c) => c[f].bytes));
    return { bytes, meanRate: seconds > 0 ? bytes / seconds : null, peakRate: max(values(x.series[f])) };
  };
  return {
    containers: x.count,
    cpu: { mean: mean(values(x.series.cpu)), peak: max(values(x.series.cpu)) },
    mem: { mean: mean(values(x.series.mem)), peak: max(values(x.series.mem)), limit: null, peakPercent: null },
    rx: traffic('rx'), tx: traffic('tx'), read: traffic('read'), write: traffic('write'),
    restarts: sum(x.containers.map((c) => c.restarts)),
    ooms: sum(x.containers.map((c) => c.ooms)),
    alerts: alertFigures(x.alerts, x.acks),
    recovery: recoveryFigures(x.recovery),
  };
}

function containerFigures(c: ContainerData, image: string, alerts: AlertRow[], acks: AckRow[], recovery: RecoveryRow[], seconds: number): ContainerFigures {
  const traffic = (f: 'rx' | 'tx' | 'read' | 'write') => ({ bytes: c[f].bytes, meanRate: seconds > 0 ? c[f].bytes / seconds : null, peakRate: c[f].peakRate });
  return {
    host: c.host, container: c.container, image, containers: 1,
    cpu: c.cpu, mem: c.mem,
    rx: traffic('rx'), tx: traffic('tx'), read: traffic('read'), write: traffic('write'),
    restarts: c.restarts, ooms: c.ooms,
    alerts: alertFigures(alerts, acks), recovery: recoveryFigures(recovery),
  };
}

/** The hour of the day (0-23) of a time in a time zone, cached per hour. */
export function hourOf(timezone: string): (t: number) => number {
  const fmt = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: 'numeric', hourCycle: 'h23' });
  const cache = new Map<number, number>();
  return (t) => {
    // Zones are whole hours or half/quarter hours off UTC: cache per quarter hour.
    const k = Math.floor(t / 900_000);
    let h = cache.get(k);
    if (h === undefined) cache.set(k, (h = Number(fmt.format(new Date(k * 900_000)))));
    return h;
  };
}

/** Mean of a series per hour of the day. */
export function hourProfile(s: Series, hour: (t: number) => number): HourProfile {
  const acc = Array.from({ length: 24 }, () => [0, 0]);
  for (const [t, v] of s) {
    const a = acc[hour(t)];
    a[0] += v;
    a[1]++;
  }
  return acc.map(([total, n]) => (n ? total / n : null));
}

/** The busiest hours: highest means first, at most `n`. */
export function busiest(p: HourProfile, n = 3): number[] {
  return p.map((v, h) => [h, v] as const).filter(([, v]) => v !== null).sort((a, b) => b[1]! - a[1]! || a[0] - b[0]).slice(0, n).map(([h]) => h);
}

function top(cs: ContainerFigures[], pick: (c: ContainerFigures) => number | null, n: number): TopEntry[] {
  return cs.flatMap((c) => {
    const v = pick(c);
    return v !== null && v > 0 ? [{ host: c.host, container: c.container, value: v }] : [];
  }).sort((a, b) => b.value - a.value || (a.host + a.container < b.host + b.container ? -1 : 1)).slice(0, n);
}

/** Averages a series into at most `n` consecutive groups (trend fits grow with the square of the points). */
export function thin(s: Series, n = 48): Series {
  if (s.length <= n) return s;
  const out: Series = [];
  const size = s.length / n;
  for (let i = 0; i < n; i++) {
    const part = s.slice(Math.floor(i * size), Math.floor((i + 1) * size));
    out.push([sum(part.map(([t]) => t)) / part.length, sum(part.map(([, v]) => v)) / part.length]);
  }
  return out;
}

/** Theil–Sen line through a series (processor/predict.ts): units per second and value at `at`, or undefined. */
function fit(s: Series, at: number, limit: number) {
  const p: number[] = [];
  for (const [t, v] of thin(s)) p.push(t, v, 1);
  return fitTrend(p, at, limit, 0, { window: Number.POSITIVE_INFINITY, buckets: 48, minSamples: 3 });
}

export function resourceTrend(resource: ResourceTrend['resource'], s: Series, at: number): ResourceTrend {
  const tr = fit(s, at, Number.POSITIVE_INFINITY);
  return { resource, perDay: tr ? tr.slope * DAY_S : null, mean: mean(values(s)) };
}

function predictions(data: ContainerData[], at: number, horizon: number): LimitPrediction[] {
  const out: LimitPrediction[] = [];
  for (const c of data) {
    const each: Array<[LimitPrediction['resource'], Series, number | null]> = [['memory', c.memSeries, c.mem.limit], ['pids', c.pidsSeries, c.pids.limit]];
    for (const [resource, s, limit] of each) {
      if (!limit || limit <= 0) continue;
      const tr = fit(s, at, limit);
      if (!tr || tr.eta === undefined || tr.slope <= 0) continue;
      const reachesAt = at + Math.round(tr.eta * 1000);
      if (reachesAt - at > horizon) continue;
      out.push({ host: c.host, container: c.container, resource, value: tr.fitted, limit, perDay: tr.slope * DAY_S, reachesAt });
    }
  }
  return out.sort((a, b) => a.reachesAt - b.reachesAt);
}

function nearLimits(cs: ContainerFigures[], data: Map<string, ContainerData>, ratio: number): NearLimit[] {
  const out: NearLimit[] = [];
  for (const c of cs) {
    const m = c.mem;
    if (m.peakPercent !== null && m.peak !== null && m.limit !== null && m.peakPercent / 100 >= ratio) {
      out.push({ host: c.host, container: c.container, resource: 'memory', peak: m.peak, limit: m.limit, ratio: m.peakPercent / 100 });
    }
    const p = data.get(key(c))?.pids;
    if (p?.peak != null && p.limit && p.peak / p.limit >= ratio) {
      out.push({ host: c.host, container: c.container, resource: 'pids', peak: p.peak, limit: p.limit, ratio: p.peak / p.limit });
    }
  }
  return out.sort((a, b) => b.ratio - a.ratio);
}

/** New, removed and changed containers (another image) and images (another ID under the same name). */
export function changes(now: { inventory: InventoryEntry[]; images: ImageEntry[] }, prev: { inventory: InventoryEntry[]; images: ImageEntry[] }) {
  const containers: Change[] = [];
  const before = new Map(prev.inventory.map((e) => [key(e), e]));
  const after = new Map(now.inventory.map((e) => [key(e), e]));
  for (const [k, e] of after) {
    const b = before.get(k);
    if (!b) containers.push({ change: 'new', host: e.host, name: e.container, before: null, after: e.image });
    else if (b.image !== e.image || (b.imageId && e.imageId && b.imageId !== e.imageId)) {
      containers.push({ change: 'changed', host: e.host, name: e.container, before: b.imageId && b.image === e.image ? `${b.image} (${b.imageId})` : b.image, after: e.imageId && b.image === e.image ? `${e.image} (${e.imageId})` : e.image });
    }
  }
  for (const [k, b] of before) if (!after.has(k)) containers.push({ change: 'removed', host: b.host, name: b.container, before: b.image, after: null });
  const images: Change[] = [];
  const ik = (i: ImageEntry) => `${i.host}\u0000${i.image}`;
  const ib = new Map(prev.images.map((i) => [ik(i), i]));
  const ia = new Map(now.images.map((i) => [ik(i), i]));
  for (const [k, i] of ia) {
    const b = ib.get(k);
    if (!b) images.push({ change: 'new', host: i.host, name: i.image, before: null, after: i.id });
    else if (b.id !== i.id) images.push({ change: 'changed', host: i.host, name: i.image, before: b.id, after: i.id });
  }
  for (const [k, b] of ib) if (!ia.has(k)) images.push({ change: 'removed', host: b.host, name: b.image, before: b.id, after: null });
  const order = (a: Change, b: Change) => (a.change + a.host + a.name < b.change + b.host + b.name ? -1 : 1);
  return { containers: containers.sort(order), images: images.sort(order) };
}

export function computeReport(d: ReportData, o: ReportOptions, prev: Previous): Report {
  const seconds = (d.to - d.from) / 1000;
  const images = new Map(d.inventory.map((e) => [key(e), e.image]));
  // Every container the period saw: in the inventory or with any figure.
  const data = new Map<string, ContainerData>(d.containers.map((c) => [key(c), c]));
  for (const e of d.inventory) {
    if (!data.has(key(e))) {
      data.set(key(e), {
        host: e.host, container: e.container, cpu: { mean: null, peak: null }, mem: { mean: null, peak: null, limit: null, peakPercent: null },
        pids: { mean: null, peak: null, limit: null }, rx: { bytes: 0, peakRate: null }, tx: { bytes: 0, peakRate: null },
        read: { bytes: 0, peakRate: null }, write: { bytes: 0, peakRate: null }, memSeries: [], pidsSeries: [], restarts: 0, ooms: 0,
      });
    }
  }
  const all = [...data.values()].sort((a, b) => (key(a) < key(b) ? -1 : 1));
  const byC = <T extends ContainerRef>(rows: T[]) => {
    const m = new Map<string, T[]>();
    for (const r of rows) m.set(key(r), [...(m.get(key(r)) ?? []), r]);
    return m;
  };
  const alertsByC = byC(d.alerts);
  const acksByC = byC(d.acks);
  const runsByC = byC(d.recovery);
  const containers = all.map((c) => containerFigures(c, images.get(key(c)) ?? '', alertsByC.get(key(c)) ?? [], acksByC.get(key(c)) ?? [], runsByC.get(key(c)) ?? [], seconds));

  const hostNames = [...new Set([...all.map((c) => c.host), ...Object.keys(d.hostSeries)])].sort();
  const empty = { cpu: [], mem: [], rx: [], tx: [], read: [], write: [] };
  const hosts: HostFigures[] = hostNames.map((host) => ({
    host,
    ...scopeFigures({
      containers: all.filter((c) => c.host === host),
      count: all.filter((c) => c.host === host).length,
      series: d.hostSeries[host] ?? empty,
      alerts: d.alerts.filter((a) => a.host === host),
      acks: d.acks.filter((a) => a.host === host),
      recovery: d.recovery.filter((r) => r.host === host),
    }, seconds),
  }));
  const series = sumHostSeries(hostNames.map((h) => d.hostSeries[h] ?? empty));
  const fleet = scopeFigures({ containers: all, count: all.length, series, alerts: d.alerts, acks: d.acks, recovery: d.recovery }, seconds);

  const hour = hourOf(o.timezone);
  const fleetHours = hourProfile(series.cpu, hour);
  const ch = changes({ inventory: d.inventory, images: d.images }, prev);
  return {
    v: REPORT_VERSION, id: o.id, title: o.title, kind: o.kind, schedule: o.schedule, from: d.from, to: d.to, host: o.host,
    timezone: o.timezone, generatedAt: o.generatedAt, source: d.source, bucketMs: d.bucketMs,
    empty: all.length === 0,
    fleet, hosts, containers,
    hours: {
      fleet: fleetHours,
      hosts: Object.fromEntries(hostNames.map((h) => [h, hourProfile(d.hostSeries[h]?.cpu ?? [], hour)])),
      busiest: busiest(fleetHours),
    },
    top: {
      cpu: top(containers, (c) => c.cpu.mean, o.topN),
      memory: top(containers, (c) => c.mem.peak, o.topN),
      network: top(containers, (c) => c.rx.bytes + c.tx.bytes, o.topN),
      blockIo: top(containers, (c) => c.read.bytes + c.write.bytes, o.topN),
    },
    capacity: {
      nearLimitRatio: o.nearLimit,
      nearLimit: nearLimits(containers, data, o.nearLimit),
      trends: ([['cpu', series.cpu], ['memory', series.mem], ['network_rx', series.rx], ['network_tx', series.tx], ['block_read', series.read], ['block_write', series.write]] as const)
        .map(([r, s]) => resourceTrend(r, s, d.to)),
      predictions: predictions(all, d.to, o.horizon),
    },
    changes: { previous: { from: prev.from, to: prev.to, report: prev.report }, ...ch },
    series,
    inventory: d.inventory,
    imageList: d.images,
  };
}
