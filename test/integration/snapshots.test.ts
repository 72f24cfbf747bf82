/**
 * Fault snapshots an on-call engineer can use, with real containers and log
 * collection OFF: a crash and an unhealthy container. The snapshot holds the
 * last log lines and the inspect facts read from Docker at the fault (env
 * values left out), processes and the metric windows; the API lists them with
 * filters, serves each as JSON and as a page, and the email's signed link
 * opens that page (and only that one). Hostile text is escaped.
 */
import { expect } from 'chai';
import type Docker from 'dockerode';
import { services, docker, freshDatabase, uniqueRun, cleanup, eventually, TEST_LABEL } from '../helpers/services.js';
import { SmtpPeer, pipelineConfig } from '../helpers/alerter.js';
import { createLogger } from '../../common/log.js';
import type { InfluxQL } from '../../common/influx/query.js';
import type { SnapshotBody } from '../../common/snapshot.js';
import { snapshotIdFor } from '../../common/snapshot.js';
import { PROCESS_FIELDS as PF } from '../../common/schema.js';
import { snapshotLine } from '../../processor/lines.js';
import { readHostState, windowSamples } from '../helpers/processor.js';
import { startCollectorParts, type RunningCollector } from '../../collector/service.js';
import { startProcessorParts, type RunningProcessor } from '../../processor/service.js';
import { startAlerterParts, type RunningAlerter } from '../../alerter/service.js';

const TOKEN = 'snapshots-token-0123456789';
const HOSTILE = '<script>alert("pwned")</script>';

describe('fault snapshots: logs off, read from Docker at the fault', function () {
  this.timeout(240_000);
  const run = uniqueRun('snap');
  const db = `snap_${process.pid}`;
  const host = `snap-${run}`;
  const names = { crash: `${run}-web`, sick: `${run}-sick` };
  const smtp = new SmtpPeer();
  const d = docker();
  const log = createLogger('snapshots', process.env.SHIPWATCH_TEST_LOG ?? 'silent');
  let q: InfluxQL;
  let collector: RunningCollector;
  let processor: RunningProcessor;
  let shards = 0;
  let alerter: RunningAlerter;
  let api: string;
  let crash: SnapshotBody;
  let pageLink: string;

  const get = (path: string, auth: string | null = `Bearer ${TOKEN}`) => fetch(`${api}${path}`, { headers: auth ? { authorization: auth } : {} });
  const json = async <T>(path: string): Promise<T> => {
    const res = await get(path);
    expect(res.status, `${path}: ${res.status}`).to.equal(200);
    return (await res.json()) as T;
  };

  const create = async (name: string, o: Partial<Docker.ContainerCreateOptions>) => {
    const c = await d.createContainer({ name, Image: services().testImage, Labels: { [TEST_LABEL]: run }, ...o });
    await c.start();
    return c;
  };

  before(async () => {
    services();
    q = await freshDatabase(db);
    await smtp.start();
    const cfg = pipelineConfig(db, { host, prefix: run, container: names.crash, smtpPort: smtp.port, stopGrace: '500ms' }, {
      'alerter.api': { port: 0, token: TOKEN },
      // Log collection stays off (the default): the snapshot's lines come from the capture.
      'collector.processes.enabled': true,
      'collector.processes.interval': '1s',
      'processor.thresholds.warmup': '3s',
    });
    expect(cfg.collector.logs.enabled).to.equal(false);
    shards = cfg.queue.shards;
    processor = await startProcessorParts(cfg, log.child({ c: 'processor' }));
    alerter = await startAlerterParts(cfg, log.child({ c: 'alerter' }));
    collector = await startCollectorParts(cfg, log.child({ c: 'collector' }));
    api = `http://127.0.0.1:${alerter.apiPort}`;
  });

  after(async () => {
    await cleanup(d, run);
    await collector?.stop();
    await processor?.stop();
    await alerter?.stop();
    await smtp.stop();
  });

  it('a crash: the snapshot has the last log lines, inspect facts with env values left out, processes and metric windows', async () => {
    const c = await create(names.crash, {
      Env: ['SECRET_TOKEN=hunter2-value', 'PLAIN_SETTING=plain-value'],
      Cmd: ['sh', '-c', `echo starting; echo '${HOSTILE}'; i=0; while [ ! -e /crash ]; do i=$((i+1)); echo "tick $i"; sleep 0.3; done; echo "fatal: out of cheese" >&2; exit 3`],
      Volumes: { '/data': {} },
      HostConfig: { Memory: 64 * 1024 * 1024, MemorySwap: 64 * 1024 * 1024, PidsLimit: 50, RestartPolicy: { Name: 'no' } },
    });
    // A few cycles and process polls while it runs: the metric windows and the last process list.
    await eventually(async () => (await q.rows(`SELECT count("pid") FROM "docker_container_process" WHERE "container_name" = '${names.crash}'`)).length > 0, 60_000, 200);
    await eventually(async () => windowSamples(await readHostState(processor.store, shards, host), names.crash, 'mem_usage') >= 3, 60_000, 200);
    await (await c.exec({ Cmd: ['touch', '/crash'] })).start({});
    await c.wait();

    await smtp.waitFor(1, 90_000);
    const mail = smtp.mails[0].parsed;
    const id = /snapshot: (\S+)/.exec(mail.text!)![1];
    pageLink = /snapshot page: (\S+)/.exec(mail.text!)![1];
    expect(pageLink).to.match(new RegExp(`^${api}/snapshots/${id}\\?exp=\\d+&sig=[\\w-]+$`));
    // The email's last lines come from the capture too.
    expect(mail.text).to.contain('fatal: out of cheese');

    crash = await json<SnapshotBody>(`/api/snapshots/${id}`);
    expect(crash.v).to.equal(2);
    expect(crash.capture!.trigger).to.equal('die');
    expect(crash.sources.logs).to.equal('docker');
    const lines = crash.logs!.map((l) => l.message);
    expect(lines.at(-1)).to.equal('fatal: out of cheese');
    expect(crash.logs!.at(-1)!.stream).to.equal('stderr');
    expect(lines).to.include('starting').and.to.include(HOSTILE);

    const i = crash.inspect!;
    expect(i.image).to.equal(services().testImage);
    expect(i.command.slice(0, 2)).to.deep.equal(['sh', '-c']);
    expect(i.env).to.include.members(['SECRET_TOKEN', 'PLAIN_SETTING']);
    expect(JSON.stringify(crash), 'env values never leave the collector').to.not.contain('hunter2-value').and.to.not.contain('plain-value');
    expect(i.mounts.map((m) => m.destination)).to.include('/data');
    expect(i.networks.map((n) => n.name)).to.include('bridge');
    expect(i.limits).to.include({ memory: 64 * 1024 * 1024, pidsLimit: 50 });
    expect(i.restartPolicy.name).to.equal('no');
    expect(i.state).to.include({ exitCode: 3, oomKilled: false });

    // Not running at the die: the processes are those of the last poll before it.
    expect(crash.sources.processes).to.equal('influxdb');
    expect(crash.processes!.map((p) => String(p[PF.command]))).to.satisfy((cmds: string[]) => cmds.some((x) => x.includes('sh -c')));
    expect(crash.samples.mem_usage.length).to.be.at.least(3);
    expect(crash.samples.cpu_percent.length).to.be.at.least(2);
  });

  it('an unhealthy container: processes read from Docker at the fault, and the failing check', async () => {
    await create(names.sick, {
      Cmd: ['sleep', '3600'],
      Healthcheck: { Test: ['CMD-SHELL', 'echo "db down" >&2; exit 1'], Interval: 1e9, Timeout: 1e9, Retries: 1 },
    });
    const list = await eventually(async () => {
      const r = await json<{ snapshots: Array<{ id: string; rule: string }> }>(`/api/snapshots?container=${names.sick}&rule=unhealthy`);
      return r.snapshots.length > 0 && r;
    }, 90_000, 500);
    const sick = await json<SnapshotBody>(`/api/snapshots/${list.snapshots[0].id}`);
    expect(sick.capture!.trigger).to.equal('health_status: unhealthy');
    expect(sick.sources.processes).to.equal('docker');
    expect(sick.processes!.map((p) => String(p[PF.command]))).to.satisfy((cmds: string[]) => cmds.some((x) => x.includes('sleep 3600')));
    expect(sick.inspect!.health!.status).to.equal('unhealthy');
    expect(sick.inspect!.health!.log.at(-1)!.output).to.contain('db down');
  });

  it('GET /api/snapshots lists them newest first, with filters on host, container, rule and time, paged', async () => {
    type List = { snapshots: Array<{ id: string; host: string; container: string; rule: string; severity: string; summary: string; links: { html: string } }>; next: number | null };
    const all = await json<List>(`/api/snapshots?host=${host}`);
    expect(all.snapshots.map((s) => s.container)).to.include.members([names.crash, names.sick]);
    const mine = all.snapshots.find((s) => s.id === crash.id)!;
    expect(mine).to.include({ host, container: names.crash, rule: 'died', severity: 'critical' });
    expect(mine.summary).to.match(/exit/);
    expect(mine.links.html).to.equal(`/snapshots/${crash.id}`);

    expect((await json<List>(`/api/snapshots?container=${names.crash}`)).snapshots.every((s) => s.container === names.crash)).to.equal(true);
    expect((await json<List>(`/api/snapshots?host=${host}&rule=died`)).snapshots.map((s) => s.id)).to.deep.equal([crash.id]);
    expect((await json<List>(`/api/snapshots?host=nowhere-${run}`)).snapshots).to.deep.equal([]);
    const t = new Date(crash.time).toISOString();
    expect((await json<List>(`/api/snapshots?host=${host}&rule=died&from=${t}&to=${crash.time}`)).snapshots).to.have.length(1);
    expect((await json<List>(`/api/snapshots?host=${host}&rule=died&from=${crash.time + 1}`)).snapshots).to.have.length(0);

    const page1 = await json<List>(`/api/snapshots?host=${host}&limit=1`);
    expect(page1.snapshots).to.have.length(1);
    expect(page1.next).to.equal(1);
    const page2 = await json<List>(`/api/snapshots?host=${host}&limit=1&offset=1`);
    expect(page2.snapshots[0].id).to.not.equal(page1.snapshots[0].id);

    for (const bad of ['limit=0', 'limit=201', 'offset=-1', 'from=yesterday', `from=${crash.time}&to=${crash.time - 1}`, 'colour=red']) {
      const res = await get(`/api/snapshots?${bad}`);
      expect(res.status, bad).to.equal(400);
    }
    expect((await get('/api/snapshots', null)).status).to.equal(401);
  });

  it('the page: the email\'s signed link opens it (only it), the token as a Basic password too; hostile text is escaped', async () => {
    const res = await fetch(pageLink);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/html/);
    expect(res.headers.get('content-security-policy')).to.contain("default-src 'none'");
    expect(res.headers.get('referrer-policy')).to.equal('no-referrer');
    const html = await res.text();
    expect(html).to.contain(names.crash);
    expect(html).to.contain('fatal: out of cheese');
    expect(html).to.contain('SECRET_TOKEN');
    expect(html).to.not.contain('hunter2-value');
    expect(html).to.contain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
    expect(html).to.not.contain(HOSTILE);

    const u = new URL(pageLink);
    const tampered = `${u.origin}${u.pathname}?exp=${u.searchParams.get('exp')}&sig=${u.searchParams.get('sig')!.replace(/^./, (ch) => (ch === 'A' ? 'B' : 'A'))}`;
    expect((await fetch(tampered)).status).to.equal(401);
    const sick = (await json<{ snapshots: Array<{ id: string }> }>(`/api/snapshots?container=${names.sick}`)).snapshots[0].id;
    expect((await fetch(`${api}/snapshots/${sick}${u.search}`)).status, 'a link opens its own snapshot only').to.equal(401);
    const bare = await fetch(`${api}/snapshots/${sick}`);
    expect(bare.status).to.equal(401);
    expect(bare.headers.get('www-authenticate')).to.match(/^Basic realm=/);
    const basic = `Basic ${Buffer.from(`oncall:${TOKEN}`).toString('base64')}`;
    expect((await get(`/snapshots/${sick}`, basic)).status).to.equal(200);
    expect((await get(`/snapshots/${sick}`, `Basic ${Buffer.from('oncall:wrong').toString('base64')}`)).status).to.equal(401);
  });

  it('a snapshot whose container name is hostile (written to InfluxDB by anyone) is shown escaped', async () => {
    const evil = `<img src=x onerror=alert(1)>"'&`;
    const t = Date.now() - 60_000;
    const body = { ...crash, id: snapshotIdFor(`died|${host}|${evil}`, t), time: t, container: { ...crash.container, name: evil, labels: { [evil]: evil } } };
    body.alert = { ...body.alert, key: `died|${host}|${evil}`, summary: evil, startsAt: t };
    body.events = [{ time: t, action: evil, detail: evil }];
    body.notes = [evil];
    const res = await fetch(`${services().influxUrl}/write?db=${db}&precision=ns`, { method: 'POST', body: snapshotLine(body, JSON.stringify(body)) });
    expect(res.status, await res.text()).to.equal(204);
    const page = await get(`/snapshots/${body.id}`);
    expect(page.status).to.equal(200);
    const html = await page.text();
    expect(html).to.not.contain('<img src=x');
    expect(html).to.contain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;');
    const listed = await json<{ snapshots: Array<{ container: string }> }>(`/api/snapshots?container=${encodeURIComponent(evil)}`);
    expect(listed.snapshots.map((s) => s.container)).to.deep.equal([evil]);
  });
});
