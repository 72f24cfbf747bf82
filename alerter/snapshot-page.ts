/**
 * A fault snapshot as a page an on-call engineer reads (pure): the alert, the
 * container, the inspect facts read at the fault, its last log lines, its
 * processes, the metric windows and the Docker events before it. The body
 * comes from InfluxDB, where anyone with write access could have put anything:
 * every value is escaped and every shape checked, never trusted.
 */
import type { SnapshotBody } from '../common/snapshot.js';
import { formatValue } from '../common/format.js';
import { PROCESS_FIELDS as PF } from '../common/schema.js';
import { escapeHtml } from './html.js';

export interface PageLinks {
  /** the body as JSON */
  json: string;
  /** the container's Grafana dashboard around the fault; '' when none */
  dashboard: string;
}

const text = (v: unknown) => escapeHtml(v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
const list = <T = unknown>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const finite = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const when = (v: unknown) => {
  const t = finite(v);
  return t && t > 0 ? new Date(t).toISOString() : '';
};
const size = (n: number) => {
  const a = Math.abs(n);
  if (a >= 1 << 30) return `${formatValue(n / (1 << 30))} GiB`;
  if (a >= 1 << 20) return `${formatValue(n / (1 << 20))} MiB`;
  if (a >= 1 << 10) return `${formatValue(n / (1 << 10))} KiB`;
  return `${formatValue(n)} B`;
};
/** A limit or a size; 0 and below: none. */
const bytes = (v: unknown) => {
  const n = finite(v);
  return n === undefined || n <= 0 ? '' : size(n);
};
/** A processor metric's value in its unit (names in common/schema.ts PROCESSOR_METRICS). */
const metricValue = (metric: string, n: number | undefined) => {
  if (n === undefined || !Number.isFinite(n)) return '';
  if (metric.endsWith('_usage')) return size(n);
  if (metric.endsWith('_rate')) return `${size(n)}/s`;
  if (metric.endsWith('_percent')) return `${formatValue(n)} %`;
  return formatValue(n);
};

function table(head: string[], rows: unknown[][], cls = ''): string {
  if (rows.length === 0) return '<p class="none">none</p>';
  const th = head.map((h) => `<th>${text(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c) => `<td>${text(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

/** Name/value rows; empty values left out. */
function facts(rows: Array<[string, unknown]>): string {
  const kept = rows.filter(([, v]) => v !== '' && v !== null && v !== undefined);
  if (kept.length === 0) return '<p class="none">none</p>';
  return `<table class="facts"><tbody>\n${kept.map(([k, v]) => `<tr><th>${text(k)}</th><td>${text(v)}</td></tr>`).join('\n')}\n</tbody></table>`;
}

/** A small line chart of [ms, value] pairs: numbers only reach the SVG. */
function sparkline(points: Array<[number, number]>): string {
  const pts = points.filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v));
  if (pts.length < 2) return '';
  const [t0, t1] = [pts[0][0], pts[pts.length - 1][0]];
  const vs = pts.map(([, v]) => v);
  const [lo, hi] = [Math.min(...vs), Math.max(...vs)];
  const W = 240;
  const H = 36;
  const x = (t: number) => (t1 > t0 ? ((t - t0) / (t1 - t0)) * W : 0);
  const y = (v: number) => (hi > lo ? H - ((v - lo) / (hi - lo)) * H : H / 2);
  const d = pts.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  return `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img"><polyline fill="none" stroke="#2c7be5" stroke-width="1.5" points="${d}"/></svg>`;
}

function metrics(b: SnapshotBody): string {
  const samples = obj(b.samples);
  const baselines = obj(b.baselines);
  const rows = Object.entries(samples).map(([metric, raw]) => {
    const pts = list<unknown>(raw).map((p) => list<unknown>(p)).map(([t, v]) => [Number(t), Number(v)] as [number, number]);
    const vs = pts.map(([, v]) => v).filter(Number.isFinite);
    const band = obj(baselines[metric]);
    const fmt = (n: number | undefined) => metricValue(metric, n);
    return `<tr><td>${text(metric)}</td><td>${text(fmt(vs.at(-1)))}</td><td>${text(fmt(vs.length ? Math.min(...vs) : undefined))}</td>` +
      `<td>${text(fmt(vs.length ? Math.max(...vs) : undefined))}</td><td>${vs.length}</td>` +
      `<td>${text(finite(band.lower) !== undefined ? `${fmt(finite(band.lower))} – ${fmt(finite(band.upper))}` : '')}</td><td>${sparkline(pts)}</td></tr>`;
  });
  if (rows.length === 0) return '<p class="none">none</p>';
  return `<table><thead><tr><th>metric</th><th>last</th><th>min</th><th>max</th><th>samples</th><th>learned band</th><th>window</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function inspect(b: SnapshotBody): string {
  const i = b.inspect ? obj(b.inspect) : undefined;
  if (!i) return '<p class="none">No inspect facts: no capture came with this fault (they are read at die, oom and unhealthy events).</p>';
  const limits = obj(i.limits);
  const rp = obj(i.restartPolicy);
  const health = i.health ? obj(i.health) : undefined;
  const cpus = finite(limits.nanoCpus) ? formatValue(finite(limits.nanoCpus)! / 1e9) : '';
  const out = [facts([
    ['image', i.image], ['image ID', i.imageId], ['command', list(i.command).map(String).join(' ')], ['user', i.user], ['working directory', i.workingDir],
    ['restart policy', `${String(rp.name ?? '')}${finite(rp.maximumRetryCount) ? `:${rp.maximumRetryCount}` : ''}`],
    ['memory limit', bytes(limits.memory)], ['memory + swap limit', bytes(limits.memorySwap)], ['CPUs', cpus],
    ['CPU shares', finite(limits.cpuShares) || ''], ['CPU quota / period', finite(limits.cpuQuota) ? `${limits.cpuQuota} / ${limits.cpuPeriod}` : ''],
    ['PIDs limit', finite(limits.pidsLimit) && Number(limits.pidsLimit) > 0 ? limits.pidsLimit : ''],
  ])];
  out.push('<h3>Environment variables (values not recorded)</h3>');
  const env = list(i.env).map(String);
  out.push(env.length ? `<p class="env">${env.map((e) => `<code>${text(e)}</code>`).join(' ')}</p>` : '<p class="none">none</p>');
  out.push('<h3>Mounts</h3>', table(['type', 'source', 'destination', 'mode', 'writable'], list(i.mounts).map(obj).map((m) => [m.type, m.source, m.destination, m.mode, m.rw ? 'yes' : 'no'])));
  out.push('<h3>Networks</h3>', table(['network', 'IP', 'gateway'], list(i.networks).map(obj).map((n) => [n.name, n.ip, n.gateway])));
  if (health) {
    out.push(`<h3>Health check: ${text(health.status)}, failing streak ${text(health.failingStreak)}</h3>`);
    out.push(table(['ended', 'exit code', 'output'], list(health.log).map(obj).map((h) => [when(h.end), h.exitCode, h.output])));
  }
  return out.join('\n');
}

function logs(b: SnapshotBody): string {
  const lines = list(b.logs).map(obj);
  if (lines.length === 0) return '<p class="none">No log lines.</p>';
  const rows = lines.map((l) => {
    const cls = l.stream === 'stderr' ? ' class="stderr"' : '';
    return `<span${cls}>${text(when(l.time))} ${text(l.stream)}  ${text(l.message)}</span>`;
  });
  return `<pre class="logs">${rows.join('\n')}</pre>`;
}

const SOURCE = { docker: 'read from Docker at the fault', influxdb: 'as the collector wrote them to InfluxDB before the fault' } as const;
const sourceNote = (s: unknown) => (s === 'docker' || s === 'influxdb' ? `<p class="src">${SOURCE[s]}</p>` : '');

export function snapshotPage(b: SnapshotBody, links: PageLinks): string {
  const a = obj(b.alert);
  const c = obj(b.container);
  const info = obj(c.info);
  const health = info.health ? obj(info.health) : undefined;
  const labels = Object.entries(obj(c.labels)).map(([k, v]) => `${k}=${String(v)}`).join(', ');
  const src = obj(b.sources);
  const cap = b.capture ? obj(b.capture) : undefined;
  const title = `${text(a.severity)} ${text(a.rule)}: ${text(c.name)} on ${text(b.host)}`;
  const parts = [
    `<h1 class="${a.severity === 'critical' ? 'crit' : 'warn'}">${title}</h1>`,
    `<p class="summary">${text(a.summary)}</p>`,
    facts([
      ['alert started', when(a.startsAt)], ['value', finite(a.value) !== undefined ? formatValue(finite(a.value)!) : ''], ['alert', a.key], ['snapshot', b.id],
      ['captured from Docker', cap ? `${when(cap.time)} at the ${String(cap.trigger ?? '')} event` : 'no'],
    ]),
    `<p class="links"><a href="${escapeHtml(links.json)}">JSON</a>${links.dashboard ? ` · <a href="${escapeHtml(links.dashboard)}">container dashboard</a>` : ''}</p>`,
    '<h2>Container</h2>',
    facts([
      ['ID', c.id], ['image', c.image], ['state', c.state], ['exit code', info.exitCode], ['OOM killed', info.oomKilled ? 'yes' : ''],
      ['restart count', info.restartCount], ['restarts in the window', c.restartsInWindow], ['started', when(info.startedAt)], ['finished', when(info.finishedAt)],
      ['health', health ? `${String(health.status ?? '')}${finite(health.failingStreak) ? `, failing streak ${health.failingStreak}` : ''}` : ''],
      ['memory limit', bytes(info.memLimit)], ['labels', labels],
    ]),
    '<h2>Inspect at the fault</h2>',
    inspect(b),
    '<h2>Last log lines</h2>',
    sourceNote(src.logs),
    logs(b),
    '<h2>Processes</h2>',
    sourceNote(src.processes),
    table(['PID', 'user', 'state', 'CPU %', 'memory %', 'RSS', 'command'], list(b.processes).map(obj).map((p) => [
      p[PF.pid], p[PF.user], p[PF.state], finite(p[PF.cpuPercent]) !== undefined ? formatValue(finite(p[PF.cpuPercent])!) : '',
      finite(p[PF.memPercent]) !== undefined ? formatValue(finite(p[PF.memPercent])!) : '', bytes(p[PF.rss]), p[PF.command],
    ])),
    '<h2>Metric windows</h2>',
    metrics(b),
    '<h2>Docker events before the fault</h2>',
    table(['time', 'action', 'detail'], list(b.events).map(obj).map((e) => [when(e.time), e.action, e.detail])),
  ];
  const notes = list(b.notes);
  if (notes.length) parts.push('<h2>Notes</h2>', `<ul>${notes.map((n) => `<li>${text(n)}</li>`).join('')}</ul>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; color: #222; max-width: 72em; margin: 1em auto; padding: 0 1em; }
h1 { font-size: 1.4em; } h1.crit { color: #c0392b; } h1.warn { color: #d35400; } h2 { font-size: 1.15em; margin-top: 1.5em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1em; } table { border-collapse: collapse; margin: .4em 0; } th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top; }
table.facts th { background: #f6f6f6; font-weight: 600; } pre.logs { background: #f6f6f6; padding: .6em; white-space: pre-wrap; word-break: break-all; }
.stderr { color: #a40000; } .none, .src { color: #777; } code { background: #f1f1f1; padding: 0 3px; margin: 1px; display: inline-block; }
</style></head>
<body>
${parts.join('\n')}
</body></html>
`;
}
