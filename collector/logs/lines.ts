/** docker_log, docker_log_stats and docker_log_matches lines. Pure. */
import { MEASUREMENT, TAG, LOG_FIELDS, LOG_STATS_FIELDS, LOG_MATCH_FIELDS, FIELD_CONTAINER_ID, type LogLevel, type LogStreamName } from '../../common/schema.js';
import { fieldSet, line, int } from '../../common/lineprotocol.js';
import type { ContainerSeries } from '../points.js';
import type { LogCounts } from './state.js';

/** Series keys of one container's log measurements; without container_status, as Telegraf's docker_log. */
export class LogSeries {
  private readonly streams = new Map<string, string>();
  readonly stats: string;
  private readonly matchKeys = new Map<string, string>();

  constructor(readonly series: ContainerSeries) {
    this.stats = series.key(MEASUREMENT.logStats, { [TAG.containerStatus]: undefined });
  }

  stream(name: LogStreamName): string {
    let k = this.streams.get(name);
    if (!k) this.streams.set(name, (k = this.series.key(MEASUREMENT.log, { [TAG.containerStatus]: undefined, [TAG.stream]: name })));
    return k;
  }

  match(pattern: string): string {
    let k = this.matchKeys.get(pattern);
    if (!k) this.matchKeys.set(pattern, (k = this.series.key(MEASUREMENT.logMatches, { [TAG.containerStatus]: undefined, [TAG.pattern]: pattern })));
    return k;
  }
}

/** One log line at its own ns time. */
export function logLine(key: string, containerId: string, message: string, level: LogLevel, ns: bigint): string {
  return key + ' ' + fieldSet({ [FIELD_CONTAINER_ID]: containerId, [LOG_FIELDS.message]: message, [LOG_FIELDS.level]: level }) + ' ' + ns.toString();
}

export function logStatsLines(s: LogSeries, counts: LogCounts, matches: Map<string, number>, timeMs: number, out: string[]): void {
  const id = s.series.idField;
  out.push(line(s.stats, {
    [LOG_STATS_FIELDS.lines]: int(counts.lines),
    [LOG_STATS_FIELDS.written]: int(counts.written),
    [LOG_STATS_FIELDS.dropped]: int(counts.dropped),
    [LOG_STATS_FIELDS.bytes]: int(counts.bytes),
    [FIELD_CONTAINER_ID]: id,
  }, timeMs));
  for (const [name, n] of matches) out.push(line(s.match(name), { [LOG_MATCH_FIELDS.count]: int(n), [FIELD_CONTAINER_ID]: id }, timeMs));
}
