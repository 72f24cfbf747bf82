/**
 * A report's full data as CSV files (pure): RFC 4180, a header row, numbers
 * written exactly (JavaScript's shortest round-trip form), empty cells for
 * figures that have no value, times in RFC 3339 UTC.
 */
import type { Figures, Report, Series } from './model.js';

export type Cell = string | number | boolean | null | undefined;

function cell(v: Cell): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: string[], rows: Cell[][]): string {
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

const iso = (t: number | null | undefined) => (t === null || t === undefined ? null : new Date(t).toISOString());

/** The columns every scope has (fleet, host, container), in order. */
export const FIGURE_COLUMNS: Array<[string, (f: Figures) => Cell]> = [
  ['containers', (f) => f.containers],
  ['cpu_mean_percent', (f) => f.cpu.mean],
  ['cpu_peak_percent', (f) => f.cpu.peak],
  ['memory_mean_bytes', (f) => f.mem.mean],
  ['memory_peak_bytes', (f) => f.mem.peak],
  ['memory_limit_bytes', (f) => f.mem.limit],
  ['memory_peak_percent_of_limit', (f) => f.mem.peakPercent],
  ...(['rx', 'tx', 'read', 'write'] as const).flatMap((k): Array<[string, (f: Figures) => Cell]> => {
    const n = { rx: 'network_rx', tx: 'network_tx', read: 'block_read', write: 'block_write' }[k];
    return [[`${n}_bytes`, (f) => f[k].bytes], [`${n}_mean_bytes_per_s`, (f) => f[k].meanRate], [`${n}_peak_bytes_per_s`, (f) => f[k].peakRate]];
  }),
  ['restarts', (f) => f.restarts],
  ['oom_kills', (f) => f.ooms],
  ['alerts_fired', (f) => f.alerts.fired],
  ['alerts_resolved', (f) => f.alerts.resolved],
  ['time_to_resolve_mean_s', (f) => f.alerts.resolveMeanS],
  ['time_to_resolve_median_s', (f) => f.alerts.resolveMedianS],
  ['time_to_resolve_max_s', (f) => f.alerts.resolveMaxS],
  ['alerts_acknowledged', (f) => f.alerts.acknowledged],
  ['time_to_acknowledge_median_s', (f) => f.alerts.ackMedianS],
  ['recovery_runs', (f) => f.recovery.runs],
  ...(['ok', 'failed', 'timeout', 'error'] as const).map((o): [string, (f: Figures) => Cell] => [`recovery_${o}`, (f) => f.recovery.outcomes[o] ?? 0]),
  ['recovered', (f) => f.recovery.recovered],
];

const figureCells = (f: Figures) => FIGURE_COLUMNS.map(([, get]) => get(f));
const seriesAt = (s: Series) => new Map(s);

/** Every CSV file of a report, by name. */
export function reportCsv(r: Report): Record<string, string> {
  const names = FIGURE_COLUMNS.map(([n]) => n);
  const files: Record<string, string> = {};
  files['summary.csv'] = toCsv(['scope', 'host', ...names], [
    ['fleet', null, ...figureCells(r.fleet)],
    ...r.hosts.map((h) => ['host', h.host, ...figureCells(h)]),
  ]);
  files['containers.csv'] = toCsv(['host', 'container', 'image', ...names], r.containers.map((c) => [c.host, c.container, c.image, ...figureCells(c)]));
  files['hours.csv'] = toCsv(['scope', 'host', 'hour', 'cpu_mean_percent'], [
    ...r.hours.fleet.map((v, h) => ['fleet', null, h, v]),
    ...Object.entries(r.hours.hosts).flatMap(([host, p]) => p.map((v, h) => ['host', host, h, v])),
  ]);
  files['top.csv'] = toCsv(['list', 'rank', 'host', 'container', 'value'], (Object.entries(r.top) as Array<[string, Report['top']['cpu']]>)
    .flatMap(([list, entries]) => entries.map((e, i) => [list, i + 1, e.host, e.container, e.value])));
  files['near-limits.csv'] = toCsv(['host', 'container', 'resource', 'peak', 'limit', 'ratio'],
    r.capacity.nearLimit.map((n) => [n.host, n.container, n.resource, n.peak, n.limit, n.ratio]));
  files['trends.csv'] = toCsv(['resource', 'per_day', 'mean'], r.capacity.trends.map((t) => [t.resource, t.perDay, t.mean]));
  files['predictions.csv'] = toCsv(['host', 'container', 'resource', 'value', 'limit', 'per_day', 'reaches_at'],
    r.capacity.predictions.map((p) => [p.host, p.container, p.resource, p.value, p.limit, p.perDay, iso(p.reachesAt)]));
  files['changes.csv'] = toCsv(['kind', 'change', 'host', 'name', 'before', 'after'], [
    ...r.changes.containers.map((c) => ['container', c.change, c.host, c.name, c.before, c.after]),
    ...r.changes.images.map((c) => ['image', c.change, c.host, c.name, c.before, c.after]),
  ]);
  const s = r.series;
  const at = { cpu: seriesAt(s.cpu), mem: seriesAt(s.mem), rx: seriesAt(s.rx), tx: seriesAt(s.tx), read: seriesAt(s.read), write: seriesAt(s.write) };
  const times = [...new Set(Object.values(s).flatMap((x: Series) => x.map(([t]) => t)))].sort((a, b) => a - b);
  files['fleet-series.csv'] = toCsv(
    ['time', 'cpu_percent', 'memory_bytes', 'network_rx_bytes_per_s', 'network_tx_bytes_per_s', 'block_read_bytes_per_s', 'block_write_bytes_per_s'],
    times.map((t) => [iso(t), at.cpu.get(t), at.mem.get(t), at.rx.get(t), at.tx.get(t), at.read.get(t), at.write.get(t)]),
  );
  return files;
}
