/**
 * The collector's Prometheus exposition scraped by a real Prometheus (Debian's
 * 2.42, on loopback, its own temporary directory, stopped by PID), checked
 * with `promtool check metrics`, and queried the way cAdvisor users query.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { ROOT } from '../helpers/paths.js';
import { services, docker, testConfig, freshDatabase, runContainer, cleanup, uniqueRun, eventually } from '../helpers/services.js';
import { PrometheusPeer, promtoolCheck } from '../helpers/peers.js';
import { createLogger } from '../../common/log.js';
import { startCollectorParts, type RunningCollector } from '../../collector/service.js';
import { EXPOSITION_CONTENT_TYPE } from '../../collector/prometheus/server.js';
import { PROM_METRIC } from '../../common/schema.js';

const DB = 'test_prometheus';

describe('Prometheus exposition scraped by a real Prometheus', function () {
  this.timeout(180_000);
  const run = uniqueRun('prom');
  const web = `${run}-web`;
  const worker = `${run}-worker`;
  let d: Docker;
  let c: RunningCollector;
  let prom: PrometheusPeer;
  let url: string;

  before(async () => {
    services();
    d = docker();
    await freshDatabase(DB);
    await runContainer(d, run, { name: web, cmd: ['sleep', '3600'], labels: { 'com.docker.compose.project': 'shop' }, memory: 64 * 1024 * 1024 });
    await runContainer(d, run, { name: worker, cmd: ['sh', '-c', 'while :; do :; done'] });
    c = await startCollectorParts(testConfig(DB, {
      'collector.interval': '1s',
      'queue.enabled': false,
      'collector.prometheus': { enabled: true, port: 0 },
    }), createLogger('test', 'silent'));
    url = `http://127.0.0.1:${c.exposition!.port}/metrics`;
    await once(c.cycles, 'cycle');
    prom = new PrometheusPeer({ interval: '1s', targets: [`127.0.0.1:${c.exposition!.port}`] });
    await prom.start();
  });

  after(async () => {
    await prom?.stop();
    await c?.stop();
    if (d) await cleanup(d, run);
  });

  it('serves cAdvisor-named series of the running containers, which promtool accepts', async () => {
    const r = await fetch(url);
    expect(r.status).to.equal(200);
    expect(r.headers.get('content-type')).to.equal(EXPOSITION_CONTENT_TYPE);
    const text = await r.text();
    expect(text).to.match(new RegExp(`^container_memory_usage_bytes\\{container_label_com_docker_compose_project="shop",id="/docker/[0-9a-f]{64}",image="[^"]+",name="${web}"\\} \\d+$`, 'm'));
    expect(text).to.match(new RegExp(`^container_spec_memory_limit_bytes\\{[^}]*name="${web}"\\} 67108864$`, 'm'));
    expect(text).to.contain('shipwatch_collector_process_cpu_seconds_total');
    const check = await promtoolCheck(text);
    expect(check.code, check.output).to.equal(0);
    expect((await fetch(url.replace('/metrics', '/other'))).status).to.equal(404);
  });

  it('renders recorded samples that promtool accepts too', async () => {
    const fixture = readFileSync(path.join(ROOT, 'test/fixtures/stats/two-containers.prom'), 'utf8');
    const check = await promtoolCheck(fixture);
    expect(check.code, check.output).to.equal(0);
  });

  it('answers the queries cAdvisor dashboards and rules run', async () => {
    const cpu = await eventually(async () => {
      const v = await prom.query(`sum by (name) (rate(${PROM_METRIC.cpuUsage.name}{name="${worker}"}[5s]))`);
      return v.length && Number(v[0].value[1]) > 0 ? Number(v[0].value[1]) : undefined;
    }, 60_000, 500);
    // A busy loop on a shared 2-core machine: some fraction of a core, above an idle container's.
    expect(cpu).to.be.within(0.05, 2.5);
    const rx = await prom.query(`${PROM_METRIC.netRxBytes.name}{name="${web}",interface="eth0"}`);
    expect(rx).to.have.length(1);
    const up = await prom.query('up{job="shipwatch"}');
    expect(up[0].value[1]).to.equal('1');
  });

  it('lets an absent() rule see a stopped container at the next scrape', async () => {
    const present = await prom.query(`absent(${PROM_METRIC.memUsage.name}{name="${web}"})`);
    expect(present).to.have.length(0);
    await d.getContainer(web).kill();
    await eventually(async () => (await prom.query(`absent(${PROM_METRIC.memUsage.name}{name="${web}"})`)).length === 1, 30_000, 250);
  });
});
