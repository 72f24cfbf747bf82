/**
 * Makes one report: reads its data (queries.ts), computes the figures
 * (figures.ts), renders HTML, CSV and charts, and returns the files with the
 * report's metadata. What the period is compared with ("what changed") is
 * the previous report of the same schedule when it is stored, else the
 * equally long period before, read from InfluxDB.
 */
import type { InfluxQL } from '../../common/influx/query.js';
import type { Config } from '../../common/config.js';
import { REPORT_HTML, REPORT_META_VERSION, type ReportFile, type ReportMeta } from '../../common/reports.js';
import { readReportData, readInventory, type ReportRange, type SourceOptions } from './queries.js';
import { computeReport, type Previous } from './figures.js';
import { reportCsv } from './csv.js';
import { reportHtml } from './html.js';
import { reportCharts } from './charts.js';
import { formatBytes, formatPercent, formatPeriod } from './format.js';
import type { Report } from './model.js';

export const REPORT_JSON = 'report.json';

/** Periods starting this long before the raw retention ends are read from the rollups. */
const RAW_MARGIN_MS = 3_600_000;

export interface ReportRequest {
  id: string;
  kind: Report['kind'];
  schedule: string | null;
  range: ReportRange;
}

export interface Built {
  report: Report;
  meta: ReportMeta;
  files: ReportFile[];
}

/** "daily-20261129T060000Z": a scheduled report's ID, from its schedule and the period's end. */
export const scheduledReportId = (schedule: string, to: number) => `${schedule}-${new Date(to).toISOString().replace(/[-:]|\.\d+/g, '')}`;

export function sourceFor(from: number, now: number, cfg: Pick<Config, 'influx' | 'processor'>): SourceOptions {
  const raw = cfg.influx.retention.raw;
  const rollupRp = cfg.influx.rollupRetentionPolicy !== cfg.influx.retentionPolicy ? cfg.influx.rollupRetentionPolicy : '';
  return { source: raw === 0 || from >= now - raw + RAW_MARGIN_MS ? 'raw' : 'rollup', rollupRp, minBucket: cfg.processor.averageWindow };
}

export function summaryLine(r: Report): string {
  if (r.empty) return 'No container data in this period.';
  const f = r.fleet;
  return `${f.containers} containers on ${r.hosts.length} host${r.hosts.length === 1 ? '' : 's'}; CPU mean ${formatPercent(f.cpu.mean)}, peak ${formatPercent(f.cpu.peak)}; ` +
    `memory peak ${formatBytes(f.mem.peak)}; ${f.alerts.fired} alerts fired, ${f.restarts} restarts, ${f.ooms} OOM kills`;
}

export interface BuildDeps {
  influx: InfluxQL;
  cfg: Pick<Config, 'influx' | 'reports' | 'processor'>;
  /** the stored report.json of a previous report, when there is one */
  previousReport?: (id: string) => Promise<Report | undefined>;
  now: number;
}

async function previous(d: BuildDeps, req: ReportRequest): Promise<Previous> {
  const { from, to } = req.range;
  const len = to - from;
  if (req.schedule && d.previousReport) {
    const id = scheduledReportId(req.schedule, from);
    const prev = await d.previousReport(id).catch(() => undefined);
    if (prev && prev.to === from && prev.host === req.range.host) {
      return { from: prev.from, to: prev.to, report: id, inventory: prev.inventory, images: prev.imageList };
    }
  }
  const r = { from: from - len, to: from, host: req.range.host };
  const inv = await readInventory(d.influx, r, sourceFor(r.from, d.now, d.cfg));
  return { from: r.from, to: r.to, report: null, ...inv };
}

export async function buildReport(d: BuildDeps, req: ReportRequest): Promise<Built> {
  const { cfg } = d;
  const data = await readReportData(d.influx, req.range, sourceFor(req.range.from, d.now, cfg));
  const title = `Shipwatch ${req.schedule ? `${req.schedule} ` : ''}report${req.range.host ? ` for ${req.range.host}` : ''}`;
  const report = computeReport(data, {
    id: req.id, title, kind: req.kind, schedule: req.schedule, host: req.range.host, timezone: cfg.reports.timezone, generatedAt: d.now,
    topN: cfg.reports.topN, nearLimit: cfg.reports.nearLimit, horizon: cfg.reports.horizon,
  }, await previous(d, req));
  const charts = reportCharts(report);
  const files: ReportFile[] = [
    { name: REPORT_HTML, type: 'text/html; charset=utf-8', data: Buffer.from(reportHtml(report, charts)) },
    ...Object.entries(reportCsv(report)).map(([name, text]) => ({ name, type: 'text/csv; charset=utf-8', data: Buffer.from(text) })),
    ...charts.map((c) => ({ name: c.name, type: 'image/png', data: c.png })),
    { name: REPORT_JSON, type: 'application/json', data: Buffer.from(JSON.stringify(report)) },
  ];
  const meta: ReportMeta = {
    v: REPORT_META_VERSION, id: report.id, title: report.title, period: formatPeriod(report.from, report.to, report.timezone), kind: report.kind, schedule: report.schedule, from: report.from, to: report.to,
    host: report.host, timezone: report.timezone, createdAt: d.now, empty: report.empty, summary: summaryLine(report),
    files: files.map((f) => ({ name: f.name, type: f.type, bytes: f.data.length })),
  };
  return { report, meta, files };
}
