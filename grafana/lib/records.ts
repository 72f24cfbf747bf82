/** Queries of things that happened: Docker events, log lines, alerts, fault snapshots. */
import {
  MEASUREMENT as M, TAG, EVENT_FIELDS as EF, EVENT_TYPES, LOG_FIELDS, LOG_MATCH_FIELDS,
  PROCESSOR_MEASUREMENT as PM, PROCESSOR_TAG as PT, ALERT_FIELDS as AF, SNAPSHOT_FIELDS as SF,
  ALERTER_MEASUREMENT as AM, ALERTER_TAG as AT, NOTIFICATION_FIELDS as NF, RECOVERY_FIELDS as RF, UNROUTED_FIELDS as UF,
} from '../../common/schema.js';
import { target, annotation, byNames, textVar } from './build.js';
import { ident as q, and, eq, TIME_FILTER, INTERVAL } from './influxql.js';
import { hostFilter, containerFilter, BY_CONTAINER } from './containers.js';
import type { DashboardLink, InfluxTarget } from './model.js';

const recent = (limit: number) => `ORDER BY time DESC LIMIT ${limit}`;

/** Docker events, newest first. */
export function eventsTarget(refId: string, limit: number, perContainer: boolean): InfluxTarget {
  const where = and(hostFilter, perContainer ? containerFilter : '', TIME_FILTER);
  return target(refId,
    `SELECT ${q(TAG.type)}, ${q(EF.name)}, ${q(EF.rawAction)} AS "action", ${q(EF.image)}, ${q(EF.exitCode)}, ${q(EF.signal)}, ${q(TAG.engineHost)} ` +
      `FROM ${q(M.event)} WHERE ${where} ${recent(limit)}`,
    { format: 'table', expect: { columns: [TAG.type, EF.name, 'action'], source: 'events' } });
}

/** Container log lines, newest first (Shipwatch's and Telegraf's docker_log). */
export function logsTarget(refId: string, limit: number): InfluxTarget {
  return target(refId,
    `SELECT ${q(TAG.containerName)}, ${q(TAG.stream)}, ${q(LOG_FIELDS.level)}, ${q(LOG_FIELDS.message)} FROM ${q(M.log)} ` +
      `WHERE ${and(hostFilter, containerFilter, TIME_FILTER)} ${recent(limit)}`,
    { format: 'table', expect: { columns: [TAG.containerName, TAG.stream, LOG_FIELDS.level, LOG_FIELDS.message], source: 'logs' } });
}

/** Lines matching the configured patterns, per interval. */
export function logMatchesTarget(refId: string): InfluxTarget {
  return target(refId,
    `SELECT sum(${q(LOG_MATCH_FIELDS.count)}) AS "lines" FROM ${q(M.logMatches)} WHERE ${and(hostFilter, containerFilter, TIME_FILTER)} ` +
      `GROUP BY time(${INTERVAL}), ${BY_CONTAINER}, ${q(TAG.pattern)} fill(none)`,
    { alias: `$tag_${TAG.containerName} $tag_${TAG.pattern}`, expect: { columns: ['lines'], source: 'logs' } });
}

/** Alert transitions (firing, resolved), newest first. */
export function alertsTarget(refId: string, limit: number, perContainer: boolean): InfluxTarget {
  const where = and(hostFilter, perContainer ? containerFilter : '', TIME_FILTER);
  return target(refId,
    `SELECT ${q(PT.status)}, ${q(PT.severity)}, ${q(PT.rule)}, ${q(TAG.engineHost)}, ${q(TAG.containerName)}, ${q(AF.summary)}, ${q(AF.value)}, ${q(AF.snapshotId)} ` +
      `FROM ${q(PM.alerts)} WHERE ${where} ${recent(limit)}`,
    { format: 'table', expect: { columns: [PT.status, PT.severity, PT.rule, TAG.containerName, AF.summary], source: 'alerts' } });
}

/** Notification deliveries, one row per attempt, newest first. */
export function notificationsTarget(refId: string, limit: number): InfluxTarget {
  return target(refId,
    `SELECT ${q(AT.outcome)}, ${q(AT.kind)}, ${q(AT.receiver)}, ${q(AT.channel)}, ${q(AT.rule)}, ${q(TAG.engineHost)}, ${q(TAG.containerName)}, ` +
      `${q(NF.attempt)}, ${q(NF.alerts)}, ${q(NF.durationMs)}, ${q(NF.error)} FROM ${q(AM.notification)} ` +
      `WHERE ${and(hostFilter, containerFilter, TIME_FILTER)} ${recent(limit)}`,
    { format: 'table', expect: { columns: [AT.outcome, AT.kind, AT.receiver, AT.channel, NF.attempt], source: 'notifications' } });
}

/** Deliveries per interval by outcome (sent, failed, duplicate). */
export function deliveriesTarget(refId: string): InfluxTarget {
  return target(refId,
    `SELECT count(${q(NF.attempt)}) AS "deliveries" FROM ${q(AM.notification)} WHERE ${and(hostFilter, containerFilter, TIME_FILTER)} ` +
      `GROUP BY time(${INTERVAL}), ${q(AT.outcome)} fill(none)`,
    { alias: `$tag_${AT.outcome}`, expect: { columns: ['deliveries'], source: 'notifications' } });
}

/** Recovery runs with their outcome and whether the container recovered, newest first. */
export function recoveryTarget(refId: string, limit: number, perContainer: boolean): InfluxTarget {
  const where = and(hostFilter, perContainer ? containerFilter : '', TIME_FILTER);
  return target(refId,
    `SELECT ${q(AT.outcome)}, ${q(RF.recovered)}, ${q(AT.action)}, ${q(AT.rule)}, ${q(TAG.engineHost)}, ${q(TAG.containerName)}, ${q(RF.command)}, ` +
      `${q(RF.exitCode)}, ${q(RF.durationMs)}, ${q(RF.error)}, ${q(RF.stdout)}, ${q(RF.stderr)} FROM ${q(AM.recoveryRun)} WHERE ${where} ${recent(limit)}`,
    { format: 'table', expect: { columns: [AT.outcome, RF.recovered, AT.action, TAG.containerName, RF.command], source: 'recovery' } });
}

/** Firing alerts no receiver was routed to, over the time range. */
export function unroutedTarget(refId: string): InfluxTarget {
  return target(refId,
    `SELECT count(${q(UF.alertKey)}) AS "alerts" FROM ${q(AM.unrouted)} WHERE ${and(hostFilter, TIME_FILTER)}`,
    { format: 'table', expect: { columns: ['alerts'], source: 'unrouted' } });
}

/** Fault snapshots: the container's state recorded when an alert fired; the "page" column opens one on the alerter. */
export function snapshotsTarget(refId: string, limit: number): InfluxTarget {
  return target(refId,
    `SELECT ${q(TAG.containerName)}, ${q(PT.rule)}, ${q(SF.severity)}, ${q(SF.summary)}, ${q(SF.id)}, ${q(SF.id)} AS ${q(SNAPSHOT_PAGE)} ` +
      `FROM ${q(PM.snapshot)} WHERE ${and(hostFilter, containerFilter, TIME_FILTER)} ${recent(limit)}`,
    { format: 'table', expect: { columns: [TAG.containerName, PT.rule, SF.severity, SF.summary, SF.id, SNAPSHOT_PAGE], source: 'snapshots' } });
}

/** The variable holding the alerter API's address, where snapshot pages are. */
export const ALERTER_URL_VAR = 'alerter';
const SNAPSHOT_PAGE = 'page';

export const alerterUrlVar = () => textVar(ALERTER_URL_VAR, 'Alerter API', 'http://127.0.0.1:9095',
  'The alerter API as your browser reaches it (alerter.api.publicUrl): snapshot pages open there. It asks for the API token as the password.');

/** Opens the row's snapshot page on the alerter. */
const SNAPSHOT_LINK: DashboardLink = {
  title: 'Open the snapshot page', type: 'link', icon: 'external link', tooltip: 'Logs, inspect, processes and metrics at the fault',
  url: `\${${ALERTER_URL_VAR}}/snapshots/\${__data.fields.${SF.id}}`,
  tags: [], asDropdown: false, targetBlank: true, includeVars: false, keepTime: false,
};
export const SNAPSHOT_LINKS = [SNAPSHOT_LINK];
export const SNAPSHOT_DESCRIPTION = 'State recorded when an alert fired. "page" opens the snapshot on the alerter (its API token is the password): ' +
  'the last log lines and inspect facts read from Docker at the fault, processes, metric windows. The address is the hidden variable "alerter" ' +
  '(dashboard settings, or ?var-alerter= in the URL).';
/** The "page" column shows the link; the severity is coloured. */
export const SNAPSHOT_CELLS = [
  byNames([SNAPSHOT_PAGE], { 'custom.cellOptions': { type: 'data-links' } }),
  byNames([SF.severity], { 'custom.cellOptions': { type: 'color-text' } }),
];

const colours = (m: Record<string, string>) => [{
  type: 'value',
  options: Object.fromEntries(Object.entries(m).map(([value, color], index) => [value, { color, index }])),
}];

/** Colours of alert status and severity values, and the cells that show them. */
export const ALERT_MAPPINGS = colours({
  firing: 'red', resolved: 'green', critical: 'red', warning: 'orange', info: 'blue',
  // delivery and recovery outcomes
  sent: 'green', failed: 'red', duplicate: 'text', ok: 'green', timeout: 'orange', error: 'red', true: 'green', false: 'red',
});
export const ALERT_CELLS = [byNames([PT.status, PT.severity, AT.outcome, RF.recovered], { 'custom.cellOptions': { type: 'color-text' } })];

/** Colours of log levels. */
export const LOG_MAPPINGS = colours({ error: 'red', warn: 'orange', info: 'green', debug: 'blue' });
export const LOG_CELLS = [byNames([LOG_FIELDS.level], { 'custom.cellOptions': { type: 'color-text' } })];

/** Colours of container states. */
export const STATE_MAPPINGS = colours({ running: 'green', exited: 'red', dead: 'red', restarting: 'orange', paused: 'blue', created: 'text', removed: 'gray' });
export const stateCells = (field: string) => [byNames([field], { 'custom.cellOptions': { type: 'color-text' } })];


/** Alerts firing and resolving, drawn on the charts of the dashboards that have the container variable. */
export function alertAnnotation(perContainer: boolean) {
  const where = and(hostFilter, perContainer ? containerFilter : '', TIME_FILTER);
  return annotation('Alerts', 'red',
    `SELECT ${q(AF.summary)} AS "text", ${q(PT.rule)}, ${q(PT.severity)}, ${q(PT.status)}, ${q(TAG.containerName)} FROM ${q(PM.alerts)} WHERE ${where}`,
    'text', `${PT.rule},${PT.severity},${PT.status},${TAG.containerName}`,
    { columns: ['text', PT.rule, PT.severity, PT.status], source: 'alerts' });
}

/** Recovery actions run on a container, with their outcome. */
export function recoveryAnnotation() {
  return annotation('Recovery runs', 'green',
    `SELECT ${q(RF.command)} AS "text", ${q(AT.action)}, ${q(AT.outcome)}, ${q(TAG.containerName)} FROM ${q(AM.recoveryRun)} ` +
      `WHERE ${and(hostFilter, containerFilter, TIME_FILTER)}`,
    'text', `${AT.action},${AT.outcome},${TAG.containerName}`,
    { columns: ['text', AT.action, AT.outcome], source: 'recovery' });
}

/** Docker events that change a container's life: start, die, oom, restart... */
export function eventAnnotation() {
  return annotation('Docker events', 'purple',
    `SELECT ${q(EF.rawAction)} AS "text", ${q(TAG.action)}, ${q(TAG.containerName)} FROM ${q(M.event)} ` +
      `WHERE ${and(hostFilter, containerFilter, eq(TAG.type, EVENT_TYPES[0]), TIME_FILTER)}`,
    'text', `${TAG.action},${TAG.containerName}`,
    { columns: ['text', TAG.action, TAG.containerName], source: 'events' });
}
