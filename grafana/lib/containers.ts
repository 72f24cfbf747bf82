/** Variables and container-metric queries shared by the dashboards. */
import {
  MEASUREMENT as M, TAG, TAG_VALUE, CPU_FIELDS, MEM_FIELDS, BLKIO_FIELDS, PIDS_FIELDS, INFO_FIELDS, STATUS_FIELDS,
  PROCESSOR_MEASUREMENT as PM, PROCESSOR_METRICS as PMET, ROLLUP_FIELDS, THRESHOLD_FIELDS, metricField,
} from '../../common/schema.js';
import { target, queryVar, timeseries, barchart, organize, asTime } from './build.js';
import { ident, literal, matchVar, eq, and, TIME_FILTER, INTERVAL, inRollupRp, ROLLUP_RP_VAR, ROLLUP_RP, DEFAULT_RP, atRangeEnd, WINDOW } from './influxql.js';
import type { InfluxTarget, Variable } from './model.js';
import { DEFAULTS } from '../../common/config.js';
import { containerLink } from './links.js';

export const HOST = 'host';
export const CONTAINER = 'container';
export const NETWORK = 'network';
export const DEVICE = 'device';

const q = ident;

export const hostFilter = matchVar(TAG.engineHost, HOST);
export const containerFilter = matchVar(TAG.containerName, CONTAINER);
/** Series of one container: host and container name. */
export const BY_CONTAINER = `${q(TAG.engineHost)}, ${q(TAG.containerName)}`;
export const SERIES_ALIAS = `$tag_${TAG.engineHost}/$tag_${TAG.containerName}`;

export function hostVar(): Variable {
  // docker_container_status is written for every container, stopped ones too, by Shipwatch and Telegraf.
  return queryVar({
    name: HOST, label: 'Host', multi: true, includeAll: true,
    query: `SHOW TAG VALUES FROM ${q(M.status)} WITH KEY = ${q(TAG.engineHost)}`,
    expect: { columns: ['value'], source: 'status', telegraf: true },
  });
}

export function containerVar(): Variable {
  return queryVar({
    name: CONTAINER, label: 'Container', multi: true, includeAll: true,
    query: `SHOW TAG VALUES FROM ${q(M.status)} WITH KEY = ${q(TAG.containerName)} WHERE ${hostFilter}`,
    expect: { columns: ['value'], source: 'status', telegraf: true },
  });
}

/** Interfaces: Shipwatch and current Telegraf write "total"; older Telegraf only per interface. */
export function networkVar(): Variable {
  return queryVar({
    name: NETWORK, label: 'Interface', current: TAG_VALUE.networkTotal,
    description: `"${TAG_VALUE.networkTotal}" is the sum over the container's interfaces`,
    query: `SHOW TAG VALUES FROM ${q(M.net)} WITH KEY = ${q(TAG.network)}`,
    expect: { columns: ['value'], source: 'metrics', telegraf: true },
  });
}

export function deviceVar(): Variable {
  return queryVar({
    name: DEVICE, label: 'Block device', current: TAG_VALUE.deviceTotal,
    description: `"${TAG_VALUE.deviceTotal}" is the sum over the container's devices`,
    query: `SHOW TAG VALUES FROM ${q(M.blkio)} WITH KEY = ${q(TAG.device)}`,
    expect: { columns: ['value'], source: 'metrics', telegraf: true },
  });
}

/**
 * Where the rollup history is: the retention policy "rollup" (influx.rollupRetentionPolicy) when the database
 * has it, else the default "autogen" (where the processor writes rollups it could not put there, and where a
 * database Telegraf alone filled has no rollups at all, so the query is empty instead of failing). Grafana
 * lists the policies' names, the regex keeps those two and the descending sort puts "rollup" first.
 */
export const rollupRpVar = (): Variable => ({
  ...queryVar({
    name: ROLLUP_RP_VAR, label: 'Rollup retention policy', current: ROLLUP_RP, query: 'SHOW RETENTION POLICIES',
    description: 'Retention policy of the processor\'s rollup history (influx.rollupRetentionPolicy), else the default one',
    expect: { columns: ['name'], source: 'rollup' },
  }),
  regex: `/^(${ROLLUP_RP}|${DEFAULT_RP})$/`,
  sort: 2,
  hide: 2,
});

/** One container metric as the dashboards draw it. */
export interface Metric {
  title: string;
  unit: string;
  /** the raw series, from the collector's (or Telegraf's) measurement */
  raw: (refId: string) => InfluxTarget;
  /** the processor's metric name for its rollup and band; none when it has none */
  processor?: string;
  description: string;
}

const cpuTotal = eq(TAG.cpu, TAG_VALUE.cpuTotal);
const filters = (...extra: string[]) => and(hostFilter, containerFilter, ...extra, TIME_FILTER);
const perInterval = `GROUP BY time(${INTERVAL}), ${BY_CONTAINER} fill(none)`;

function meanOf(measurement: string, field: string, as: string, ...extra: string[]) {
  return (refId: string) =>
    target(refId, `SELECT mean(${q(field)}) AS ${q(as)} FROM ${q(measurement)} WHERE ${filters(...extra)} ${perInterval}`, {
      alias: SERIES_ALIAS,
      expect: { columns: [as], source: 'metrics', telegraf: measurement !== M.pids },
    });
}

/** Bytes per second from a cumulative counter. */
function rateOf(measurement: string, field: string, as: string, ...extra: string[]) {
  return (refId: string) =>
    target(refId, `SELECT non_negative_derivative(max(${q(field)}), 1s) AS ${q(as)} FROM ${q(measurement)} WHERE ${filters(...extra)} ${perInterval}`, {
      alias: SERIES_ALIAS,
      expect: { columns: [as], source: 'metrics', telegraf: true },
    });
}

const netFilter = matchVar(TAG.network, NETWORK);
const devFilter = matchVar(TAG.device, DEVICE);

export const METRICS: Record<string, Metric> = {
  cpu: {
    title: 'CPU', unit: 'percent', processor: PMET.cpuPercent,
    description: 'CPU use as docker stats shows it: 100 % is one full core.',
    raw: meanOf(M.cpu, CPU_FIELDS.usagePercent, 'cpu', cpuTotal),
  },
  memory: {
    title: 'Memory', unit: 'bytes', processor: PMET.memUsage,
    description: 'Memory in use without reclaimable page cache, as docker stats shows it.',
    raw: meanOf(M.mem, MEM_FIELDS.usage, 'memory'),
  },
  memoryPercent: {
    title: 'Memory % of limit', unit: 'percent', processor: PMET.memPercent,
    description: 'Memory in use as a share of the container\'s limit (the host\'s memory when it has none).',
    raw: meanOf(M.mem, MEM_FIELDS.usagePercent, 'memory_percent'),
  },
  netIn: {
    title: 'Network in', unit: 'Bps', processor: PMET.netRxRate,
    description: 'Bytes received per second on the chosen interface.',
    raw: rateOf(M.net, 'rx_bytes', 'rx', netFilter),
  },
  netOut: {
    title: 'Network out', unit: 'Bps', processor: PMET.netTxRate,
    description: 'Bytes sent per second on the chosen interface.',
    raw: rateOf(M.net, 'tx_bytes', 'tx', netFilter),
  },
  blockRead: {
    title: 'Block read', unit: 'Bps', processor: PMET.blkioReadRate,
    description: 'Bytes read from block devices per second.',
    raw: rateOf(M.blkio, BLKIO_FIELDS.readBytes, 'read', devFilter),
  },
  blockWrite: {
    title: 'Block write', unit: 'Bps', processor: PMET.blkioWriteRate,
    description: 'Bytes written to block devices per second.',
    raw: rateOf(M.blkio, BLKIO_FIELDS.writeBytes, 'write', devFilter),
  },
  pids: {
    title: 'Processes and threads', unit: 'short', processor: PMET.pids,
    description: 'Processes and threads in the container (the PIDS column of docker stats).',
    raw: meanOf(M.pids, PIDS_FIELDS.current, 'pids'),
  },
};

/** The processor's rolled average of a metric; also what long ranges show once raw points have expired. */
export function rolledAverage(refId: string, metric: string): InfluxTarget {
  return target(refId,
    `SELECT mean(${q(metricField(metric, ROLLUP_FIELDS.mean))}) AS ${q('avg')} FROM ${inRollupRp(PM.rollup)} WHERE ${filters()} ${perInterval}`, {
      alias: `${SERIES_ALIAS} avg`,
      expect: { columns: ['avg'], source: 'rollup' },
    });
}

/** The dynamic-threshold band the processor learned for a metric. */
export function band(refId: string, metric: string): InfluxTarget {
  return target(refId,
    `SELECT mean(${q(metricField(metric, THRESHOLD_FIELDS.lower))}) AS ${q('lower')}, mean(${q(metricField(metric, THRESHOLD_FIELDS.upper))}) AS ${q('upper')} ` +
      `FROM ${q(PM.threshold)} WHERE ${filters()} ${perInterval}`,
    { alias: `${SERIES_ALIAS} $col`, expect: { columns: ['lower', 'upper'], source: 'threshold' } });
}

/**
 * A metric's chart: the raw series, and over it the rolled average ("... avg")
 * and the learned band ("... lower", "... upper").
 */
/** Metrics the default configuration feeds to the detector (processor.thresholds.metrics): only they get a band query. */
export const BANDED: ReadonlySet<string> = new Set(DEFAULTS.processor.thresholds.metrics);

export function metricChart(m: Metric, opts: { band?: boolean; w?: number; h?: number } = {}) {
  const targets = [m.raw('A')];
  if (m.processor) targets.push(rolledAverage('B', m.processor));
  const banded = !!m.processor && opts.band !== false && BANDED.has(m.processor);
  if (banded) targets.push(band('C', m.processor!));
  const note = m.processor && opts.band !== false && !banded
    ? ` No learned band drawn: the default configuration does not feed ${m.processor} to the detector. Where processor.thresholds.metrics or a ` +
      `container's shipwatch.anomaly.${m.processor} label does, its band is in shipwatch_threshold (fields ${m.processor}_lower and _upper), e.g. for Explore.`
    : '';
  return timeseries({
    title: m.title, description: m.description + note, unit: m.unit, targets, min: 0, w: opts.w, h: opts.h,
  });
}

/** How fast a metric's rolled average moves, per minute, between consecutive averaging windows, beside its chart. */
export function deltaChart(m: Metric & { processor: string }, opts: { w?: number; h?: number } = {}) {
  return timeseries({
    title: `${m.title}: 1-minute change`, unit: m.unit, w: opts.w, h: opts.h,
    description: `Change of the rolled average per minute, from one averaging window (processor.averageWindow) to the next: above 0 it rises. ${m.title}: ${m.description}`,
    targets: [target('A',
      `SELECT derivative(mean(${q(metricField(m.processor, ROLLUP_FIELDS.mean))}), 1m) AS "change" FROM ${inRollupRp(PM.rollup)} WHERE ${filters()} ${perInterval}`,
      { alias: SERIES_ALIAS, expect: { columns: ['change'], source: 'rollup' } })],
  });
}

/**
 * Mean CPU of the containers picked (summed) per hour of the day, in the dashboard's time zone: hourly sums,
 * their hour formatted as HH and averaged per hour by Grafana's transformations (InfluxQL has no hour of day).
 */
export function busiestHoursPanel(filter: string, w = 12, h = 8) {
  return {
    ...barchart({
      title: 'Busiest hours: CPU by hour of the day', w, h, unit: 'percent', xField: 'hour', decimals: 1,
      description: 'Mean CPU (100 % = one core) of the containers picked, summed, for each hour of the day over the time range; pick a range of days or weeks. ' +
        'The same profile is in the reports ("Busiest hours").',
      targets: [target('A',
        `SELECT sum("cpu") AS "cpu" FROM (SELECT mean(${q(CPU_FIELDS.usagePercent)}) AS "cpu" FROM ${q(M.cpu)} WHERE ${and(filter, cpuTotal, TIME_FILTER)} ` +
          `GROUP BY time(${INTERVAL}), ${BY_CONTAINER} fill(none)) WHERE ${TIME_FILTER} GROUP BY time(${INTERVAL}) fill(none)`,
        { format: 'table', expect: { columns: ['cpu'], source: 'metrics', telegraf: true } })],
      transformations: [
        { id: 'formatTime', options: { timeField: 'Time', outputFormat: 'HH', useTimezone: true } },
        { id: 'groupBy', options: { fields: { Time: { operation: 'groupby', aggregations: [] }, cpu: { operation: 'aggregate', aggregations: ['mean'] } } } },
        { id: 'sortBy', options: { fields: {}, sort: [{ field: 'Time', desc: false }] } },
        organize({ rename: { Time: 'hour', 'cpu (mean)': 'mean CPU' } }),
      ],
    }),
    // One bucket per hour whatever the range: the profile needs whole hours.
    interval: '1h',
    maxDataPoints: 100_000,
  };
}

/** Last known facts per container, for tables: image, IP, ports, created, state (Shipwatch's info). */
export function infoTarget(refId: string, extraFilter = ''): InfluxTarget {
  const f = INFO_FIELDS;
  return target(refId,
    `SELECT last(${q(f.state)}) AS "state", last(${q(f.image)}) AS "image", last(${q(f.ip)}) AS "ip", last(${q(f.ports)}) AS "ports", ` +
      `last(${q(f.created)}) / 1000000 AS "created" FROM ${q(M.info)} WHERE ${and(hostFilter, extraFilter, atRangeEnd(WINDOW.info))} GROUP BY ${BY_CONTAINER}`,
    { format: 'table', expect: { columns: [TAG.engineHost, TAG.containerName, 'state', 'image', 'ip', 'ports', 'created'], source: 'info' } });
}

/** Uptime and restarts at the end of the range (Shipwatch and Telegraf). */
export function statusTarget(refId: string, extraFilter = ''): InfluxTarget {
  return target(refId,
    `SELECT last(${q(STATUS_FIELDS.uptimeNs)}) / 3600000000000 AS "uptime_h", last(${q(STATUS_FIELDS.restartCount)}) AS "restarts" ` +
      `FROM ${q(M.status)} WHERE ${and(hostFilter, extraFilter, atRangeEnd(WINDOW.status))} GROUP BY ${BY_CONTAINER}`,
    { format: 'table', expect: { columns: [TAG.engineHost, TAG.containerName, 'uptime_h', 'restarts'], source: 'status', telegraf: true } });
}

/** CPU and memory at the end of the range (Shipwatch and Telegraf). */
export function usageTargets(refIds: [string, string], extraFilter = ''): InfluxTarget[] {
  const end = atRangeEnd(WINDOW.status);
  return [
    target(refIds[0], `SELECT last(${q(CPU_FIELDS.usagePercent)}) AS "cpu" FROM ${q(M.cpu)} WHERE ${and(hostFilter, extraFilter, cpuTotal, end)} GROUP BY ${BY_CONTAINER}`,
      { format: 'table', expect: { columns: [TAG.engineHost, TAG.containerName, 'cpu'], source: 'metrics', telegraf: true } }),
    target(refIds[1],
      `SELECT last(${q(MEM_FIELDS.usage)}) / 1048576 AS "memory_mib", last(${q(MEM_FIELDS.usagePercent)}) AS "memory_percent" FROM ${q(M.mem)} WHERE ${and(hostFilter, extraFilter, end)} GROUP BY ${BY_CONTAINER}`,
      { format: 'table', expect: { columns: [TAG.engineHost, TAG.containerName, 'memory_mib', 'memory_percent'], source: 'metrics', telegraf: true } }),
  ];
}

/** Table rows of several queries joined per container (the time column dropped first, it differs per query). */
export const JOIN_PER_CONTAINER = [organize({ exclude: ['Time'] }), { id: 'merge', options: {} }];

export const CONTAINER_COLUMNS = [
  TAG.engineHost, TAG.containerName, 'state', 'image', 'ip', 'ports', 'created', 'uptime_h', 'restarts', 'cpu', 'memory_mib', 'memory_percent',
];

/** The joined columns in a fixed order with readable names; "created" shown as a date. */
export const ORDER_CONTAINER_COLUMNS = [
  asTime('created'),
  organize({
    order: CONTAINER_COLUMNS,
    rename: {
      [TAG.engineHost]: 'host', [TAG.containerName]: 'container', ip: 'IP', uptime_h: 'uptime (h)', cpu: 'CPU %',
      memory_mib: 'memory (MiB)', memory_percent: 'memory %',
    },
  }),
];

/** Every cell of a row opens the row's container dashboard (fields named by the query's tags). */
export const CONTAINER_ROW_LINK = containerLink(`\${__data.fields.${TAG.engineHost}}`, `\${__data.fields.${TAG.containerName}}`);
/** The same, after ORDER_CONTAINER_COLUMNS renamed the fields. */
export const RENAMED_ROW_LINK = containerLink('${__data.fields.host}', '${__data.fields.container}');

export { literal };
