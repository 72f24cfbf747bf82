/**
 * Queries of how alerts were handled (an alert's whole story, time to
 * acknowledge and to resolve, silences), of the reports made, and of wrong
 * container labels. Names from common/schema.ts.
 */
import {
  MEASUREMENT as M, TAG, PROCESSOR_MEASUREMENT as PM, PROCESSOR_TAG as PT, ALERT_FIELDS as AF, ALERTER_MEASUREMENT as AM, ALERTER_TAG as AT,
  NOTIFICATION_FIELDS as NF, RECOVERY_FIELDS as RF, HANDLING_EVENTS, HANDLING_FIELDS as HF, SILENCE_FIELDS as SF, REPORT_FIELDS as RPF,
  LABEL_PROBLEM_FIELDS as LP,
} from '../../common/schema.js';
import { target, table, stat, queryVar, organize, asTime, byNames } from './build.js';
import { ident as q, and, eq, matchVar, TIME_FILTER } from './influxql.js';
import { hostFilter, containerFilter, BY_CONTAINER } from './containers.js';
import { ALERT_MAPPINGS, ALERT_CELLS } from './records.js';
import type { DashboardLink, Variable } from './model.js';

export const RULE = 'rule';
const ruleFilter = matchVar(PT.rule, RULE);
const alertFilter = and(hostFilter, containerFilter, ruleFilter, TIME_FILTER);

/** Alert rules of the hosts and containers picked. */
export function ruleVar(): Variable {
  return queryVar({
    name: RULE, label: 'Rule', multi: true, includeAll: true,
    query: `SHOW TAG VALUES FROM ${q(PM.alerts)} WITH KEY = ${q(PT.rule)} WHERE ${and(hostFilter, containerFilter)}`,
    expect: { columns: ['value'], source: 'alerts' },
  });
}

const STORY_COLUMNS = [
  'Time', TAG.engineHost, TAG.containerName, PT.rule, 'alert', 'notification', 'handling', 'recovery', AF.summary, AT.receiver, AT.channel,
  NF.attempt, HF.by, HF.comment, HF.timeToAck, HF.silenceIds, HF.inhibitedBy, HF.held, AT.action, RF.recovered, RF.exitCode, 'error',
];

/**
 * The alerts picked, step by step in one table: fired and resolved (shipwatch_alerts), each notification
 * delivery, acknowledged or held back (shipwatch_alert_handling), each recovery run. One query per
 * measurement, each step's kind in a column of its own, merged and sorted by time.
 */
export function alertStoryPanel(w = 24, h = 12) {
  const who = `${q(TAG.engineHost)}, ${q(TAG.containerName)}, ${q(PT.rule)}`;
  return table({
    title: 'Alert story', w, h,
    description: 'Everything that happened to the alerts picked (host, container, rule), oldest first: "alert" fired or resolved, ' +
      '"notification" a delivery to a receiver (sent, failed, duplicate), "handling" acknowledged, unacknowledged, or held back by a silence ' +
      'or an inhibition, "recovery" a recovery run and whether the container recovered. Pick one rule and one container for one alert.',
    targets: [
      target('A', `SELECT ${q(PT.status)} AS "alert", ${q(AF.summary)}, ${who} FROM ${q(PM.alerts)} WHERE ${alertFilter}`,
        { format: 'table', expect: { columns: ['alert', AF.summary, PT.rule], source: 'alerts' } }),
      target('B',
        `SELECT ${q(AT.outcome)} AS "notification", ${q(AT.receiver)}, ${q(AT.channel)}, ${q(NF.attempt)}, ${q(NF.error)} AS "error", ${who} ` +
          `FROM ${q(AM.notification)} WHERE ${and(`${q(AT.kind)} != 'report'`, alertFilter)}`,
        { format: 'table', expect: { columns: ['notification', AT.receiver, AT.channel], source: 'notifications' } }),
      target('C',
        `SELECT ${q(AT.event)} AS "handling", ${q(HF.by)}, ${q(HF.comment)}, ${q(HF.timeToAck)}, ${q(HF.silenceIds)}, ${q(HF.inhibitedBy)}, ${q(HF.held)}, ${who} ` +
          `FROM ${q(AM.alertHandling)} WHERE ${alertFilter}`,
        { format: 'table', expect: { columns: ['handling', HF.by], source: 'handling' } }),
      target('D',
        `SELECT ${q(AT.outcome)} AS "recovery", ${q(AT.action)}, ${q(RF.recovered)}, ${q(RF.exitCode)}, ${q(RF.error)} AS "error", ${who} ` +
          `FROM ${q(AM.recoveryRun)} WHERE ${alertFilter}`,
        { format: 'table', expect: { columns: ['recovery', AT.action], source: 'recovery' } }),
    ],
    transformations: [
      { id: 'merge', options: {} },
      { id: 'sortBy', options: { fields: {}, sort: [{ field: 'Time', desc: false }] } },
      organize({ order: STORY_COLUMNS, rename: { [TAG.engineHost]: 'host', [TAG.containerName]: 'container', [HF.timeToAck]: 'time to ack (s)' } }),
    ],
    mappings: ALERT_MAPPINGS,
    overrides: [byNames(['alert', 'notification', 'recovery', 'recovered'], { 'custom.cellOptions': { type: 'color-text' } }), ...ALERT_CELLS],
  });
}

const acknowledged = eq(AT.event, HANDLING_EVENTS.acknowledged);
const resolved = eq(PT.status, 'resolved');

/** Median time to acknowledge and to resolve, and both per rule. */
export function timeToPanels() {
  return [
    stat({
      title: 'Time to acknowledge (median)', w: 6, h: 6, unit: 's', calc: 'lastNotNull', decimals: 0,
      description: 'From the start of a firing to its acknowledgement through the API (shipwatch_alert_handling), over the alerts picked.',
      targets: [target('A', `SELECT median(${q(HF.timeToAck)}) AS "time to acknowledge" FROM ${q(AM.alertHandling)} WHERE ${and(acknowledged, alertFilter)}`,
        { format: 'table', expect: { columns: ['time to acknowledge'], source: 'handling' } })],
    }),
    stat({
      title: 'Time to resolve (median)', w: 6, h: 6, unit: 's', calc: 'lastNotNull', decimals: 0,
      description: 'From the start of a firing to its resolve (duration_s of the resolved transitions), over the alerts picked.',
      targets: [target('A', `SELECT median(${q(AF.duration)}) AS "time to resolve" FROM ${q(PM.alerts)} WHERE ${and(resolved, alertFilter)}`,
        { format: 'table', expect: { columns: ['time to resolve'], source: 'alerts' } })],
    }),
    table({
      title: 'Time to acknowledge and to resolve, by rule', w: 12, h: 6, unit: 's', decimals: 0,
      targets: [
        target('A', `SELECT mean(${q(HF.timeToAck)}) AS "acknowledge, mean", max(${q(HF.timeToAck)}) AS "acknowledge, longest" ` +
          `FROM ${q(AM.alertHandling)} WHERE ${and(acknowledged, alertFilter)} GROUP BY ${q(PT.rule)}`,
        { format: 'table', expect: { columns: [PT.rule, 'acknowledge, mean'], source: 'handling' } }),
        target('B', `SELECT mean(${q(AF.duration)}) AS "resolve, mean", max(${q(AF.duration)}) AS "resolve, longest" ` +
          `FROM ${q(PM.alerts)} WHERE ${and(resolved, alertFilter)} GROUP BY ${q(PT.rule)}`,
        { format: 'table', expect: { columns: [PT.rule, 'resolve, mean'], source: 'alerts' } }),
      ],
      transformations: [organize({ exclude: ['Time'] }), { id: 'merge', options: {} }],
    }),
  ];
}

/** Silences created, expired and deleted: who, matchers, why. */
export function silencesPanel(w = 24, h = 8) {
  return table({
    title: 'Silences', w, h,
    description: 'Every silence created, expired or deleted (shipwatch_silence): who, its matchers, why, and its window.',
    targets: [target('A',
      `SELECT ${q(AT.event)}, ${q(SF.silenceId)}, ${q(SF.matchers)}, ${q(SF.by)}, ${q(SF.comment)}, ${q(SF.startsAt)}, ${q(SF.endsAt)} ` +
        `FROM ${q(AM.silence)} WHERE ${TIME_FILTER} ORDER BY time DESC LIMIT 500`,
      { format: 'table', expect: { columns: [AT.event, SF.silenceId, SF.matchers, SF.by, SF.comment], source: 'silences' } })],
    transformations: [asTime(SF.startsAt, SF.endsAt)],
  });
}

/** Opens the report of the row (its signed link: no token needed). */
const REPORT_LINK: DashboardLink = {
  title: 'Open the report', type: 'link', icon: 'external link', tooltip: 'The report\'s page on the alerter',
  url: `\${__data.fields.${RPF.url}}`, tags: [], asDropdown: false, targetBlank: true, includeVars: false, keepTime: false,
};

/** Reports made in the time range, each opening its page. */
export function reportsPanel(w = 24, h = 7) {
  return table({
    title: 'Reports', w, h,
    description: 'Reports made in the time range (docs/reports.md); a row opens the report through the alerter with the signature its link carries ' +
      '(empty without alerter.api.token and an address: alerter.api.publicUrl).',
    targets: [target('A',
      `SELECT ${q(RPF.title)}, ${q(RPF.from)}, ${q(RPF.to)}, ${q(RPF.summary)}, ${q(RPF.empty)}, ${q(RPF.reportId)}, ${q(RPF.url)} ` +
        `FROM ${q(AM.report)} WHERE ${TIME_FILTER} ORDER BY time DESC LIMIT 200`,
      { format: 'table', expect: { columns: [RPF.title, RPF.from, RPF.to, RPF.summary, RPF.url], source: 'reports' } })],
    transformations: [asTime(RPF.from, RPF.to), organize({ exclude: ['Time'], rename: { [RPF.reportId]: 'id' } })],
    links: [REPORT_LINK],
  });
}

/** shipwatch.* labels the collector or the alerter could not follow. */
export function labelProblemsPanel(w = 24, h = 6) {
  return table({
    title: 'Container labels not followed', w, h,
    description: 'shipwatch.* labels that are wrong (docs/processor.md, "Settings from labels"), reported once when the collector first read them ' +
      '(and again after it restarts), or naming a receiver or recovery rule the alerter does not have: widen the time range to see older ones.',
    targets: [target('A',
      `SELECT last(${q(LP.value)}) AS "value", last(${q(LP.problem)}) AS "problem" FROM ${q(M.labelProblem)} WHERE ${and(hostFilter, TIME_FILTER)} ` +
        `GROUP BY ${BY_CONTAINER}, ${q(TAG.label)}`,
      { format: 'table', expect: { columns: [TAG.containerName, TAG.label, 'value', 'problem'], source: 'labels' } })],
    transformations: [organize({ exclude: ['Time'], rename: { [TAG.engineHost]: 'host', [TAG.containerName]: 'container' } })],
  });
}
