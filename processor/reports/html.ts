/**
 * A report as an HTML document (pure), made for email clients: tables,
 * inline styles, charts as <img src="cid:<name>"> (the alerter attaches them
 * under those Content-IDs; its API inlines them when serving the page).
 */
import { escapeHtml } from '../../common/html.js';
import type { Figures, Report, TopEntry } from './model.js';
import type { Chart } from './charts.js';
import { formatBytes, formatDate, formatDuration, formatNumber, formatPercent, formatPeriod, formatRate } from './format.js';

const e = escapeHtml;

const TABLE = 'border-collapse:collapse;font-size:13px;margin:6px 0 14px';
const TH = 'text-align:left;padding:3px 8px;border-bottom:2px solid #ccc;background:#f4f6f8;white-space:nowrap';
const TD = 'padding:3px 8px;border-bottom:1px solid #eee;white-space:nowrap';
const NUM = `${TD};text-align:right`;

type Col<T> = [string, (x: T) => string, boolean?];

function table<T>(cols: Array<Col<T>>, rows: T[], none = 'None.'): string {
  if (!rows.length) return `<p style="color:#666">${e(none)}</p>`;
  const head = cols.map(([h, , num]) => `<th style="${TH}${num ? ';text-align:right' : ''}">${e(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${cols.map(([, get, num]) => `<td style="${num ? NUM : TD}">${e(get(r))}</td>`).join('')}</tr>`).join('\n');
  return `<table style="${TABLE}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const h2 = (t: string) => `<h2 style="font-size:16px;margin:22px 0 4px;border-bottom:1px solid #ddd">${e(t)}</h2>`;
const p = (t: string, style = '') => `<p style="margin:4px 0;${style}">${t}</p>`;
const name = (r: { host: string; container: string }, oneHost: boolean) => (oneHost ? r.container : `${r.container} (${r.host})`);

function summaryCols(): Array<Col<Figures & { scope: string }>> {
  return [
    ['', (f) => f.scope],
    ['containers', (f) => String(f.containers), true],
    ['CPU mean', (f) => formatPercent(f.cpu.mean), true],
    ['CPU peak', (f) => formatPercent(f.cpu.peak), true],
    ['memory mean', (f) => formatBytes(f.mem.mean), true],
    ['memory peak', (f) => formatBytes(f.mem.peak), true],
    ['network in', (f) => formatBytes(f.rx.bytes), true],
    ['network out', (f) => formatBytes(f.tx.bytes), true],
    ['block read', (f) => formatBytes(f.read.bytes), true],
    ['block write', (f) => formatBytes(f.write.bytes), true],
    ['restarts', (f) => String(f.restarts), true],
    ['OOM kills', (f) => String(f.ooms), true],
    ['alerts fired', (f) => String(f.alerts.fired), true],
    ['resolved', (f) => String(f.alerts.resolved), true],
    ['recovery runs', (f) => `${f.recovery.runs} (${f.recovery.recovered} recovered)`, true],
  ];
}

function topTable(title: string, entries: TopEntry[], value: (v: number) => string, oneHost: boolean): string {
  return `<h3 style="font-size:14px;margin:10px 0 2px">${e(title)}</h3>` +
    table<TopEntry & { rank: number }>([['#', (x) => String(x.rank), true], ['container', (x) => name(x, oneHost)], ['', (x) => value(x.value), true]],
      entries.map((x, i) => ({ ...x, rank: i + 1 })));
}

export function reportHtml(r: Report, charts: Chart[]): string {
  const oneHost = r.host !== null || r.hosts.length <= 1;
  const img = (n: string) => {
    const c = charts.find((x) => x.name === n);
    return c ? `<p style="margin:8px 0 2px;font-size:13px;color:#333">${e(c.title)}</p><img src="cid:${e(c.name)}" alt="${e(c.title)}" width="560" style="display:block;border:1px solid #eee">` : '';
  };
  const out: string[] = [];
  out.push('<!DOCTYPE html>', '<html><head><meta charset="utf-8">', `<title>${e(r.title)}</title></head>`,
    '<body style="font-family:DejaVu Sans,Helvetica,Arial,sans-serif;color:#222;max-width:1100px;margin:16px">');
  out.push(`<h1 style="font-size:20px;margin:0 0 4px">${e(r.title)}</h1>`);
  out.push(p(e(`${formatPeriod(r.from, r.to, r.timezone)}; ${r.host ? `host ${r.host}` : 'every host'}`)));
  out.push(p(e(`Made ${formatDate(r.generatedAt, r.timezone)}${r.source === 'rollup' ? ' from the rollups (the raw points of this period have expired): rates are means per bucket, and events, alerts and recovery runs are no longer kept' : ''}.`), 'color:#666;font-size:12px'));

  if (r.empty) {
    out.push(p(e(`No container data in this period: Shipwatch recorded no container${r.host ? ` on ${r.host}` : ''} between ${formatDate(r.from, r.timezone)} and ${formatDate(r.to, r.timezone)}. Nothing to report.`), 'font-size:15px;margin:18px 0'));
    out.push('</body></html>');
    return out.join('\n');
  }

  out.push(h2('Summary'));
  out.push(table(summaryCols(), [{ scope: r.host ? r.host : 'fleet', ...r.fleet }, ...(r.host ? [] : r.hosts.map((h) => ({ scope: h.host, ...h })))]));
  out.push(p(e(`CPU is in % of one core (100 % = a full core), summed over containers per ${formatDuration(r.bucketMs / 1000)} for hosts and the fleet; memory without page cache.`), 'color:#666;font-size:12px'));
  out.push(img('cpu.png'), img('memory.png'));

  out.push(h2('Busiest hours'));
  out.push(p(r.hours.busiest.length
    ? e(`The busiest hours of the day (${r.timezone}), by mean CPU of all containers: ${r.hours.busiest.map((h) => `${String(h).padStart(2, '0')}:00`).join(', ')}.`)
    : 'No CPU data.'));
  out.push(img('hours.png'));

  out.push(h2(`Top ${Math.max(r.top.cpu.length, r.top.memory.length, r.top.network.length, r.top.blockIo.length)} containers`));
  out.push(img('top-cpu.png'));
  out.push(topTable('By mean CPU', r.top.cpu, (v) => formatPercent(v), oneHost));
  out.push(topTable('By peak memory', r.top.memory, (v) => formatBytes(v), oneHost));
  out.push(topTable('By network traffic (in + out)', r.top.network, (v) => formatBytes(v), oneHost));
  out.push(topTable('By block I/O (read + write)', r.top.blockIo, (v) => formatBytes(v), oneHost));

  out.push(h2('Capacity'));
  out.push(`<h3 style="font-size:14px;margin:10px 0 2px">Peaks within ${e(formatNumber((1 - r.capacity.nearLimitRatio) * 100, 0))} % of a limit</h3>`);
  out.push(table([
    ['container', (x) => name(x, oneHost)], ['resource', (x) => x.resource],
    ['peak', (x) => (x.resource === 'memory' ? formatBytes(x.peak) : String(x.peak)), true],
    ['limit', (x) => (x.resource === 'memory' ? formatBytes(x.limit) : String(x.limit)), true],
    ['of limit', (x) => formatPercent(x.ratio * 100), true],
  ], r.capacity.nearLimit, 'No container came near a limit.'));
  out.push('<h3 style="font-size:14px;margin:10px 0 2px">Trend over the period (all containers)</h3>');
  const unit = (res: string, v: number | null) => (res === 'cpu' ? formatPercent(v, 2) : res === 'memory' ? formatBytes(v) : formatRate(v));
  out.push(table([
    ['resource', (t) => t.resource.replace('_', ' ')],
    ['mean', (t) => unit(t.resource, t.mean), true],
    ['change per day', (t) => (t.perDay === null ? '–' : `${t.perDay >= 0 ? '+' : ''}${unit(t.resource, t.perDay)}`), true],
  ], r.capacity.trends));
  out.push('<h3 style="font-size:14px;margin:10px 0 2px">Limits the trend reaches</h3>');
  out.push(table([
    ['container', (x) => name(x, oneHost)], ['resource', (x) => x.resource],
    ['now', (x) => (x.resource === 'memory' ? formatBytes(x.value) : formatNumber(x.value)), true],
    ['limit', (x) => (x.resource === 'memory' ? formatBytes(x.limit) : String(x.limit)), true],
    ['per day', (x) => (x.resource === 'memory' ? `+${formatBytes(x.perDay)}` : `+${formatNumber(x.perDay)}`), true],
    ['reached', (x) => formatDate(x.reachesAt, r.timezone, 'date')],
  ], r.capacity.predictions, 'No limit is on course to be reached.'));

  out.push(h2('Faults, alerts and recovery'));
  const f = r.fleet;
  out.push(p(e(`${f.restarts} restarts, ${f.ooms} OOM kills. ${f.alerts.fired} alerts fired and ${f.alerts.resolved} resolved` +
    `${f.alerts.resolved ? ` (time to resolve: median ${formatDuration(f.alerts.resolveMedianS)}, mean ${formatDuration(f.alerts.resolveMeanS)}, longest ${formatDuration(f.alerts.resolveMaxS)})` : ''}; ` +
    `${f.alerts.acknowledged} acknowledged${f.alerts.acknowledged ? ` (median after ${formatDuration(f.alerts.ackMedianS)})` : ''}. ` +
    `${f.recovery.runs} recovery runs: ${Object.entries(f.recovery.outcomes).map(([o, n]) => `${n} ${o}`).join(', ') || 'none'}; ${f.recovery.recovered} recovered.`)));
  const faulty = r.containers.filter((c) => c.restarts || c.ooms || c.alerts.fired || c.alerts.resolved || c.recovery.runs);
  out.push(table([
    ['container', (c) => name(c, oneHost)], ['restarts', (c) => String(c.restarts), true], ['OOM kills', (c) => String(c.ooms), true],
    ['alerts fired', (c) => String(c.alerts.fired), true], ['resolved', (c) => String(c.alerts.resolved), true],
    ['median time to resolve', (c) => formatDuration(c.alerts.resolveMedianS), true],
    ['recovery runs', (c) => String(c.recovery.runs), true], ['recovered', (c) => String(c.recovery.recovered), true],
  ], faulty, 'No container restarted, was OOM-killed or alerted.'));

  out.push(h2('What changed'));
  const prev = r.changes.previous;
  out.push(p(e(`Compared with ${prev.report ? `the previous report (${prev.report}), ` : ''}${formatPeriod(prev.from, prev.to, r.timezone)}.`), 'color:#666;font-size:12px'));
  out.push(table([
    ['change', (c) => c.change], ['container', (c) => name({ host: c.host, container: c.name }, oneHost)], ['before', (c) => c.before ?? ''], ['now', (c) => c.after ?? ''],
  ], r.changes.containers, 'No container was added, removed or given another image.'));
  out.push(table([
    ['change', (c) => c.change], ['image', (c) => (oneHost ? c.name : `${c.name} (${c.host})`)], ['before', (c) => c.before ?? ''], ['now', (c) => c.after ?? ''],
  ], r.changes.images, 'No image was added or removed.'));

  out.push(h2('Every container'));
  out.push(table([
    ['container', (c) => name(c, oneHost)], ['image', (c) => c.image],
    ['CPU mean', (c) => formatPercent(c.cpu.mean), true], ['CPU peak', (c) => formatPercent(c.cpu.peak), true],
    ['memory mean', (c) => formatBytes(c.mem.mean), true], ['memory peak', (c) => formatBytes(c.mem.peak), true],
    ['peak of limit', (c) => formatPercent(c.mem.peakPercent), true],
    ['network in', (c) => formatBytes(c.rx.bytes), true], ['network out', (c) => formatBytes(c.tx.bytes), true],
    ['block read', (c) => formatBytes(c.read.bytes), true], ['block write', (c) => formatBytes(c.write.bytes), true],
  ], r.containers));
  out.push(p(e('The full data is in the CSV files: summary.csv (fleet and hosts), containers.csv, hours.csv, top.csv, near-limits.csv, trends.csv, predictions.csv, changes.csv, fleet-series.csv.'), 'color:#666;font-size:12px;margin-top:18px'));
  out.push('</body></html>');
  return out.join('\n');
}
