/** InfluxQL pieces for dashboard queries; every name comes from common/schema.ts. */
import { ident, literal } from '../../common/influx/query.js';
import { DEFAULTS } from '../../common/config.js';

export { ident, literal };

/** Grafana's time range condition and GROUP BY interval. */
export const TIME_FILTER = '$timeFilter';
export const INTERVAL = '$__interval';

/**
 * Tag matches a (multi-value) variable. The group keeps the anchors around the
 * whole alternation whether Grafana renders the values as `(a|b)` or `a|b`.
 */
export const matchVar = (tag: string, variable: string) => `${ident(tag)} =~ /^($${variable})$/`;
export const eq = (tag: string, value: string) => `${ident(tag)} = ${literal(value)}`;

/** The rollups' retention policy, a dashboard constant (influx.rollupRetentionPolicy). */
export const ROLLUP_RP_VAR = 'rollup_rp';
export const ROLLUP_RP = DEFAULTS.influx.rollupRetentionPolicy;
/** The default retention policy of a 1.x database, and of a 2.x/3.x bucket's InfluxQL mapping. */
export const DEFAULT_RP = 'autogen';
export const inRollupRp = (measurement: string) => `"$${ROLLUP_RP_VAR}".${ident(measurement)}`;

export function durationLiteral(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.ceil(ms / 1000)}s`;
}

/**
 * Points written at the end of the time range, for measurements written on a
 * slow cadence ("what is the state now / at the end of the range").
 */
export const atRangeEnd = (windowMs: number) => `time > \${__to}ms - ${durationLiteral(windowMs)} AND time <= \${__to}ms`;

/** Look-back windows: a little over each measurement's write cadence (defaults in common/config.ts). */
export const WINDOW = {
  /** docker_container_info: written on change and at least every collector.infoEvery */
  info: DEFAULTS.collector.infoEvery + 60_000,
  processes: 4 * DEFAULTS.collector.processes.interval,
  disk: 2 * DEFAULTS.collector.disk.interval + 60_000,
  images: 2 * DEFAULTS.collector.images.interval + 60_000,
  status: 3 * DEFAULTS.collector.interval,
};

export const and = (...conds: string[]) => conds.filter(Boolean).join(' AND ');
