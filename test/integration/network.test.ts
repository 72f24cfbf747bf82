/**
 * TCP states, the service map and security posture from real containers:
 * sockets put in known states with busybox nc, thousands of connections held
 * in a container's namespace, risky settings (host network, the Docker
 * socket mounted, privileged), through the real collector, processor and the
 * alerter's API.
 */
import { expect } from 'chai';
import type Docker from 'dockerode';
import { services, docker, testConfig, freshDatabase, runContainer, cleanup, uniqueRun, eventually, TEST_LABEL } from '../helpers/services.js';
import { holdConnections, type HeldConnections } from '../helpers/sockets.js';
import { createLogger } from '../../common/log.js';
import { ident, type InfluxQL } from '../../common/influx/query.js';
import { MEASUREMENT as M, PROCESSOR_MEASUREMENT as PM, TAG, TCP_STATE_FIELDS } from '../../common/schema.js';
import { startCollectorParts, type RunningCollector } from '../../collector/service.js';
import { startProcessorParts, type RunningProcessor } from '../../processor/service.js';
import { startAlerterParts, type RunningAlerter } from '../../alerter/service.js';
import { NetworkCollector } from '../../collector/network/collector.js';
import type { ServiceMap } from '../../alerter/servicemap.js';

const silent = createLogger('test', process.env.SHIPWATCH_TEST_LOG ?? 'silent');
const ZERO = Object.fromEntries([...TCP_STATE_FIELDS, 'udp_socket'].map((f) => [f, 0]));

describe('TCP states, service map and posture of real containers', function () {
  this.timeout(240_000);
  const run = uniqueRun('net');
  const db = 'test_network';
  const host = `sw-net-${process.pid}`;
  const names = {
    srv: `${run}-srv`, cli: `${run}-cli`, hostnet: `${run}-hostnet`, sock: `${run}-sock`, priv: `${run}-priv`, many: `${run}-many`,
  };
  let d: Docker;
  let q: InfluxQL;
  let collector: RunningCollector | undefined;
  let processor: RunningProcessor | undefined;
  let alerter: RunningAlerter | undefined;
  let held: HeldConnections | undefined;

  /** The latest netstat point of a container, as field → count. */
  const netstat = async (name: string) => {
    const [row] = await q.rows(`SELECT * FROM ${ident(M.netstat)} WHERE ${ident(TAG.containerName)} = '${name}' ORDER BY time DESC LIMIT 1`).catch(() => []);
    if (!row) return undefined;
    return Object.fromEntries(Object.keys(ZERO).map((f) => [f, Number(row[f])]));
  };
  const untilCounts = async (name: string, want: Record<string, number>) => {
    const expected = { ...ZERO, ...want };
    let last: unknown;
    await eventually(async () => {
      last = await netstat(name);
      return JSON.stringify(last) === JSON.stringify(expected);
    }, 60_000, 250).catch(() => {
      throw new Error(`${name}: counts ${JSON.stringify(last)}, expected ${JSON.stringify(expected)}`);
    });
  };

  before(async function () {
    const env = services();
    d = docker();
    q = await freshDatabase(db);
    const cfg = testConfig(db, {
      host,
      'collector.interval': '1s',
      'collector.processes.enabled': false,
      'collector.disk.enabled': false,
      'collector.images.enabled': false,
      'collector.network.enabled': true,
      'redis.prefix': `{${run}}`,
      'queue.shards': 1,
      'processor.faults.posture.enabled': true,
      'processor.faults.closeWait.min': 3,
      'processor.faults.closeWait.for': '0s',
      'alerter.api': { port: 0, token: 'network-test-token-0123456789' },
    });
    processor = await startProcessorParts(cfg, silent);
    alerter = await startAlerterParts(cfg, silent);
    collector = await startCollectorParts(cfg, silent);

    // Server: one port whose handler never closes (its clients' leaving makes CLOSE_WAIT), one closing after 5 s;
    // syslogd with three remote targets holds three UDP sockets.
    await runContainer(d, run, {
      name: names.srv,
      cmd: ['sh', '-c', 'nc -ll -p 9000 -e sleep 3600 & nc -ll -p 9001 -e sleep 5 & syslogd -n -R 127.0.0.1:5140 -R 127.0.0.1:5141 -R 127.0.0.1:5142 & sleep 1; logger up; sleep 3600'],
    });
    await untilCounts(names.srv, { tcp_listen: 2, udp_socket: 3 });
    const ip = (await d.getContainer(names.srv).inspect()).NetworkSettings.Networks.bridge.IPAddress;
    // Client: 5 connections held open, 3 dropped by their process after 5 s, time enough to connect on a loaded machine
    // (FIN_WAIT2 here for the kernel's 60 s, CLOSE_WAIT there), 4 closed first (TIME_WAIT here for 60 s).
    await runContainer(d, run, {
      name: names.cli,
      cmd: ['sh', '-c', `for i in 1 2 3 4 5; do sleep 3600 | nc ${ip} 9000 & done; for i in 1 2 3; do timeout 5 nc ${ip} 9000 & done; ` +
        `for i in 1 2 3 4; do nc ${ip} 9001 </dev/null & done; sleep 3600`],
    });
    await runContainer(d, run, { name: names.hostnet, network: 'host', cmd: ['sleep', '3600'] });
    const sockPath = env.dockerHost.replace(/^unix:\/\//, '');
    const sock = await d.createContainer({
      name: names.sock, Image: env.testImage, Cmd: ['sleep', '3600'], Labels: { [TEST_LABEL]: run },
      HostConfig: { Binds: [`${sockPath}:/var/run/docker.sock`] },
    });
    await sock.start();
    // Created only: kernels that withhold a capability from the engine refuse to start a privileged container; its posture is judged all the same.
    await d.createContainer({ name: names.priv, Image: env.testImage, Cmd: ['sleep', '3600'], Labels: { [TEST_LABEL]: run }, HostConfig: { Privileged: true } });
  });

  after(async () => {
    await held?.stop();
    await collector?.stop();
    await processor?.stop();
    await alerter?.stop();
    if (d) await cleanup(d, run);
  });

  it('counts each state exactly, under Telegraf\'s netstat names, on both sides of the connections', async () => {
    await untilCounts(names.srv, { tcp_listen: 2, tcp_established: 5, tcp_close_wait: 3, udp_socket: 3 });
    await untilCounts(names.cli, { tcp_established: 5, tcp_fin_wait2: 3, tcp_time_wait: 4 });
  });

  it('counts thousands of connections exactly', async () => {
    // Set up here, not before the first test: that one must read the client's TIME_WAIT and FIN_WAIT2 sockets
    // within the kernel's 60 s for them, however slow a loaded machine makes this set-up.
    const many = await runContainer(d, run, { name: names.many, cmd: ['sleep', '3600'] });
    held = await holdConnections((await many.inspect()).State.Pid, 3000);
    await untilCounts(names.many, { tcp_listen: 1, tcp_established: held!.sockets - 1 });
  });

  it('writes nothing for a container in the host\'s network namespace (those are the host\'s sockets)', async () => {
    await untilCounts(names.srv, { tcp_listen: 2, tcp_established: 5, tcp_close_wait: 3, udp_socket: 3 });
    expect(await netstat(names.hostnet)).to.equal(undefined);
  });

  it('draws one edge from client to server with the connections and the server port, in InfluxDB and from the API', async () => {
    await eventually(async () => {
      const rows = await q.rows(`SELECT last("connections") AS "connections", last("ports") AS "ports" FROM ${ident(M.serviceEdge)} ` +
        `WHERE ${ident(TAG.engineHost)} = '${host}' AND time > now() - 10s GROUP BY "source", "target", "edge"`).catch(() => []);
      const ours = rows.filter((r) => String(r.source).startsWith(run) || String(r.target).startsWith(run));
      return ours.length === 1 && ours[0].source === names.cli && ours[0].target === names.srv && ours[0].edge === `${names.cli}->${names.srv}`
        && ours[0].connections === 5 && ours[0].ports === '9000';
    }, 30_000, 250);
    const res = await fetch(`http://127.0.0.1:${alerter!.apiPort}/api/service-map?host=${host}&window=30s`, { headers: { authorization: 'Bearer network-test-token-0123456789' } });
    expect(res.status).to.equal(200);
    const map = (await res.json()) as ServiceMap;
    expect(map.hosts).to.deep.equal([host]);
    expect(map.edges.filter((e) => e.source.includes(run))).to.deep.equal([
      { id: `${host}/${names.cli}->${host}/${names.srv}`, host, source: `${host}/${names.cli}`, target: `${host}/${names.srv}`, connections: 5, ports: [9000] },
    ]);
    expect(map.nodes.find((n) => n.id === `${host}/${names.srv}`)).to.deep.include({ kind: 'container', title: names.srv, connectionsIn: 5 });
    const bad = await fetch(`http://127.0.0.1:${alerter!.apiPort}/api/service-map?window=forever`, { headers: { authorization: 'Bearer network-test-token-0123456789' } });
    expect(bad.status).to.equal(400);
  });

  it('writes each container\'s posture: host network, the Docker socket, privileged (created only)', async () => {
    const posture = async (name: string) =>
      (await q.rows(`SELECT last("failed") AS "failed", last("critical") AS "critical", last("score") AS "score" FROM ${ident(M.posture)} WHERE ${ident(TAG.containerName)} = '${name}'`).catch(() => []))[0];
    await eventually(async () => (await posture(names.priv)) && (await posture(names.sock)) && (await posture(names.hostnet)), 30_000, 250);
    const failed = async (name: string) => String((await posture(name)).failed).split(',');
    expect(await failed(names.hostnet)).to.include('5.9');
    expect(await failed(names.sock)).to.include('5.31');
    expect((await posture(names.sock)).critical).to.equal(1);
    expect(await failed(names.priv)).to.include('5.4');
    expect(await failed(names.srv)).to.not.include.members(['5.4', '5.9', '5.31']);
    const [status] = await q.rows(`SELECT last("score") FROM ${ident(M.posture)} WHERE ${ident(TAG.containerName)} = '${names.priv}' GROUP BY ${ident(TAG.containerStatus)}`);
    expect(status[TAG.containerStatus]).to.equal('created');
  });

  it('alerts: the running container with the Docker socket (posture rule, turned on), CLOSE_WAIT piling up on the server', async () => {
    const firing = async (rule: string, name: string) =>
      (await q.rows(`SELECT "firing" FROM ${ident(PM.alerts)} WHERE "rule" = '${rule}' AND ${ident(TAG.containerName)} = '${name}'`).catch(() => [])).some((r) => r.firing === 1);
    await eventually(() => firing('posture_critical', names.sock), 60_000, 250);
    await eventually(() => firing('tcp_close_wait', names.srv), 60_000, 250);
    // The created-only privileged container never ran: no alert.
    expect(await firing('posture_critical', names.priv)).to.equal(false);
  });

  it('a container whose tables take longer than the budget is cut short and says so; the others are complete', async () => {
    const lines: string[] = [];
    const sink = { write: (l: string[]) => void lines.push(...l), flush: async () => true };
    const metas = collector!.collector.registry.all().filter((c) => c.name.startsWith(run));
    const net = new NetworkCollector(() => metas, sink, { host, serverVersion: 'x' }, {
      procRoot: '/proc', labelTags: [], budget: 1, maxPeers: 20, maxConnections: 65_536, hostAddresses: [],
    }, silent);
    try {
      const pass = await net.poll(Date.now());
      const of = (name: string) => lines.find((l) => l.startsWith(`${M.netstat},`) && l.includes(`container_name=${name},`))!;
      expect(of(names.many)).to.contain('incomplete=true');
      expect(pass.cut).to.be.greaterThan(0);
      expect(of(names.srv)).to.not.contain('incomplete');
      expect(of(names.srv)).to.contain('tcp_established=5i');
    } finally {
      net.close();
    }
  });
});
