/**
 * The InfluxQL a report runs, and the shapes its answers are read into
 * (ReportData). Periods within the raw retention are read from the raw points
 * (counters as increases between the last readings of consecutive buckets);
 * older ones from the rollup history, whose rates are turned back into bytes
 * per bucket. Sums over a host's containers per bucket are done by InfluxDB
 * (subqueries), so a big fleet's per-container series never cross the wire.
 */
import { ident as q, literal, rows, type InfluxQL, type Series as InfluxSeries } from '../../common/influx/query.js';
import {
  MEASUREMENT as M, TAG, TAG_VALUE, CPU_FIELDS, MEM_FIELDS, PIDS_FIELDS, BLKIO_FIELDS, STATUS_FIELDS, INFO_FIELDS, EVENT_FIELDS,
  IMAGE_FIELDS, NO_TAG, PROCESSOR_MEASUREMENT as PM, PROCESSOR_TAG as PT, PROCESSOR_METRICS as PMET, ROLLUP_FIELDS as RF,
  ALERT_FIELDS as AF, ALERTER_MEASUREMENT as AM, ALERTER_TAG as AT, HANDLING_EVENTS, HANDLING_FIELDS as HF, RECOVERY_FIELDS as RCF, metricField,
} from '../../common/schema.js';
import type { ContainerData, HostSeries, ReportData, Series } from './model.js';

export interface ReportRange {
  from: number;
  to: number;
  /** one host, or every host */
  host: string | null;
}

export interface SourceOptions {
  source: 'raw' | 'rollup';
  /** where the rollup history is: its retention policy, empty = with the raw points */
  rollupRp: string;
  /** the rollup history's spacing (processor.averageWindow): buckets are never finer */
  minBucket?: number;
}

const NICE = [60_000, 300_000, 900_000, 1_800_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000, 86_400_000];

/**
 * The bucket of the period's series: at most 300 buckets, at most an hour (the busiest-hours profile needs
 * hours), never finer than `min` (the rollup history has one point per averaging window).
 */
export function bucketFor(lengthMs: number, min = 0): number {
  return NICE.find((b) => b >= min && b <= 3_600_000 && lengthMs / b <= 300) ?? Math.max(3_600_000, NICE.find((b) => b >= min) ?? min);
}

/** The bucket of per-container trend series: about 48 points over the period. */
export function trendBucketFor(lengthMs: number): number {
  return NICE.find((b) => lengthMs / b <= 48) ?? NICE[NICE.length - 1];
}

const BY_CONTAINER = `${q(TAG.engineHost)}, ${q(TAG.containerName)}`;
const dur = (ms: number) => `${ms / 1000}s`;
const range = (from: number, to: number) => `time >= ${from}ms AND time < ${to}ms`;
const where = (r: ReportRange, ...conds: string[]) =>
  [...conds, r.host ? `${q(TAG.engineHost)} = ${literal(r.host)}` : '', range(r.from, r.to)].filter(Boolean).join(' AND ');

/** The rollups: one point per container and averaging window, each metric's mean and max as fields (`cpu_percent_mean`). */
const hist = (s: SourceOptions) => (s.rollupRp ? `${q(s.rollupRp)}.${q(PM.rollup)}` : q(PM.rollup));
const avgOf = (m: string) => q(metricField(m, RF.mean));
const maxOf = (m: string) => q(metricField(m, RF.max));

/** What ran in a period: containers with their images, and the hosts' images (the rollups know container names only). */
export function inventoryStatements(r: ReportRange, s: SourceOptions): Record<string, string> {
  if (s.source === 'rollup') {
    return { inventory: `SELECT last(${avgOf(PMET.cpuPercent)}) AS "x" FROM ${hist(s)} WHERE ${where(r)} GROUP BY ${BY_CONTAINER}` };
  }
  return {
    inventory: `SELECT last(${q(STATUS_FIELDS.exitCode)}) AS "x" FROM ${q(M.status)} WHERE ${where(r)} ` +
      `GROUP BY ${BY_CONTAINER}, ${q(TAG.containerImage)}, ${q(TAG.containerVersion)}`,
    imageIds: `SELECT last(${q(INFO_FIELDS.imageId)}) AS "image_id" FROM ${q(M.info)} WHERE ${where(r)} GROUP BY ${BY_CONTAINER}`,
    images: `SELECT last(${q(IMAGE_FIELDS.id)}) AS "id" FROM ${q(M.image)} WHERE ${where(r, `${q(IMAGE_FIELDS.removed)} = false`)} ` +
      `GROUP BY ${q(TAG.engineHost)}, ${q(TAG.imageName)}, ${q(TAG.imageVersion)}`,
  };
}

/** Statements of one report, by name, in the order they run. */
export function reportStatements(r: ReportRange, s: SourceOptions): Record<string, string> {
  const b = bucketFor(r.to - r.from, s.source === 'rollup' ? s.minBucket : 0);
  const tb = Math.max(b, trendBucketFor(r.to - r.from));
  const bucket = `GROUP BY time(${dur(b)}), ${BY_CONTAINER} fill(none)`;
  /** a gauge's per-bucket mean per container, summed per host and bucket */
  const hostSum = (inner: string) => `SELECT sum("v") AS "v" FROM (${inner}) WHERE ${range(r.from, r.to)} GROUP BY time(${dur(b)}), ${q(TAG.engineHost)} fill(none)`;
  const out: Record<string, string> = inventoryStatements(r, s);

  if (s.source === 'raw') {
    const cpuTotal = `${q(TAG.cpu)} = ${literal(TAG_VALUE.cpuTotal)}`;
    out.cpu = `SELECT mean(${q(CPU_FIELDS.usagePercent)}) AS "mean", max(${q(CPU_FIELDS.usagePercent)}) AS "peak" FROM ${q(M.cpu)} WHERE ${where(r, cpuTotal)} GROUP BY ${BY_CONTAINER}`;
    out.cpuHosts = hostSum(`SELECT mean(${q(CPU_FIELDS.usagePercent)}) AS "v" FROM ${q(M.cpu)} WHERE ${where(r, cpuTotal)} ${bucket}`);
    out.mem = `SELECT mean(${q(MEM_FIELDS.usage)}) AS "mean", max(${q(MEM_FIELDS.usage)}) AS "peak", max(${q(MEM_FIELDS.usagePercent)}) AS "peak_percent", ` +
      `last(${q(MEM_FIELDS.limit)}) AS "limit" FROM ${q(M.mem)} WHERE ${where(r)} GROUP BY ${BY_CONTAINER}`;
    out.memHosts = hostSum(`SELECT mean(${q(MEM_FIELDS.usage)}) AS "v" FROM ${q(M.mem)} WHERE ${where(r)} ${bucket}`);
    out.memSeries = `SELECT mean(${q(MEM_FIELDS.usage)}) AS "v" FROM ${q(M.mem)} WHERE ${where(r)} GROUP BY time(${dur(tb)}), ${BY_CONTAINER} fill(none)`;
    out.pids = `SELECT mean(${q(PIDS_FIELDS.current)}) AS "mean", max(${q(PIDS_FIELDS.current)}) AS "peak", last(${q(PIDS_FIELDS.limit)}) AS "limit" ` +
      `FROM ${q(M.pids)} WHERE ${where(r)} GROUP BY ${BY_CONTAINER}`;
    out.pidsSeries = `SELECT mean(${q(PIDS_FIELDS.current)}) AS "v" FROM ${q(M.pids)} WHERE ${where(r)} GROUP BY time(${dur(tb)}), ${BY_CONTAINER} fill(none)`;
    // Increases and rates between the last readings of consecutive buckets that have one (a gap spans its
    // buckets); the bucket before the period gives the first one's base.
    const increases = (m: string, tagCond: string, fields: Array<[string, string]>) =>
      `SELECT ${fields.map(([a, f]) => `non_negative_difference(last(${q(f)})) AS ${q(a)}, non_negative_derivative(last(${q(f)}), 1s) AS ${q(`${a}_rate`)}`).join(', ')} ` +
      `FROM ${q(m)} WHERE ${[tagCond, r.host ? `${q(TAG.engineHost)} = ${literal(r.host)}` : '', range(r.from - b, r.to)].filter(Boolean).join(' AND ')} ${bucket}`;
    // InfluxDB narrows a subquery to the outer query's time range: the outer one starts a bucket early too (that
    // bucket yields no increase of its own).
    const totals = (inner: string, a: string, c: string) =>
      `SELECT sum(${q(a)}) AS ${q(a)}, max(${q(`${a}_rate`)}) AS ${q(`${a}_peak`)}, sum(${q(c)}) AS ${q(c)}, max(${q(`${c}_rate`)}) AS ${q(`${c}_peak`)} ` +
      `FROM (${inner}) WHERE ${range(r.from - b, r.to)} GROUP BY ${BY_CONTAINER}`;
    const rates = (inner: string, a: string, c: string) =>
      `SELECT sum(${q(`${a}_rate`)}) AS ${q(a)}, sum(${q(`${c}_rate`)}) AS ${q(c)} FROM (${inner}) WHERE ${range(r.from - b, r.to)} GROUP BY time(${dur(b)}), ${q(TAG.engineHost)} fill(none)`;
    const net = increases(M.net, `${q(TAG.network)} = ${literal(TAG_VALUE.networkTotal)}`, [['rx', 'rx_bytes'], ['tx', 'tx_bytes']]);
    const blk = increases(M.blkio, `${q(TAG.device)} = ${literal(TAG_VALUE.deviceTotal)}`, [['read', BLKIO_FIELDS.readBytes], ['write', BLKIO_FIELDS.writeBytes]]);
    out.net = totals(net, 'rx', 'tx');
    out.netHosts = rates(net, 'rx', 'tx');
    out.blk = totals(blk, 'read', 'write');
    out.blkHosts = rates(blk, 'read', 'write');
  } else {
    const h = hist(s);
    const perBucket = (m: string) => `SELECT mean(${avgOf(m)}) AS "v" FROM ${h} WHERE ${where(r)} ${bucket}`;
    const bs = b / 1000;
    const meanPeak = (m: string) => `SELECT mean(${avgOf(m)}) AS "mean", max(${maxOf(m)}) AS "peak" FROM ${h} WHERE ${where(r)} GROUP BY ${BY_CONTAINER}`;
    const series = (m: string) => `SELECT mean(${avgOf(m)}) AS "v" FROM ${h} WHERE ${where(r)} GROUP BY time(${dur(tb)}), ${BY_CONTAINER} fill(none)`;
    out.cpu = meanPeak(PMET.cpuPercent);
    out.cpuHosts = hostSum(perBucket(PMET.cpuPercent));
    out.mem = meanPeak(PMET.memUsage);
    out.memPercent = `SELECT max(${maxOf(PMET.memPercent)}) AS "peak_percent" FROM ${h} WHERE ${where(r)} GROUP BY ${BY_CONTAINER}`;
    out.memHosts = hostSum(perBucket(PMET.memUsage));
    out.memSeries = series(PMET.memUsage);
    out.pids = meanPeak(PMET.pids);
    out.pidsSeries = series(PMET.pids);
    // Mean rate per bucket × the bucket's length: the bytes of the bucket.
    const bytes = (m: string, a: string) => `SELECT sum("v") * ${bs} AS ${q(a)}, max("v") AS ${q(`${a}_peak`)} FROM (${perBucket(m)}) WHERE ${range(r.from, r.to)} GROUP BY ${BY_CONTAINER}`;
    const bytesHosts = (m: string, a: string) => `SELECT sum("v") AS ${q(a)} FROM (${perBucket(m)}) WHERE ${range(r.from, r.to)} GROUP BY time(${dur(b)}), ${q(TAG.engineHost)} fill(none)`;
    out.rx = bytes(PMET.netRxRate, 'rx');
    out.tx = bytes(PMET.netTxRate, 'tx');
    out.read = bytes(PMET.blkioReadRate, 'read');
    out.write = bytes(PMET.blkioWriteRate, 'write');
    out.rxHosts = bytesHosts(PMET.netRxRate, 'rx');
    out.txHosts = bytesHosts(PMET.netTxRate, 'tx');
    out.readHosts = bytesHosts(PMET.blkioReadRate, 'read');
    out.writeHosts = bytesHosts(PMET.blkioWriteRate, 'write');
  }
  // Events, alerts and recovery runs are raw points only: an old period has none left.
  const container = `${q(TAG.type)} = ${literal('container')}`;
  out.restarts = `SELECT spread(${q(STATUS_FIELDS.restartCount)}) AS "n" FROM ${q(M.status)} WHERE ${where(r)} GROUP BY ${BY_CONTAINER}`;
  out.restartEvents = `SELECT count(${q(EVENT_FIELDS.rawAction)}) AS "n" FROM ${q(M.event)} WHERE ${where(r, container, `${q(TAG.action)} = 'restart'`)} GROUP BY ${BY_CONTAINER}`;
  out.ooms = `SELECT count(${q(EVENT_FIELDS.rawAction)}) AS "n" FROM ${q(M.event)} WHERE ${where(r, container, `${q(TAG.action)} = 'oom'`)} GROUP BY ${BY_CONTAINER}`;
  out.alerts = `SELECT ${q(AF.startsAt)} FROM ${q(PM.alerts)} WHERE ${where(r)} GROUP BY ${BY_CONTAINER}, ${q(PT.rule)}, ${q(PT.status)}`;
  out.acks = `SELECT ${q(HF.timeToAck)} FROM ${q(AM.alertHandling)} WHERE ${where(r, `${q(AT.event)} = ${literal(HANDLING_EVENTS.acknowledged)}`)} GROUP BY ${BY_CONTAINER}, ${q(AT.rule)}`;
  out.recovery = `SELECT ${q(RCF.runId)}, ${q(RCF.recovered)} FROM ${q(AM.recoveryRun)} WHERE ${where(r)} GROUP BY ${BY_CONTAINER}, ${q(AT.outcome)}`;
  return out;
}

type Row = Record<string, unknown>;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown) => (typeof v === 'string' ? v : '');
const cKey = (host: string, container: string) => `${host}\u0000${container}`;

function seriesOf(rs: Row[], field = 'v'): Series {
  const out: Series = [];
  for (const r of rs) {
    const v = num(r[field]);
    if (v !== null) out.push([Number(r.time), v]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** Rows of a statement grouped by host (and container): key → rows. */
function grouped(rs: Row[], byContainer: boolean): Map<string, Row[]> {
  const m = new Map<string, Row[]>();
  for (const r of rs) {
    const k = byContainer ? cKey(str(r[TAG.engineHost]), str(r[TAG.containerName])) : str(r[TAG.engineHost]);
    let l = m.get(k);
    if (!l) m.set(k, (l = []));
    l.push(r);
  }
  return m;
}

const imageRef = (name: string, version: string) => (version && version !== 'unknown' ? `${name}:${version}` : name);

/** Reads the answers of reportStatements into ReportData (pure). */
export function parseReportData(r: ReportRange, s: SourceOptions, answers: Record<string, InfluxSeries[]>): ReportData {
  const R = (name: string): Row[] => rows(answers[name]);
  const containers = new Map<string, ContainerData>();
  const get = (row: Row): ContainerData | undefined => {
    const host = str(row[TAG.engineHost]);
    const container = str(row[TAG.containerName]);
    if (!host || !container) return undefined;
    const k = cKey(host, container);
    let c = containers.get(k);
    if (!c) {
      c = {
        host, container,
        cpu: { mean: null, peak: null }, mem: { mean: null, peak: null, limit: null, peakPercent: null }, pids: { mean: null, peak: null, limit: null },
        rx: { bytes: 0, peakRate: null }, tx: { bytes: 0, peakRate: null }, read: { bytes: 0, peakRate: null }, write: { bytes: 0, peakRate: null },
        memSeries: [], pidsSeries: [], restarts: 0, ooms: 0,
      };
      containers.set(k, c);
    }
    return c;
  };

  const inventory = R('inventory').flatMap((row) => {
    const c = get(row);
    return c ? [{ host: c.host, container: c.container, image: imageRef(str(row[TAG.containerImage]), str(row[TAG.containerVersion])), imageId: null as string | null }] : [];
  });
  const ids = new Map(R('imageIds').map((row) => [cKey(str(row[TAG.engineHost]), str(row[TAG.containerName])), str(row.image_id) || null]));
  for (const e of inventory) e.imageId = ids.get(cKey(e.host, e.container)) ?? null;
  const images = R('images')
    .filter((row) => str(row[TAG.imageName]) && str(row[TAG.imageName]) !== NO_TAG)
    .map((row) => ({ host: str(row[TAG.engineHost]), image: imageRef(str(row[TAG.imageName]), str(row[TAG.imageVersion])), id: str(row.id) }));

  for (const row of R('cpu')) {
    const c = get(row);
    if (c) c.cpu = { mean: num(row.mean), peak: num(row.peak) };
  }
  for (const row of R('mem')) {
    const c = get(row);
    if (c) c.mem = { mean: num(row.mean), peak: num(row.peak), limit: num(row.limit), peakPercent: num(row.peak_percent) };
  }
  for (const row of R('memPercent')) {
    const c = get(row);
    if (c) c.mem.peakPercent = num(row.peak_percent);
  }
  for (const row of R('pids')) {
    const c = get(row);
    if (c) c.pids = { mean: num(row.mean), peak: num(row.peak), limit: num(row.limit) };
  }
  for (const [k, rs] of grouped(R('memSeries'), true)) {
    const c = containers.get(k) ?? get(rs[0]);
    if (c) c.memSeries = seriesOf(rs);
  }
  for (const [k, rs] of grouped(R('pidsSeries'), true)) {
    const c = containers.get(k) ?? get(rs[0]);
    if (c) c.pidsSeries = seriesOf(rs);
  }
  const traffic = (name: string, fields: Array<'rx' | 'tx' | 'read' | 'write'>) => {
    for (const row of R(name)) {
      const c = get(row);
      if (!c) continue;
      for (const f of fields) {
        if (!(f in row)) continue;
        c[f] = { bytes: num(row[f]) ?? 0, peakRate: num(row[`${f}_peak`]) };
      }
    }
  };
  traffic('net', ['rx', 'tx']);
  traffic('blk', ['read', 'write']);
  for (const f of ['rx', 'tx', 'read', 'write'] as const) traffic(f, [f]);
  for (const row of [...R('restarts'), ...R('restartEvents')]) {
    const c = get(row);
    if (c) c.restarts += num(row.n) ?? 0;
  }
  for (const row of R('ooms')) {
    const c = get(row);
    if (c) c.ooms += num(row.n) ?? 0;
  }

  const hostSeries: Record<string, HostSeries> = {};
  const hs = (host: string) => (hostSeries[host] ??= { cpu: [], mem: [], rx: [], tx: [], read: [], write: [] });
  const sumsInto = (name: string, pick: Array<[keyof HostSeries, string]>) => {
    for (const [host, rs] of grouped(R(name), false)) {
      if (!host) continue;
      for (const [key, field] of pick) {
        const s2 = seriesOf(rs, field);
        if (s2.length) hs(host)[key] = s2;
      }
    }
  };
  sumsInto('cpuHosts', [['cpu', 'v']]);
  sumsInto('memHosts', [['mem', 'v']]);
  sumsInto('netHosts', [['rx', 'rx'], ['tx', 'tx']]);
  sumsInto('blkHosts', [['read', 'read'], ['write', 'write']]);
  for (const f of ['rx', 'tx', 'read', 'write'] as const) sumsInto(`${f}Hosts`, [[f, f]]);

  const alerts = R('alerts').flatMap((row) => {
    const status = str(row[PT.status]);
    if (status !== 'firing' && status !== 'resolved') return [];
    return [{ host: str(row[TAG.engineHost]), container: str(row[TAG.containerName]), rule: str(row[PT.rule]), status, time: Number(row.time), startsAt: num(row[AF.startsAt]) ?? Number(row.time) } as const];
  });
  const acks = R('acks').flatMap((row) => {
    const t = num(row[HF.timeToAck]);
    return t === null ? [] : [{ host: str(row[TAG.engineHost]), container: str(row[TAG.containerName]), rule: str(row[AT.rule]), timeToAckS: t }];
  });
  const recovery = R('recovery').map((row) => ({
    host: str(row[TAG.engineHost]), container: str(row[TAG.containerName]), outcome: str(row[AT.outcome]),
    recovered: typeof row[RCF.recovered] === 'boolean' ? (row[RCF.recovered] as boolean) : null,
  }));

  return {
    from: r.from, to: r.to, bucketMs: bucketFor(r.to - r.from, s.source === 'rollup' ? s.minBucket : 0), source: s.source,
    inventory, images, containers: [...containers.values()], hostSeries, alerts, acks, recovery,
  };
}

async function run(influx: InfluxQL, stmts: Record<string, string>): Promise<Record<string, InfluxSeries[]>> {
  const names = Object.keys(stmts);
  const results = await influx.statements(names.map((n) => stmts[n]).join(';\n'));
  const answers: Record<string, InfluxSeries[]> = {};
  names.forEach((n, i) => (answers[n] = results[i] ?? []));
  return answers;
}

/** Runs a report's statements (one request) and reads the answers. */
export async function readReportData(influx: InfluxQL, r: ReportRange, s: SourceOptions): Promise<ReportData> {
  return parseReportData(r, s, await run(influx, reportStatements(r, s)));
}

/** The inventory of a period only (what an earlier period is compared with). */
export async function readInventory(influx: InfluxQL, r: ReportRange, s: SourceOptions): Promise<Pick<ReportData, 'inventory' | 'images'>> {
  const d = parseReportData(r, s, await run(influx, inventoryStatements(r, s)));
  return { inventory: d.inventory, images: d.images };
}
