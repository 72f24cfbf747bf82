/**
 * Start-up summaries (pure): each component logs one record that says, in a
 * sentence an operator reads, where it stands (what it watches, where its
 * output goes, what is missing), with the same facts as fields for tools.
 * Nothing secret goes in: credentials are cut out of addresses.
 */
import type { Config } from './config.js';
import { redactUrl, REDACTED } from './config-redact.js';
import { dockerEndpoint } from './config.js';

export interface Summary {
  /** the sentence: parts joined by "; " */
  msg: string;
  /** the same facts as fields */
  fields: Record<string, unknown>;
  /** what an operator should fix, one warning record each */
  warnings: string[];
}

/** "redis://user:secret@host:6379/0" → "redis://host:6379/0"; query values redacted too (common/config-redact.ts). */
export const withoutCredentials = (url: string) => redactUrl(url).replace(`//${REDACTED}@`, '//');

export const onOff = (on: boolean) => (on ? 'on' : 'off');

/** Where points go. */
export function influxTarget(cfg: Config): string {
  const i = cfg.influx;
  const api = i.apiVersion === 'auto' ? '' : `, API ${i.apiVersion}`;
  return `InfluxDB ${withoutCredentials(i.url)} ${i.apiVersion === 'v1' ? 'database' : 'bucket/database'} ${i.bucket}${api}`;
}

/** Where the queues are. */
export function redisTarget(cfg: Config): string {
  const r = cfg.redis;
  return r.nodes.length ? `Redis Cluster ${r.nodes.join(',')}` : `Redis ${withoutCredentials(r.url)}`;
}

export function dockerTarget(cfg: Config, serverVersion?: string): string {
  return `Docker${serverVersion ? ` ${serverVersion}` : ''} at ${dockerEndpoint(cfg.docker)}`;
}

export function durationText(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export function summary(component: string, parts: Array<string | false | undefined>, fields: Record<string, unknown>, warnings: string[] = []): Summary {
  return { msg: `${component} ready: ${parts.filter(Boolean).join('; ')}`, fields, warnings };
}

/** Logs a summary: one info record, then one warning record per problem. */
export function logSummary(log: { info(o: object, m: string): void; warn(o: object, m: string): void }, s: Summary): void {
  log.info({ summary: s.fields }, s.msg);
  for (const w of s.warnings) log.warn({}, w);
}
