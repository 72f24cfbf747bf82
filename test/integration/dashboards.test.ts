/**
 * Every dashboard query (panels, template variables, annotations), with the
 * macros and variables Grafana substitutes, against InfluxDB filled by the
 * real collector and processor, and against Telegraf-shaped lines.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import type Docker from 'dockerode';
import { services, docker, testConfig, freshDatabase, runContainer, cleanup, uniqueRun, eventually, TEST_LABEL } from '../helpers/services.js';
import { allQueries, allPanels, interpolate, variableOptions, type Interpolation, type QueryCase, type VarValue } from '../helpers/grafana.js';
import { createLogger } from '../../common/log.js';
import { ident, type InfluxQL, type Series } from '../../common/influx/query.js';
import { startCollectorParts, type RunningCollector } from '../../collector/service.js';
import { startProcessorParts, type RunningProcessor } from '../../processor/service.js';
import { MEASUREMENT as M, PROCESSOR_MEASUREMENT as PM, PROCESSOR_METRICS, ROLLUP_FIELDS, TAG, metricField } from '../../common/schema.js';
import { DEFAULTS } from '../../common/config.js';
import type { Source } from '../../grafana/lib/model.js';
import { notificationLine, unroutedLine, handlingLine, silenceLine, reportLine } from '../../alerter/lines.js';
import { labelProblemLine } from '../../common/container-settings.js';
import { alertLine } from '../../processor/lines.js';
import { parseMatcher } from '../../common/matchers.js';
import type { ReportMeta } from '../../common/reports.js';
import { runLine, verifyLine } from '../../agent/lines.js';
import type { Notification } from '../../alerter/notification.js';
import type { ActionResult } from '../../common/queue/actions.js';

const silent = createLogger('test', process.env.SHIPWATCH_TEST_LOG ?? 'silent');

/** Columns of a result as Grafana's table format shows them: the series' columns and its GROUP BY tags. */
function columnsOf(series: Series[]): Set<string> {
  const cols = new Set<string>();
  for (const s of series) {
    s.columns.forEach((c) => cols.add(c));
    Object.keys(s.tags ?? {}).forEach((t) => cols.add(t));
  }
  return cols;
}

const rowCount = (series: Series[]) => series.reduce((n, s) => n + (s.values?.length ?? 0), 0);

async function runCase(q: InfluxQL, c: QueryCase, o: Interpolation, required: Set<Source>) {
  const sql = interpolate(c.query, c.dashboard.templating.list, o);
  const where = `${c.dashboard.uid} / ${c.where}\n    ${sql}`;
  let series: Series[];
  try {
    series = await q.query(sql);
  } catch (e) {
    throw new Error(`${where}\n    failed: ${(e as Error).message}`);
  }
  if (required.has(c.expect.source)) {
    expect(rowCount(series), `${where}\n    returned no rows`).to.be.greaterThan(0);
    const cols = columnsOf(series);
    for (const col of c.expect.columns) expect(cols.has(col), `${where}\n    lacks column ${col}: ${[...cols]}`).to.equal(true);
  }
  return series;
}

describe('dashboard queries on data the collector and processor wrote', function () {
  this.timeout(300_000);
  const run = uniqueRun('dash');
  const db = 'test_dashboards';
  const host = `sw-dash-${process.pid}`;
  // A dot in a name: multi-value variables must be regex-escaped as Grafana does.
  const names = {
    busy: `${run}-busy.web`, idle: `${run}-idle`, sick: `${run}-sick`, vol: `${run}-vol`, once: `${run}-once`, srv: `${run}-srv`, cli: `${run}-cli`,
    hostnet: `${run}-hostnet`,
  };
  let d: Docker;
  let q: InfluxQL;
  let collector: RunningCollector | undefined;
  let processor: RunningProcessor | undefined;

  /** Points of this run in a measurement. */
  const count = async (from: string, extra = '') => {
    const rows = await q.rows(`SELECT count(*) FROM ${from} WHERE ${ident(TAG.engineHost)} = '${host}' ${extra}`);
    const counts = Object.entries(rows[0] ?? {}).filter(([k]) => k.startsWith('count_')).map(([, v]) => Number(v));
    return counts.length ? Math.max(...counts) : 0;
  };

  before(async function () {
    services();
    d = docker();
    q = await freshDatabase(db);
    await runContainer(d, run, {
      name: names.busy, memory: 64 * 1024 * 1024,
      cmd: ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo "error: request $i failed"; j=0; while [ $j -lt 20000 ]; do j=$((j+1)); done; sleep 0.3; done'],
    });
    await runContainer(d, run, { name: names.idle, cmd: ['sleep', '3600'] });
    await runContainer(d, run, {
      name: names.sick, cmd: ['sleep', '3600'],
      healthcheck: { Test: ['CMD-SHELL', 'exit 1'], Interval: 1e9, Timeout: 1e9, Retries: 1 },
    });
    // A container with a volume, for the mounts table.
    const vol = await d.createContainer({
      name: names.vol, Image: services().testImage, Cmd: ['sleep', '3600'], Labels: { [TEST_LABEL]: run }, Volumes: { '/data': {} },
    });
    await vol.start();
    // Two containers with connections between them, for the service map and the TCP states.
    const srv = await runContainer(d, run, { name: names.srv, cmd: ['sh', '-c', 'nc -ll -p 9000 -e sleep 3600 & sleep 3600'] });
    const ip = (await srv.inspect()).NetworkSettings.Networks.bridge.IPAddress;
    await runContainer(d, run, { name: names.cli, cmd: ['sh', '-c', `sleep 1; for i in 1 2 3; do sleep 3600 | nc ${ip} 9000 & done; sleep 3600`] });
    // A risky one: the host's network namespace (CIS 5.9, high).
    await runContainer(d, run, { name: names.hostnet, network: 'host', cmd: ['sleep', '3600'] });

    const cfg = testConfig(db, {
      host,
      'collector.interval': '2s',
      'collector.processes.interval': '2s',
      'collector.disk.interval': '4s',
      'collector.images.interval': '4s',
      'collector.logs.enabled': true,
      'collector.logs.names': [`${run}-*`],
      'collector.network.enabled': true,
      'redis.prefix': `{${run}}`,
      'queue.shards': 2,
      // Windows that close within the test: rollups are written per closed window.
      'processor.averageWindow': '4s',
      'processor.thresholds.warmup': '6s',
      'processor.thresholds.metrics': Object.values(PROCESSOR_METRICS),
      'processor.prediction.minSamples': 3,
      'processor.prediction.window': '30s',
      'processor.faults.logErrors.enabled': false,
      'processor.rules': [{ name: 'dash_busy', metric: 'cpu_percent', op: '>=', value: 0, containers: names.busy }],
    });
    processor = await startProcessorParts(cfg, silent);
    collector = await startCollectorParts(cfg, silent);
    await once(collector.cycles, 'cycle');
    // Started while the collector watches: its create, start and die events are written.
    await runContainer(d, run, { name: names.once, cmd: ['sh', '-c', 'exit 3'] });
    // twelve cycles: the detector draws its band once warm, after 10 samples (a rate starts a cycle later)
    for (let i = 0; i < 12; i++) await once(collector.cycles, 'cycle');
    // What the slower parts write (disk, images, processes, the processor's outputs) has no event to await.
    const ours = `AND ${ident(TAG.containerName)} =~ /^${run}-/`;
    const sources: Array<[string, string]> = [
      [ident(M.process), ours], [ident(M.mount), ours], [ident(M.diskUsage), ours], [ident(M.image), ''],
      [ident(M.log), ours], [ident(M.health), ours], [ident(M.event), `AND ${ident(TAG.containerName)} = '${names.once}'`],
      [ident(M.netstat), ours], [ident(M.posture), ours], [ident(M.serviceEdge), `AND ${ident(TAG.source)} = '${names.cli}'`],
      [`"${DEFAULTS.influx.rollupRetentionPolicy}".${ident(PM.rollup)}`, ours], [ident(PM.threshold), ours],
      [ident(PM.alerts), ours], [ident(PM.snapshot), ours], [ident(PM.prediction), ours],
    ];
    // Two closed windows of a container at least: the 1-minute change charts need two rollups.
    await eventually(async () => Math.max(0, ...(await q.rows(`SELECT count(${ident(metricField(PROCESSOR_METRICS.cpuPercent, ROLLUP_FIELDS.mean))}) AS n FROM "${DEFAULTS.influx.rollupRetentionPolicy}".${ident(PM.rollup)} ` +
      `WHERE ${ident(TAG.engineHost)} = '${host}' GROUP BY ${ident(TAG.containerName)}`)).map((r) => Number(r.n))) >= 2, 120_000, 500);
    for (const [from, extra] of sources) {
      await eventually(async () => (await count(from, extra)) > 0, 120_000, 500).catch((e) => {
        throw new Error(`nothing in ${from}: ${(e as Error).message}`);
      });
    }
    await collector.stop();
    await processor.stop();
    collector = processor = undefined;
    await writeAlerterRecords();
  });

  /** A delivery, a recovery run and an alert that reached no one for the busy container's alert, in the alerter's own line protocol. */
  async function writeAlerterRecords() {
    const [alert] = await q.rows(`SELECT "key", "starts_at", "summary", "container_id" FROM ${ident(PM.alerts)} WHERE "container_name" = '${names.busy}' LIMIT 1`);
    const t = Date.now() - 5000;
    const n = {
      v: 1, id: 'n1', kind: 'alert', status: 'firing', reason: 'new', receiver: 'ops', groupKey: 'g1', groupLabels: { rule: 'dash_busy' }, time: t, recovery: null,
      alerts: [{ key: String(alert.key), status: 'firing', rule: 'dash_busy', severity: 'warning', host, container: names.busy, containerId: String(alert.container_id) }],
    } as unknown as Notification;
    const r: ActionResult = {
      runId: 'r1', action: 'restart-busy', command: 'docker:restart', host, outcome: 'ok', exitCode: 0, signal: null,
      startedAt: t, endedAt: t + 1200, recovered: true, detail: '', attachments: [],
      facts: { alertKey: String(alert.key), rule: 'dash_busy', container: names.busy, containerId: String(alert.container_id) } as ActionResult['facts'],
    };
    const m = { key: String(alert.key), rule: 'dash_busy', host, container: names.busy, startsAt: Number(alert.starts_at) };
    const silence = { id: 's1', matchers: [parseMatcher(`container="${names.busy}"`)], startsAt: t - 1000, endsAt: t + 3_600_000, createdBy: 'ann', comment: 'deploy', createdAt: t - 1000 };
    const report: ReportMeta = {
      v: 1, id: 'daily-x', title: 'Shipwatch daily report', period: 'p', kind: 'scheduled', schedule: 'daily', from: t - 86_400_000, to: t, host: null,
      timezone: 'UTC', createdAt: t, empty: false, summary: '7 containers', files: [],
    };
    const lines = [
      handlingLine(m, 'acknowledged', { by: 'ann', comment: 'on it', timeToAckS: 12 }, t + 2000),
      handlingLine(m, 'silenced', { silenceIds: ['s1'], held: 'notification' }, t + 2500),
      silenceLine(silence, 'created', 'ann', 'deploy', t - 1000),
      reportLine(report, 'http://127.0.0.1:9095/api/reports/daily-x/report.html?sig=x'),
      labelProblemLine(host, names.idle, 'id', { label: 'shipwatch.colour', value: 'blue', problem: 'unknown label' }, t),
      // A resolve, for the time to resolve, whatever the containers did in the test's short run.
      alertLine(host, {
        status: 'resolved', key: `dash_done|${host}|${names.idle}`, time: t,
        alert: { status: 'firing', rule: 'dash_done', severity: 'warning', container: names.idle, containerId: 'id', labels: {}, summary: 'done', value: 1, since: t - 90_000, startsAt: t - 90_000, snapshotId: null },
      }),
      notificationLine(n, 'webhook', 'failed', 1, 30, 'connection refused', t),
      notificationLine(n, 'webhook', 'sent', 2, 25, '', t + 1000),
      runLine(r, 'restarted', ''),
      verifyLine(r, true, t + 3000),
      unroutedLine({
        v: 1, key: String(alert.key), status: 'firing', rule: 'dash_busy', severity: 'warning', host, container: names.busy,
        containerId: String(alert.container_id), summary: String(alert.summary), value: null, labels: {}, startsAt: t, endsAt: null, snapshotId: null,
      }),
    ];
    const res = await fetch(`${services().influxUrl}/write?db=${db}&precision=ns`, { method: 'POST', body: lines.join('\n') });
    expect(res.status, await res.text()).to.equal(204);
  }

  after(async () => {
    await collector?.stop();
    await processor?.stop();
    if (d) await cleanup(d, run);
  });

  const everything = new Set<Source>([
    'metrics', 'status', 'info', 'events', 'logs', 'processes', 'mounts', 'disk', 'images', 'rollup', 'threshold', 'prediction', 'alerts', 'snapshots',
    'notifications', 'recovery', 'netstat', 'edges', 'posture', 'unrouted',
  ]);
  const vars = (container: VarValue): Record<string, VarValue> => ({
    host: [host], container, network: 'total', device: 'total', severity: { all: true }, rule: { all: true }, rollup_rp: 'rollup',
  });

  it('every panel, variable and annotation query answers with its columns (relative range, containers listed)', async () => {
    const now = Date.now();
    const o: Interpolation = { vars: vars(Object.values(names)), from: now - 3_600_000, to: now + 1000, timeForm: 'relative', relative: '1h', interval: '10s' };
    const cases = allQueries();
    for (const c of cases) await runCase(q, c, o, everything);
    expect(cases.length).to.be.greaterThan(40);
  });

  it('the same with absolute ms bounds and "All" containers', async () => {
    const now = Date.now();
    const o: Interpolation = { vars: vars({ all: true }), from: now - 3_600_000, to: now + 1000, timeForm: 'absolute', interval: '10s' };
    for (const c of allQueries()) await runCase(q, c, o, everything);
  });

  it('the variables list this host and its containers', async () => {
    const o: Interpolation = { vars: vars({ all: true }), from: 0, to: Date.now(), timeForm: 'relative', interval: '10s' };
    const values = async (name: string) => {
      const c = allQueries().find((x) => x.kind === 'variable' && x.where === `$${name}`)!;
      return (await q.rows(interpolate(c.query, c.dashboard.templating.list, o))).map((r) => r.value);
    };
    expect(await values('host')).to.include(host);
    expect(await values('container')).to.include.members(Object.values(names));
    expect(await values('network')).to.include('total');
  });

  it('the container table links a row to its container, and the top CPU list ranks the busy container first', async () => {
    const now = Date.now();
    const o: Interpolation = { vars: vars(Object.values(names)), from: now - 3_600_000, to: now + 1000, timeForm: 'relative', relative: '1h', interval: '10s' };
    const top = allQueries().find((c) => c.dashboard.uid === 'shipwatch-overview' && c.where === 'CPU / A')!;
    const rows = (await q.rows(interpolate(top.query, top.dashboard.templating.list, o))).filter((r) => Object.values(names).includes(String(r.container_name)));
    rows.sort((a, b) => Number(b.cpu) - Number(a.cpu));
    expect(rows[0].container_name).to.equal(names.busy);
  });

  it('the alert story of one alert has every step: fired, notified, acknowledged, held back, recovery tried', async () => {
    const now = Date.now();
    const o: Interpolation = { vars: { ...vars([names.busy]), rule: ['dash_busy'] }, from: now - 3_600_000, to: now + 1000, timeForm: 'relative', relative: '1h', interval: '10s' };
    const story = allQueries().filter((c) => c.dashboard.uid === 'shipwatch-alerts' && c.where.startsWith('Alert story /'));
    expect(story.map((c) => c.where)).to.deep.equal(['Alert story / A', 'Alert story / B', 'Alert story / C', 'Alert story / D']);
    const steps = new Set<string>();
    for (const c of story) {
      for (const r of await q.rows(interpolate(c.query, c.dashboard.templating.list, o))) {
        for (const k of ['alert', 'notification', 'handling', 'recovery']) if (r[k] !== undefined && r[k] !== null) steps.add(`${k}=${r[k]}`);
      }
    }
    expect([...steps]).to.include.members(['alert=firing', 'notification=failed', 'notification=sent', 'handling=acknowledged', 'handling=silenced', 'recovery=ok']);
    const hours = allQueries().find((c) => c.dashboard.uid === 'shipwatch-container' && c.where.startsWith('Busiest hours'))!;
    const rows = await q.rows(interpolate(hours.query, hours.dashboard.templating.list, { ...o, interval: '1h' }));
    expect(rows.length).to.be.greaterThan(0);
    expect(Number(rows[0].cpu)).to.be.greaterThan(0);
  });

  it('the service map gives the Node Graph its edge frame (id, source, target, mainstat); containers at risk has the host-network one', async () => {
    const now = Date.now();
    const o: Interpolation = { vars: vars(Object.values(names)), from: now - 3_600_000, to: now + 1000, timeForm: 'relative', relative: '1h', interval: '10s' };
    const panel = (title: string) => allQueries().find((c) => c.dashboard.uid === 'shipwatch-overview' && c.where === title)!;
    const map = panel('Service map / edges');
    const rows = await q.rows(interpolate(map.query, map.dashboard.templating.list, o));
    const edge = rows.find((r) => r.source === names.cli);
    expect(edge, JSON.stringify(rows)).to.deep.include({ edge: `${names.cli}->${names.srv}`, target: names.srv, mainstat: 3, secondarystat: '9000' });
    // The panel's transformation renames the edge tag to the id field the Node Graph needs.
    const p = allPanels(map.dashboard).find((x) => x.title === 'Service map')!;
    expect(p.type).to.equal('nodeGraph');
    expect(p.targets![0].refId).to.equal('edges');
    expect(p.transformations).to.deep.include({ id: 'organize', options: { excludeByName: { Time: true }, indexByName: {}, renameByName: { edge: 'id' } } });
    const fleet = panel('Service map, whole fleet / edges');
    expect((await q.rows(interpolate(fleet.query, fleet.dashboard.templating.list, o))).find((r) => r.source === names.cli)).to.deep.include({ mainstat: 3 });
    const risk = panel('Containers at risk / A');
    const atRisk = (await q.rows(interpolate(risk.query, risk.dashboard.templating.list, o))).filter((r) => Number(r.critical) > 0 || Number(r.high) > 0);
    expect(atRisk.map((r) => r.container_name)).to.include(names.hostnet);
    expect(String(atRisk.find((r) => r.container_name === names.hostnet)!.failed).split(',')).to.include('5.9');
  });
});

describe('container-metric panels on Telegraf data', function () {
  this.timeout(60_000);
  const db = 'test_dashboards_telegraf';
  const HOST = 'debian-stretch-docker';
  const NAME = 'zen_ritchie';
  let q: InfluxQL;

  /** Telegraf inputs.docker lines as its README documents them (older per-device defaults), a few intervals apart. */
  function telegrafLines(t: number, i: number): string[] {
    const tags = `container_image=telegraf,container_name=${NAME},container_status=running,container_version=unknown,engine_host=${HOST},server_version=17.09.0-ce`;
    const id = 'container_id="adc4ba9593871bf2ab95f3ffde70d1b638b897bb225d21c2c9c84226a10a8cf4"';
    const ns = `${t}000000`;
    return [
      `docker_container_mem,${tags} active_anon=8327168i,active_file=2314240i,cache=27402240i,${id},hierarchical_memory_limit=9223372036854771712i,inactive_anon=0i,inactive_file=25088000i,limit=2101661696i,mapped_file=20582400i,max_usage=36646912i,pgfault=4193i,pgmajfault=214i,pgpgin=9243i,pgpgout=520i,rss=8327168i,rss_huge=0i,total_active_anon=8327168i,total_active_file=2314240i,total_cache=27402240i,total_inactive_anon=0i,total_inactive_file=25088000i,total_mapped_file=20582400i,total_pgfault=4193i,total_pgmajfault=214i,total_pgpgin=9243i,total_pgpgout=520i,total_rss=8327168i,total_rss_huge=0i,total_unevictable=0i,total_writeback=0i,unevictable=0i,usage=${36528128 + i * 4096}i,usage_percent=0.4342225020025297,writeback=0i ${ns}`,
      `docker_container_cpu,${tags},cpu=cpu-total ${id},throttling_periods=0i,throttling_throttled_periods=0i,throttling_throttled_time=0i,usage_in_kernelmode=40000000i,usage_in_usermode=100000000i,usage_percent=${i * 0.5},usage_system=${6394210000000 + i * 2e10}i,usage_total=${117319068 + i * 1e8}i ${ns}`,
      `docker_container_cpu,${tags},cpu=cpu0 ${id},usage_total=20825265i ${ns}`,
      `docker_container_net,${tags},network=eth0 ${id},rx_bytes=${1576 + i * 1000}i,rx_dropped=0i,rx_errors=0i,rx_packets=${20 + i}i,tx_bytes=${i * 500}i,tx_dropped=0i,tx_errors=0i,tx_packets=${i}i ${ns}`,
      `docker_container_blkio,${tags},device=254:0 ${id},io_service_bytes_recursive_async=27398144i,io_service_bytes_recursive_read=${27398144 + i * 8192}i,io_service_bytes_recursive_sync=0i,io_service_bytes_recursive_total=27398144i,io_service_bytes_recursive_write=${i * 4096}i,io_serviced_recursive_async=529i,io_serviced_recursive_read=529i,io_serviced_recursive_sync=0i,io_serviced_recursive_total=529i,io_serviced_recursive_write=0i ${ns}`,
      `docker_container_health,${tags} failing_streak=0i,health_status="healthy" ${ns}`,
      `docker_container_status,${tags} ${id},exitcode=0i,oomkilled=false,pid=1234i,restart_count=0i,started_at=1528955333266176036i,uptime_ns=${249270456059 + i * 1e10}i ${ns}`,
    ];
  }

  before(async () => {
    const e = services();
    q = await freshDatabase(db);
    const now = Date.now();
    const lines = Array.from({ length: 8 }, (_, i) => telegrafLines(now - (7 - i) * 10_000, i)).flat();
    const res = await fetch(`${e.influxUrl}/write?db=${db}&precision=ns`, { method: 'POST', body: lines.join('\n') });
    expect(res.status, await res.text()).to.equal(204);
  });

  it('host, container, interface and device variables, and every container-metric panel, return rows', async () => {
    const telegraf = allQueries().filter((c) => c.expect.telegraf);
    expect(telegraf.length).to.be.greaterThan(20);
    const now = Date.now();
    const base: Interpolation = { vars: { host: [HOST], container: [NAME] }, from: now - 3_600_000, to: now + 1000, timeForm: 'relative', relative: '1h', interval: '10s' };
    // As Grafana does: the saved "total" is kept when the variable offers it, else its first value.
    for (const name of ['network', 'device']) {
      const c = telegraf.find((x) => x.where === `$${name}`)!;
      const offered = (await q.rows(c.query)).map((r) => String(r.value));
      expect(offered, name).to.not.be.empty;
      base.vars[name] = offered.includes('total') ? 'total' : offered[0];
    }
    expect(base.vars.network).to.equal('eth0');
    for (const c of telegraf) await runCase(q, c, base, new Set(['metrics', 'status']));
  });

  it('every other panel, variable and annotation query runs without error (those of Shipwatch-only data return nothing)', async () => {
    const now = Date.now();
    const o: Interpolation = {
      vars: { host: [HOST], container: [NAME], network: 'eth0', device: '254:0', severity: { all: true }, rule: { all: true } },
      from: now - 3_600_000, to: now + 1000, timeForm: 'relative', relative: '1h', interval: '10s',
    };
    // Hidden query variables take their first option, as Grafana does on load.
    for (const d of new Set(allQueries().map((c) => c.dashboard))) {
      for (const v of d.templating.list) {
        if (v.type === 'query' && !(v.name in o.vars)) o.vars[v.name] = (await variableOptions(q, v))[0];
      }
    }
    expect(o.vars.rollup_rp, 'no rollup retention policy: the default one').to.equal('autogen');
    const variable = (name: string) => allQueries().find((c) => c.kind === 'variable' && c.where === `$${name}`)!;
    const listed = async (name: string) => (await q.rows(interpolate(variable(name).query, variable(name).dashboard.templating.list, o))).map((r) => r.value);
    expect(await listed('host')).to.deep.equal([HOST]);
    expect(await listed('container')).to.deep.equal([NAME]);
    const cases = allQueries();
    for (const c of cases) await runCase(q, c, o, new Set());
    expect(cases.length).to.be.greaterThan(60);
  });
});
