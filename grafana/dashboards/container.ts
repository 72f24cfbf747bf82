/** Container detail: one or more containers' resources, network, events, logs, processes, filesystem, security and faults. */
import {
  MEASUREMENT as M, TAG, PROCESS_FIELDS as P, MOUNT_FIELDS as MF, DISK_FIELDS, PROCESSOR_MEASUREMENT as PM, PROCESSOR_TAG as PT,
  PREDICTION_FIELDS as PF,
} from '../../common/schema.js';
import { dashboard, Layout, table, timeseries, target, organize, asTime } from '../lib/build.js';
import { ident as q, and, atRangeEnd, WINDOW, TIME_FILTER } from '../lib/influxql.js';
import {
  hostVar, containerVar, networkVar, deviceVar, rollupRpVar, hostFilter, containerFilter, BY_CONTAINER, METRICS, metricChart, deltaChart, busiestHoursPanel,
  infoTarget, statusTarget, usageTargets, JOIN_PER_CONTAINER, ORDER_CONTAINER_COLUMNS,
} from '../lib/containers.js';
import {
  eventsTarget, logsTarget, logMatchesTarget, alertsTarget, snapshotsTarget, recoveryTarget, alertAnnotation, eventAnnotation, recoveryAnnotation,
  ALERT_MAPPINGS, ALERT_CELLS, LOG_MAPPINGS, LOG_CELLS, STATE_MAPPINGS, stateCells, SNAPSHOT_LINKS, SNAPSHOT_CELLS, SNAPSHOT_DESCRIPTION, alerterUrlVar,
} from '../lib/records.js';
import { tcpStatesPanel, peersPanel, posturePanel } from '../lib/network.js';
import { UID } from '../lib/links.js';
import type { Dashboard } from '../lib/model.js';

const both = and(hostFilter, containerFilter);

export function container(): Dashboard {
  const l = new Layout();
  l.add(table({
    title: 'Container', w: 24, h: 5,
    targets: [infoTarget('A', containerFilter), statusTarget('B', containerFilter), ...usageTargets(['C', 'D'], containerFilter)],
    transformations: [...JOIN_PER_CONTAINER, ...ORDER_CONTAINER_COLUMNS],
    mappings: STATE_MAPPINGS, overrides: stateCells('state'), decimals: 1,
  }));

  l.row('Resources');
  // Each chart with its 1-minute change beside it.
  for (const m of [METRICS.cpu, METRICS.memory, METRICS.memoryPercent, METRICS.pids, METRICS.netIn, METRICS.netOut, METRICS.blockRead, METRICS.blockWrite]) {
    l.add(metricChart(m, { w: 8 }), deltaChart({ ...m, processor: m.processor! }, { w: 4 }));
  }
  l.add(busiestHoursPanel(both, 10, 7));
  l.add(table({
    title: 'Forecast: time until a limit is reached', w: 14, h: 7,
    description: 'The processor\'s trend of each metric that has a limit; "eta" is empty while the metric does not rise. Bytes for memory and filesystem.',
    targets: [target('A',
      `SELECT last(${q(PF.value)}) AS "value", last(${q(PF.limit)}) AS "limit", last(${q(PF.slope)}) AS "slope", last(${q(PF.eta)}) / 3600 AS "eta_h", ` +
        `last(${q(PF.predicted)}) AS "predicted" FROM ${q(PM.prediction)} WHERE ${and(both, TIME_FILTER)} GROUP BY ${BY_CONTAINER}, ${q(PT.metric)}`,
      { format: 'table', expect: { columns: [TAG.containerName, PT.metric, 'value', 'limit', 'slope', 'eta_h'], source: 'prediction' } })],
    transformations: [organize({ exclude: ['Time'], rename: { eta_h: 'eta (h)', slope: 'slope (per s)' } })],
  }));

  l.row('Network');
  l.add(tcpStatesPanel(16, 8), peersPanel(8, 8));

  l.row('Events and logs');
  l.add(
    table({ title: 'Docker events', w: 10, h: 10, targets: [eventsTarget('A', 200, true)] }),
    table({ title: 'Log lines', w: 14, h: 10, targets: [logsTarget('A', 500)], mappings: LOG_MAPPINGS, overrides: LOG_CELLS }),
    timeseries({
      title: 'Log lines matching patterns', w: 24, h: 6, unit: 'short', bars: true,
      description: 'Lines per interval matching each collector.logs.patterns entry.',
      targets: [logMatchesTarget('A')],
    }),
  );

  l.row('Processes');
  l.add(table({
    title: 'Processes (busiest first)', w: 24, h: 9,
    description: 'The busiest processes by CPU and memory at the end of the time range.',
    targets: [target('A',
      `SELECT last(${q(P.cpuPercent)}) AS "cpu", ${q(P.memPercent)} AS "mem", ${q(P.pid)}, ${q(P.user)}, ${q(P.state)}, ${q(P.rss)}, ` +
        `${q(P.threads)}, ${q(P.elapsed)}, ${q(P.command)} FROM ${q(M.process)} WHERE ${and(both, atRangeEnd(WINDOW.processes))} ` +
        `GROUP BY ${BY_CONTAINER}, ${q(TAG.rank)}`,
      { format: 'table', expect: { columns: [TAG.containerName, TAG.rank, 'cpu', 'mem', P.pid, P.user, P.command], source: 'processes' } })],
    transformations: [organize({ exclude: ['Time'], rename: { cpu: 'CPU %', mem: 'memory %', [P.rss]: 'rss (bytes)', [P.elapsed]: 'running (s)' } })],
    sortBy: [{ displayName: 'CPU %', desc: true }],
  }));
  l.add(
    table({
      title: 'New processes', w: 12, h: 8,
      description: 'Processes that started within the time range (each once, as last seen): what the container ran that it did not run before.',
      targets: [target('A',
        `SELECT ${q(TAG.containerName)}, ${q(P.pid)}, ${q(P.command)}, ${q(P.user)}, ${q(P.startedAt)} / 1000000 AS "started" FROM ${q(M.process)} ` +
          `WHERE ${and(both, `${q(P.startedAt)} >= \${__from}000000`, TIME_FILTER)}`,
        { format: 'table', expect: { columns: [TAG.containerName, P.pid, P.command, 'started'], source: 'processes' } })],
      transformations: [
        {
          id: 'groupBy',
          options: {
            fields: {
              [TAG.containerName]: { operation: 'groupby', aggregations: [] }, [P.pid]: { operation: 'groupby', aggregations: [] },
              [P.command]: { operation: 'aggregate', aggregations: ['lastNotNull'] }, [P.user]: { operation: 'aggregate', aggregations: ['lastNotNull'] },
              started: { operation: 'aggregate', aggregations: ['firstNotNull'] },
            },
          },
        },
        asTime('started (firstNotNull)'),
        organize({ rename: { [TAG.containerName]: 'container', [`${P.command} (lastNotNull)`]: 'command', [`${P.user} (lastNotNull)`]: 'user', 'started (firstNotNull)': 'started' } }),
      ],
      sortBy: [{ displayName: 'started', desc: true }],
    }),
    table({
      title: 'Exited processes', w: 12, h: 8,
      description: 'Processes seen at one poll and gone at the next: exited, killed, or their container stopped (docker_container_process_gone), newest first.',
      targets: [target('A',
        `SELECT ${q(TAG.containerName)}, ${q(P.pid)}, ${q(P.command)}, ${q(P.user)}, ${q(P.cpuTime)} / 1000000000 AS "cpu_s", ${q(P.rss)}, ` +
          `${q(P.startedAt)} / 1000000 AS "started", ${q(P.lastSeen)} / 1000000 AS "last_seen" FROM ${q(M.processGone)} WHERE ${and(both, TIME_FILTER)} ORDER BY time DESC LIMIT 500`,
        { format: 'table', expect: { columns: [TAG.containerName, P.pid, P.command, 'last_seen'], source: 'processGone' } })],
      transformations: [asTime('started', 'last_seen'), organize({ rename: { Time: 'gone', [TAG.containerName]: 'container', cpu_s: 'CPU time (s)', [P.rss]: 'rss (bytes)' } })],
    }),
  );

  l.row('Filesystem');
  l.add(
    table({
      title: 'Mounts', w: 16, h: 8,
      targets: [target('A',
        `SELECT last(${q(MF.type)}) AS "type", ${q(MF.source)}, ${q(MF.mode)}, ${q(MF.rw)}, ${q(MF.size)}, ${q(MF.name)}, ${q(MF.driver)} ` +
          `FROM ${q(M.mount)} WHERE ${and(both, atRangeEnd(WINDOW.disk))} GROUP BY ${BY_CONTAINER}, ${q(TAG.destination)}`,
        { format: 'table', expect: { columns: [TAG.containerName, TAG.destination, 'type', MF.source, MF.mode, MF.rw], source: 'mounts' } })],
      transformations: [organize({ exclude: ['Time'], rename: { [MF.size]: 'volume size (bytes)' } })],
    }),
    table({
      title: 'Disk usage', w: 8, h: 8,
      description: 'Writable layer and whole root filesystem of the container.',
      targets: [target('A',
        `SELECT last(${q(DISK_FIELDS.sizeRw)}) / 1048576 AS "writable_mib", last(${q(DISK_FIELDS.sizeRootFs)}) / 1048576 AS "root_fs_mib" FROM ${q(M.diskUsage)} ` +
          `WHERE ${and(both, atRangeEnd(WINDOW.disk))} GROUP BY ${BY_CONTAINER}`,
        { format: 'table', expect: { columns: [TAG.containerName, 'writable_mib', 'root_fs_mib'], source: 'disk' } })],
      transformations: [organize({ exclude: ['Time'], rename: { writable_mib: 'writable layer (MiB)', root_fs_mib: 'root filesystem (MiB)' } })],
      decimals: 1,
    }),
  );

  l.row('Security');
  l.add(posturePanel(24, 5));

  l.row('Faults');
  l.add(
    table({ title: 'Alerts', w: 12, h: 9, targets: [alertsTarget('A', 200, true)], mappings: ALERT_MAPPINGS, overrides: ALERT_CELLS }),
    table({ title: 'Recovery runs', w: 12, h: 9, targets: [recoveryTarget('A', 100, true)], mappings: ALERT_MAPPINGS, overrides: ALERT_CELLS }),
    table({
      title: 'Fault snapshots', w: 24, h: 9,
      description: SNAPSHOT_DESCRIPTION,
      targets: [snapshotsTarget('A', 50)],
      links: SNAPSHOT_LINKS, mappings: ALERT_MAPPINGS, overrides: SNAPSHOT_CELLS,
    }),
  );

  return dashboard({
    uid: UID.container,
    title: 'Shipwatch / Container',
    description: 'One or more containers in detail: resources with their rolled average and learned band, TCP states and peers, events, logs, processes, filesystem, security posture and faults.',
    variables: [hostVar(), containerVar(), networkVar(), deviceVar(), rollupRpVar(), alerterUrlVar()],
    annotations: [alertAnnotation(true), eventAnnotation(), recoveryAnnotation()],
    layout: l,
  });
}
