/** Network and security panels: TCP states, the service map (Grafana's Node Graph), peers, security posture. */
import {
  MEASUREMENT as M, TAG, TCP_STATE_FIELDS, NETSTAT_FIELDS, EDGE_FIELDS, POSTURE_FIELDS as PF,
} from '../../common/schema.js';
import { target, timeseries, table, nodeGraph, organize } from './build.js';
import { ident as q, and, atRangeEnd, WINDOW, TIME_FILTER, INTERVAL } from './influxql.js';
import { hostFilter, containerFilter, BY_CONTAINER, SERIES_ALIAS, CONTAINER, RENAMED_ROW_LINK } from './containers.js';
import type { InfluxTarget } from './model.js';

/** Edges are written every collector interval; the map shows those of the last few. */
const EDGES_NOW = atRangeEnd(WINDOW.status);
/** Posture is written on change and at least every collector.infoEvery, like docker_container_info. */
const POSTURE_NOW = atRangeEnd(WINDOW.info);

/** The edges frame of the Node Graph: the `edge` tag becomes its `id`. */
const EDGE_FRAME = organize({ exclude: ['Time'], rename: { [TAG.edge]: 'id' } });
const EDGE_GROUP = `${q(TAG.edge)}, ${q(TAG.source)}, ${q(TAG.target)}`;

/**
 * The service map of the hosts picked: one node per container (by name),
 * per Docker host ("host:<name>") and one for everything outside; edges carry
 * the established connections and the busiest server ports.
 */
export function serviceMapPanel(w: number, h: number) {
  return nodeGraph({
    title: 'Service map', w, h,
    description: 'Established TCP connections between containers, to this host ("host:<name>") and to everything else ("(outside)"), ' +
      'counted on the side that opened them; the edge says how many and to which server ports. Peers beyond collector.network.maxPeers are "(others)".',
    targets: [target('edges',
      `SELECT last(${q(EDGE_FIELDS.connections)}) AS "mainstat", last(${q(EDGE_FIELDS.ports)}) AS "secondarystat" FROM ${q(M.serviceEdge)} ` +
        `WHERE ${and(hostFilter, EDGES_NOW)} GROUP BY ${EDGE_GROUP}`,
      { format: 'table', expect: { columns: [TAG.edge, TAG.source, TAG.target, 'mainstat', 'secondarystat'], source: 'edges' } })],
    transformations: [EDGE_FRAME],
  });
}

/**
 * The whole fleet's map, whatever hosts are picked: containers of the same
 * name on several hosts are one node (a service), their connections summed.
 */
export function fleetMapPanel(w: number, h: number) {
  return nodeGraph({
    title: 'Service map, whole fleet', w, h,
    description: 'Every host\'s edges together: containers of the same name on several hosts are one node, their connections added up.',
    targets: [target('edges',
      `SELECT sum("c") AS "mainstat" FROM (SELECT last(${q(EDGE_FIELDS.connections)}) AS "c" FROM ${q(M.serviceEdge)} ` +
        `WHERE ${EDGES_NOW} GROUP BY ${q(TAG.engineHost)}, ${EDGE_GROUP}) GROUP BY ${EDGE_GROUP}`,
      { format: 'table', expect: { columns: [TAG.edge, TAG.source, TAG.target, 'mainstat'], source: 'edges' } })],
    transformations: [EDGE_FRAME],
  });
}

/** TCP sockets by state (and UDP sockets) of the containers picked. */
export function tcpStatesPanel(w: number, h: number) {
  const states = TCP_STATE_FIELDS.filter((f) => f !== 'tcp_none');
  const fields = [...states, NETSTAT_FIELDS.udpSocket].map((f) => `mean(${q(f)}) AS ${q(f.replace(/^tcp_/, ''))}`).join(', ');
  return timeseries({
    title: 'Sockets by TCP state', w, h, unit: 'short', min: 0,
    description: 'TCP sockets of the container\'s network namespace by state, and its UDP sockets (Telegraf\'s netstat fields). ' +
      'CLOSE_WAIT that keeps growing: the application does not close connections its peers closed. TIME_WAIT near the ephemeral port range: ' +
      'outbound connections start failing. SYN_RECV surges: more half-open connections than the service accepts.',
    targets: [target('A',
      `SELECT ${fields} FROM ${q(M.netstat)} WHERE ${and(hostFilter, containerFilter, TIME_FILTER)} GROUP BY time(${INTERVAL}), ${BY_CONTAINER} fill(none)`,
      { alias: `${SERIES_ALIAS} $col`, expect: { columns: ['established', 'close_wait', 'time_wait', 'syn_recv', 'udp_socket'], source: 'netstat' } })],
  });
}

/** The peers of the containers picked: both directions, newest edges. */
export function peersPanel(w: number, h: number) {
  const either = `(${q(TAG.source)} =~ /^($${CONTAINER})$/ OR ${q(TAG.target)} =~ /^($${CONTAINER})$/)`;
  return table({
    title: 'Peers', w, h,
    description: 'Who the container talks to and who talks to it now: established connections and the busiest server ports.',
    targets: [target('A',
      `SELECT last(${q(EDGE_FIELDS.connections)}) AS "connections", last(${q(EDGE_FIELDS.ports)}) AS "ports" FROM ${q(M.serviceEdge)} ` +
        `WHERE ${and(hostFilter, either, EDGES_NOW)} GROUP BY ${q(TAG.engineHost)}, ${q(TAG.source)}, ${q(TAG.target)}`,
      { format: 'table', expect: { columns: [TAG.source, TAG.target, 'connections', 'ports'], source: 'edges' } })],
    transformations: [organize({ exclude: ['Time'], rename: { [TAG.engineHost]: 'host', ports: 'server ports' } })],
    sortBy: [{ displayName: 'connections', desc: true }],
  });
}

function postureTarget(refId: string, extraFilter: string): InfluxTarget {
  const f = PF;
  return target(refId,
    `SELECT last(${q(f.score)}) AS "score", last(${q(f.critical)}) AS "critical", last(${q(f.high)}) AS "high", last(${q(f.medium)}) AS "medium", ` +
      `last(${q(f.low)}) AS "low", last(${q(f.failed)}) AS "failed", last(${q(f.findings)}) AS "findings" FROM ${q(M.posture)} ` +
      `WHERE ${and(hostFilter, extraFilter, POSTURE_NOW)} GROUP BY ${BY_CONTAINER}`,
    { format: 'table', expect: { columns: [TAG.engineHost, TAG.containerName, 'score', 'critical', 'high', 'failed', 'findings'], source: 'posture' } });
}

const POSTURE_COLUMNS = organize({
  exclude: ['Time'],
  order: [TAG.engineHost, TAG.containerName, 'score', 'critical', 'high', 'medium', 'low', 'failed', 'findings'],
  rename: { [TAG.engineHost]: 'host', [TAG.containerName]: 'container', failed: 'failed checks' },
});

/** Containers with a critical or high finding, worst score first; a row opens the container. */
export function atRiskPanel(w: number, h: number) {
  return table({
    title: 'Containers at risk', w, h,
    description: 'Containers with a critical or high finding of the CIS Docker Benchmark\'s runtime checks (IDs as docker-bench-security numbers them, ' +
      'e.g. 5.4 privileged, 5.31 Docker socket mounted); score 100 passes every check. docs/security.md lists the checks.',
    targets: [postureTarget('A', '')],
    transformations: [
      {
        id: 'filterByValue',
        options: {
          type: 'include', match: 'any',
          filters: ['critical', 'high'].map((fieldName) => ({ fieldName, config: { id: 'greater', options: { value: 0 } } })),
        },
      },
      POSTURE_COLUMNS,
    ],
    links: [RENAMED_ROW_LINK],
    sortBy: [{ displayName: 'score', desc: false }],
  });
}

/** The posture of the containers picked, with every finding. */
export function posturePanel(w: number, h: number) {
  return table({
    title: 'Security posture', w, h,
    description: 'CIS Docker Benchmark runtime checks as docker-bench-security numbers them; score 100 passes every check. ' +
      'Written when the container appears or its settings change. docs/security.md lists the checks and what each looks at.',
    targets: [postureTarget('A', containerFilter)],
    transformations: [POSTURE_COLUMNS],
  });
}
