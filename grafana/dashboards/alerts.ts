/** Alerts: what is firing, the history of alerts, and the state recorded when they fired. */
import { TAG, PROCESSOR_MEASUREMENT as PM, PROCESSOR_TAG as PT, ALERT_FIELDS as AF} from '../../common/schema.js';
import { dashboard, Layout, table, stateLine, timeseries, target, organize, asTime } from '../lib/build.js';
import { ident as q, and, matchVar, TIME_FILTER, INTERVAL } from '../lib/influxql.js';
import { hostVar, containerVar, hostFilter, containerFilter, BY_CONTAINER, CONTAINER_ROW_LINK } from '../lib/containers.js';
import {
  alertsTarget, snapshotsTarget, notificationsTarget, deliveriesTarget, recoveryTarget, alertAnnotation, recoveryAnnotation,
  ALERT_MAPPINGS, ALERT_CELLS, SNAPSHOT_LINKS, SNAPSHOT_CELLS, SNAPSHOT_DESCRIPTION, alerterUrlVar,
} from '../lib/records.js';
import { queryVar } from '../lib/build.js';
import { UID } from '../lib/links.js';
import { ruleVar, alertStoryPanel, timeToPanels, silencesPanel } from '../lib/handling.js';
import type { Dashboard } from '../lib/model.js';

const SEVERITY = 'severity';
const BY_ALERT = `${BY_CONTAINER}, ${q(PT.rule)}`;

export function alerts(): Dashboard {
  const sev = matchVar(PT.severity, SEVERITY);
  const l = new Layout();
  l.add(table({
    title: 'Firing now', w: 24, h: 7,
    description: 'Alerts whose latest transition in the time range is "firing".',
    targets: [target('A',
      `SELECT ${q(AF.firing)}, ${q('since')}, ${q(AF.summary)}, ${q(PT.severity)} FROM (SELECT last(${q(AF.firing)}) AS ${q(AF.firing)}, ` +
        `${q(AF.startsAt)} AS "since", ${q(AF.summary)}, ${q(PT.severity)} FROM ${q(PM.alerts)} WHERE ${and(hostFilter, containerFilter, sev, TIME_FILTER)} ` +
        `GROUP BY ${BY_ALERT}) WHERE ${q(AF.firing)} = 1 GROUP BY ${BY_ALERT}`,
      { format: 'table', expect: { columns: [TAG.containerName, PT.rule, 'since', AF.summary, PT.severity], source: 'alerts' } })],
    transformations: [asTime('since'), organize({ exclude: ['Time', AF.firing] })],
    links: [CONTAINER_ROW_LINK], mappings: ALERT_MAPPINGS, overrides: ALERT_CELLS,
  }));
  l.add(stateLine({
    title: 'Alerts over time', w: 24, h: 8,
    description: '1 while an alert fires.',
    targets: [target('A',
      `SELECT max(${q(AF.firing)}) AS "firing" FROM ${q(PM.alerts)} WHERE ${and(hostFilter, containerFilter, sev, TIME_FILTER)} ` +
        `GROUP BY time(${INTERVAL}), ${BY_ALERT} fill(previous)`,
      { alias: `$tag_${PT.rule} $tag_${TAG.containerName}`, expect: { columns: ['firing'], source: 'alerts' } })],
  }));
  l.add(table({
    title: 'Alert history', w: 24, h: 12,
    description: 'Every transition, newest first. A snapshot_id names the fault snapshot recorded when the alert fired.',
    targets: [alertsTarget('A', 1000, true)],
    links: [CONTAINER_ROW_LINK], mappings: ALERT_MAPPINGS, overrides: ALERT_CELLS,
  }));
  l.row('Handling: an alert\'s story, time to acknowledge and to resolve, silences');
  l.add(...timeToPanels(), alertStoryPanel(24, 12), silencesPanel(24, 8));
  l.row('Notifications and recovery');
  l.add(
    timeseries({
      title: 'Notification deliveries by outcome', w: 8, h: 10, unit: 'short', bars: true,
      targets: [deliveriesTarget('A')],
    }),
    table({
      title: 'Notification deliveries', w: 16, h: 10,
      description: 'Every delivery attempt to a receiver\'s channel: sent, failed (retried), or a duplicate not sent again.',
      targets: [notificationsTarget('A', 1000)],
      mappings: ALERT_MAPPINGS, overrides: ALERT_CELLS,
    }),
  );
  l.add(table({
    title: 'Recovery runs', w: 24, h: 10,
    description: 'Recovery actions run for alerts: outcome of the run, and "recovered" once the container was verified running (and healthy).',
    targets: [recoveryTarget('A', 500, true)],
    links: [CONTAINER_ROW_LINK], mappings: ALERT_MAPPINGS, overrides: ALERT_CELLS,
  }));
  l.add(table({
    title: 'Fault snapshots', w: 24, h: 10,
    description: SNAPSHOT_DESCRIPTION,
    targets: [snapshotsTarget('A', 200)],
    links: SNAPSHOT_LINKS, mappings: ALERT_MAPPINGS, overrides: SNAPSHOT_CELLS,
  }));
  return dashboard({
    uid: UID.alerts,
    title: 'Shipwatch / Alerts',
    description: 'Alerts firing now, their history, how they were handled (each alert\'s story, time to acknowledge and resolve, silences), ' +
      'notification deliveries, recovery runs with their outcome, and the snapshots recorded when alerts fired.',
    variables: [
      hostVar(), containerVar(),
      queryVar({
        name: SEVERITY, label: 'Severity', multi: true, includeAll: true,
        query: `SHOW TAG VALUES FROM ${q(PM.alerts)} WITH KEY = ${q(PT.severity)}`,
        expect: { columns: ['value'], source: 'alerts' },
      }),
      ruleVar(),
      alerterUrlVar(),
    ],
    annotations: [alertAnnotation(true), recoveryAnnotation()],
    layout: l,
    time: 'now-24h',
  });
}
