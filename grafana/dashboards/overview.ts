/** Overview: every container at a glance, the busiest ones, the service map, containers at risk, and what happened lately. */
import { MEASUREMENT as M, TAG, TAG_VALUE, CPU_FIELDS, MEM_FIELDS, STATUS_FIELDS, HEALTH_FIELDS } from '../../common/schema.js';
import { dashboard, Layout, table, bars, piechart, stat, target } from '../lib/build.js';
import { ident as q, and, eq, matchVar, TIME_FILTER, INTERVAL, atRangeEnd, WINDOW } from '../lib/influxql.js';
import {
  hostVar, networkVar, hostFilter, BY_CONTAINER, NETWORK, infoTarget, statusTarget, usageTargets,
  JOIN_PER_CONTAINER, ORDER_CONTAINER_COLUMNS, CONTAINER_ROW_LINK, RENAMED_ROW_LINK, busiestHoursPanel,
} from '../lib/containers.js';
import { eventsTarget, alertsTarget, recoveryTarget, unroutedTarget, ALERT_MAPPINGS, ALERT_CELLS, STATE_MAPPINGS, stateCells } from '../lib/records.js';
import { serviceMapPanel, fleetMapPanel, atRiskPanel } from '../lib/network.js';
import { UID } from '../lib/links.js';
import { reportsPanel, labelProblemsPanel } from '../lib/handling.js';
import type { Dashboard } from '../lib/model.js';

const TOP = 10;

/** Sorts a one-value-per-container table and keeps the first TOP rows. */
const topN = (field: string) => [
  { id: 'sortBy', options: { fields: {}, sort: [{ field, desc: true }] } },
  { id: 'limit', options: { limitField: TOP } },
];


export function overview(): Dashboard {
  const l = new Layout();
  l.row('Containers');
  l.add(
    piechart({
      title: 'Containers by state', w: 5, h: 9,
      description: 'Each container counted once under its latest state (docker_container_status).',
      targets: [target('A',
        `SELECT last(${q(STATUS_FIELDS.exitCode)}) AS "exitcode" FROM ${q(M.status)} WHERE ${and(hostFilter, atRangeEnd(WINDOW.status))} ` +
          `GROUP BY ${BY_CONTAINER}, ${q(TAG.containerStatus)}`,
        { format: 'table', expect: { columns: [TAG.containerName, TAG.containerStatus, 'exitcode'], source: 'status', telegraf: true } })],
      transformations: [{
        id: 'groupBy',
        options: { fields: { [TAG.containerStatus]: { operation: 'groupby', aggregations: [] }, [TAG.containerName]: { operation: 'aggregate', aggregations: ['count'] } } },
      }],
    }),
    stat({
      title: 'Unhealthy', w: 3, h: 9, color: 'red', calc: 'sum',
      description: 'Containers whose health check fails now.',
      targets: [target('A',
        `SELECT count(${q('health')}) AS "unhealthy" FROM (SELECT last(${q(HEALTH_FIELDS.status)}) AS "health" FROM ${q(M.health)} ` +
          `WHERE ${and(hostFilter, atRangeEnd(WINDOW.status))} GROUP BY ${BY_CONTAINER}) WHERE "health" = 'unhealthy'`,
        { format: 'table', expect: { columns: ['unhealthy'], source: 'status' } })],
    }),
    stat({
      title: 'Alerts that reached no one', w: 3, h: 9, calc: 'sum', alarmAt: 1, noValue: '0',
      description: 'Firing alerts in the time range that no receiver was routed to: no receiver is configured, or no route with a receiver ' +
        'matched them. The alerter logs "alert reached no one" for each; set alerter.receivers and alerter.route (docs/alerter.md).',
      targets: [unroutedTarget('A')],
    }),
    table({
      title: 'All containers', w: 13, h: 9,
      description: 'Latest state of every container; the name opens its detail dashboard.',
      targets: [infoTarget('A'), statusTarget('B'), ...usageTargets(['C', 'D'])],
      transformations: [...JOIN_PER_CONTAINER, ...ORDER_CONTAINER_COLUMNS],
      links: [RENAMED_ROW_LINK], mappings: STATE_MAPPINGS, overrides: stateCells('state'), decimals: 1,
      sortBy: [{ displayName: 'container', desc: false }],
    }),
  );

  l.row(`Top ${TOP} over the time range`);
  l.add(
    bars({
      title: 'CPU', w: 8, h: 9, unit: 'percent', limit: TOP, decimals: 1,
      description: 'Mean CPU use over the time range (100 % = one core).',
      targets: [target('A',
        `SELECT mean(${q(CPU_FIELDS.usagePercent)}) AS "cpu" FROM ${q(M.cpu)} WHERE ${and(hostFilter, eq(TAG.cpu, TAG_VALUE.cpuTotal), TIME_FILTER)} GROUP BY ${BY_CONTAINER}`,
        { format: 'table', expect: { columns: [TAG.containerName, 'cpu'], source: 'metrics', telegraf: true } })],
      transformations: topN('cpu'), links: [CONTAINER_ROW_LINK],
    }),
    bars({
      title: 'Memory', w: 8, h: 9, unit: 'bytes', limit: TOP,
      description: 'Mean memory in use over the time range.',
      targets: [target('A',
        `SELECT mean(${q(MEM_FIELDS.usage)}) AS "memory" FROM ${q(M.mem)} WHERE ${and(hostFilter, TIME_FILTER)} GROUP BY ${BY_CONTAINER}`,
        { format: 'table', expect: { columns: [TAG.containerName, 'memory'], source: 'metrics', telegraf: true } })],
      transformations: topN('memory'), links: [CONTAINER_ROW_LINK],
    }),
    bars({
      title: 'Network (in + out)', w: 8, h: 9, unit: 'Bps', limit: TOP,
      description: 'Mean bytes per second received and sent over the time range, on the chosen interface.',
      targets: [target('A',
        `SELECT mean(${q('rx')}) + mean(${q('tx')}) AS "network" FROM (SELECT non_negative_derivative(max("rx_bytes"), 1s) AS "rx", ` +
          `non_negative_derivative(max("tx_bytes"), 1s) AS "tx" FROM ${q(M.net)} WHERE ${and(hostFilter, matchVar(TAG.network, NETWORK), TIME_FILTER)} ` +
          `GROUP BY time(${INTERVAL}), ${BY_CONTAINER}) WHERE ${TIME_FILTER} GROUP BY ${BY_CONTAINER}`,
        { format: 'table', expect: { columns: [TAG.containerName, 'network'], source: 'metrics', telegraf: true } })],
      transformations: topN('network'), links: [CONTAINER_ROW_LINK],
    }),
  );

  l.row('Network and security');
  l.add(serviceMapPanel(12, 12), fleetMapPanel(12, 12), atRiskPanel(24, 8));

  l.row('Recently');
  l.add(
    table({
      title: 'Docker events', w: 8, h: 10,
      targets: [eventsTarget('A', 50, false)],
    }),
    table({
      title: 'Alerts', w: 8, h: 10,
      description: 'Alerts firing and resolved; the Alerts dashboard has the full history.',
      targets: [alertsTarget('A', 50, false)],
      mappings: ALERT_MAPPINGS, overrides: ALERT_CELLS,
    }),
    table({
      title: 'Recovery runs', w: 8, h: 10,
      description: 'Recovery actions the alerter ran, their outcome and whether the container recovered.',
      targets: [recoveryTarget('A', 50, false)],
      mappings: ALERT_MAPPINGS, overrides: ALERT_CELLS,
    }),
  );

  l.row('Patterns, reports and settings');
  l.add(busiestHoursPanel(hostFilter, 10, 8), reportsPanel(14, 8), labelProblemsPanel(24, 6));

  return dashboard({
    uid: UID.overview,
    title: 'Shipwatch / Overview',
    description: 'Every container on the monitored Docker hosts: state, usage, the busiest ones, who talks to whom, containers at risk, recent events and alerts, ' +
      'the busiest hours of the day, the reports made, and container labels Shipwatch could not follow.',
    variables: [hostVar(), networkVar()],
    layout: l,
  });
}
