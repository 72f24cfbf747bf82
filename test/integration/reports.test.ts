/**
 * Reports against the real InfluxDB, Redis and an SMTP peer: a known hour of
 * data written as the collector, processor and alerter write it, a report
 * asked for through the API and made by a real processor, every figure
 * checked exactly, the CSV parsed back, the email with its attachments and
 * charts, the stored report listed and served; an empty period, an old
 * period from the rollups, the command line, and scheduled reports with two
 * processors: exactly one per period.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { QueueEvents } from 'bullmq';
import { services, testConfig, freshDatabase, uniqueRun, eventually, ROOT } from '../helpers/services.js';
import { SmtpPeer } from '../helpers/alerter.js';
import { dropKeys } from '../helpers/processor.js';
import { createLogger } from '../../common/log.js';
import { startProcessorParts, type RunningProcessor } from '../../processor/service.js';
import { startAlerterParts, type RunningAlerter } from '../../alerter/service.js';
import { createRedis } from '../../common/queue/connection.js';
import { REPORTS_QUEUE, ReportStore, reportsPrefix, type ReportMeta } from '../../common/reports.js';
import type { InfluxQL } from '../../common/influx/query.js';
import type { Config } from '../../common/config.js';
import type { Report } from '../../processor/reports/model.js';

const MIN = 60_000;
const MiB = 1024 * 1024;
const ns = (t: number) => `${t}000000`;

/**
 * An hour of three containers on two hosts, one sample a minute (docs/reports.md defines the figures):
 * h1/web: CPU 10 % then 30 % from the half hour, 100 MiB, counters rising 1000 (rx), 2000 (tx), 500 (write) a minute,
 *         restart_count 0 → 1 at minute 40 plus a docker restart event;
 * h1/db:  CPU 5 %, memory 500 MiB rising 1 MiB a minute, pids 100 rising 1 a minute (limit 190);
 * h2/cache: CPU 50 %, 900 MiB of 1 GiB, an OOM kill at minute 20.
 * The hour before: web (web:2), db on db:1, and old (old:1), which is gone now.
 */
function knownHour(T: number): string[] {
  const tags = (host: string, name: string, image: string, version: string) =>
    `container_image=${image},container_name=${name},container_version=${version},engine_host=${host}`;
  const web = tags('h1', 'web', 'web', '2');
  const db = tags('h1', 'db', 'db', '2');
  const cache = tags('h2', 'cache', 'redis', '7');
  const out: string[] = [];
  for (let i = -1; i < 60; i++) {
    const t = ns(T + i * MIN);
    out.push(`docker_container_net,${web},network=total rx_bytes=${1000 * (i + 1)}i,tx_bytes=${2000 * (i + 1)}i ${t}`);
    out.push(`docker_container_blkio,${web},device=total io_service_bytes_recursive_read=0i,io_service_bytes_recursive_write=${500 * (i + 1)}i ${t}`);
    if (i < 0) continue;
    out.push(`docker_container_cpu,${web},cpu=cpu-total usage_percent=${i < 30 ? 10 : 30} ${t}`);
    out.push(`docker_container_cpu,${db},cpu=cpu-total usage_percent=5 ${t}`);
    out.push(`docker_container_cpu,${cache},cpu=cpu-total usage_percent=50 ${t}`);
    out.push(`docker_container_mem,${web} usage=${100 * MiB}i,limit=${1024 * MiB}i,usage_percent=${(100 / 1024) * 100} ${t}`);
    out.push(`docker_container_mem,${db} usage=${(500 + i) * MiB}i,limit=${1024 * MiB}i,usage_percent=${((500 + i) / 1024) * 100} ${t}`);
    out.push(`docker_container_mem,${cache} usage=${900 * MiB}i,limit=${1024 * MiB}i,usage_percent=${(900 / 1024) * 100} ${t}`);
    out.push(`docker_container_pids,${web} current=10i ${t}`);
    out.push(`docker_container_pids,${db} current=${100 + i}i,limit=190i ${t}`);
    for (const [c, rc] of [[web, i < 40 ? 0 : 1], [db, 0], [cache, 0]] as const) {
      out.push(`docker_container_status,${c},container_status=running restart_count=${rc}i,exitcode=0i ${t}`);
    }
  }
  out.push(`docker_event,${web},type=container,action=restart raw_action="restart" ${ns(T + 40 * MIN)}`);
  out.push(`docker_event,${cache},type=container,action=oom raw_action="oom" ${ns(T + 20 * MIN)}`);
  // Alerts: db died at minute 10 and ran again at 25; cache OOM at 20, resolved at 50; db acknowledged after 2 minutes.
  const alert = (host: string, c: string, rule: string, status: string, t: number, startsAt: number) =>
    `shipwatch_alerts,container_name=${c},engine_host=${host},rule=${rule},severity=critical,status=${status} key="${rule}|${host}|${c}",starts_at=${startsAt}i,firing=${status === 'firing' ? 1 : 0}i ${ns(t)}`;
  out.push(alert('h1', 'db', 'died', 'firing', T + 10 * MIN, T + 10 * MIN), alert('h1', 'db', 'died', 'resolved', T + 25 * MIN, T + 10 * MIN));
  out.push(alert('h2', 'cache', 'oom', 'firing', T + 20 * MIN, T + 20 * MIN), alert('h2', 'cache', 'oom', 'resolved', T + 50 * MIN, T + 20 * MIN));
  out.push(`shipwatch_alert_handling,container_name=db,engine_host=h1,event=acknowledged,rule=died alert_key="died|h1|db",starts_at=${T + 10 * MIN}i,by="ann",time_to_ack_s=120 ${ns(T + 12 * MIN)}`);
  out.push(`shipwatch_recovery_run,action=restart,container_name=cache,engine_host=h2,outcome=ok,rule=oom run_id="r1",recovered=true ${ns(T + 21 * MIN)}`);
  out.push(`shipwatch_recovery_run,action=restart,container_name=db,engine_host=h1,outcome=failed,rule=died run_id="r2" ${ns(T + 11 * MIN)}`);
  out.push(`docker_image,engine_host=h1,image_id=n1,image_name=nginx,image_version=1 id="sha256:n1",removed=false ${ns(T + 5 * MIN)}`);
  // The hour before.
  for (const [name, image, version] of [['web', 'web', '2'], ['db', 'db', '1'], ['old', 'old', '1']]) {
    out.push(`docker_container_status,${tags('h1', name, image, version)},container_status=running restart_count=0i,exitcode=0i ${ns(T - 30 * MIN)}`);
  }
  out.push(`docker_image,engine_host=h1,image_id=n0,image_name=nginx,image_version=0 id="sha256:n0",removed=false ${ns(T - 30 * MIN)}`);
  return out;
}

describe('reports (real InfluxDB, Redis, SMTP peer)', function () {
  this.timeout(240_000);
  const run = uniqueRun('rep');
  const db = 'sw_test_reports';
  const token = `report-test-token-${run}`;
  const smtp = new SmtpPeer();
  // A whole hour, a day ago: within the raw retention.
  const T = Math.floor((Date.now() - 26 * 3_600_000) / 3_600_000) * 3_600_000;
  const OLD = T - 30 * 86_400_000;
  let q: InfluxQL;
  let cfg: Config;
  let processor: RunningProcessor | undefined;
  let alerter: RunningAlerter | undefined;
  let api: string;
  const log = createLogger('test', process.env.SHIPWATCH_TEST_LOG ?? 'silent');
  const call = (method: string, p: string, body?: unknown) =>
    fetch(api + p, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const write = async (lines: string[], rp = '') => {
    const res = await fetch(`${services().influxUrl}/write?db=${db}&precision=ns${rp ? `&rp=${rp}` : ''}`, { method: 'POST', body: lines.join('\n') });
    expect(res.status, await res.text()).to.equal(204);
  };
  /** Asks for a report and waits until a processor made it. */
  const made = async (body: Record<string, unknown>): Promise<ReportMeta & { url: string }> => {
    const res = await call('POST', '/api/reports', body);
    expect(res.status).to.equal(202);
    const { id } = (await res.json()) as { id: string };
    return eventually(async () => {
      const r = await call('GET', `/api/reports/${id}`);
      return r.status === 200 ? ((await r.json()) as ReportMeta & { url: string }) : undefined;
    }, 60_000, 200);
  };
  const file = async (id: string, name: string) => {
    const r = await call('GET', `/api/reports/${id}/${name}`);
    expect(r.status, name).to.equal(200);
    return r;
  };

  before(async () => {
    services();
    q = await freshDatabase(db);
    await write(knownHour(T));
    await smtp.start();
    cfg = testConfig(db, {
      'redis.prefix': `{${run}}`,
      'queue.shards': 1,
      'reports.schedules': {},
      'reports.receivers': ['managers'],
      'alerter.smtp': { host: '127.0.0.1', port: smtp.port, timeout: '5s' },
      'alerter.api': { port: 0, token },
      'alerter.receivers': [{ name: 'managers', email: { to: ['managers@example.test'] } }],
    });
    processor = await startProcessorParts(cfg, log);
    alerter = await startAlerterParts(cfg, log);
    api = `http://127.0.0.1:${alerter.apiPort}`;
  });

  after(async () => {
    await processor?.stop();
    await alerter?.stop();
    await smtp.stop();
    if (cfg) await dropKeys(cfg);
  });

  it('a known hour: every figure exact, the CSV parses back to them, the email carries the HTML, its charts and the CSV files', async () => {
    const meta = await made({ from: new Date(T).toISOString(), to: T + 60 * MIN, email: true });
    expect(meta).to.deep.include({ kind: 'on-demand', from: T, to: T + 60 * MIN, host: null, empty: false });
    const r = (await (await file(meta.id, 'report.json')).json()) as Report;
    expect(r.source).to.equal('raw');
    const c = (name: string) => r.containers.find((x) => x.container === name)!;
    // Means and peaks.
    expect(r.fleet.containers).to.equal(3);
    expect(r.fleet.cpu).to.deep.equal({ mean: 75, peak: 85 });
    expect(r.fleet.mem).to.deep.include({ mean: 1529.5 * MiB, peak: 1559 * MiB });
    expect(r.hosts.map((h) => [h.host, h.cpu.mean, h.cpu.peak])).to.deep.equal([['h1', 25, 35], ['h2', 50, 50]]);
    expect(c('web').cpu).to.deep.equal({ mean: 20, peak: 30 });
    expect(c('db').mem).to.deep.equal({ mean: 529.5 * MiB, peak: 559 * MiB, limit: 1024 * MiB, peakPercent: (559 / 1024) * 100 });
    expect(c('cache').mem.peakPercent).to.equal((900 / 1024) * 100);
    // Network and block I/O: the counters' increases, the busiest bucket's rate.
    expect(c('web').rx).to.deep.equal({ bytes: 60_000, meanRate: 60_000 / 3600, peakRate: 1000 / 60 });
    expect(c('web').tx).to.deep.equal({ bytes: 120_000, meanRate: 120_000 / 3600, peakRate: 2000 / 60 });
    expect(c('web').write.bytes).to.equal(30_000);
    expect(c('web').read).to.deep.equal({ bytes: 0, meanRate: 0, peakRate: 0 });
    expect(r.fleet.rx).to.deep.equal({ bytes: 60_000, meanRate: 60_000 / 3600, peakRate: 1000 / 60 });
    // Counts.
    expect([c('web').restarts, c('cache').ooms, r.fleet.restarts, r.fleet.ooms]).to.deep.equal([2, 1, 2, 1]);
    expect(r.fleet.alerts).to.deep.equal({ fired: 2, resolved: 2, resolveMeanS: 1350, resolveMedianS: 1350, resolveMaxS: 1800, acknowledged: 1, ackMedianS: 120 });
    expect(r.fleet.recovery).to.deep.equal({ runs: 2, outcomes: { ok: 1, failed: 1 }, recovered: 1 });
    // Busiest hour, top lists, capacity, the predicted dates.
    expect(r.hours.busiest).to.deep.equal([new Date(T).getUTCHours()]);
    expect(r.top.cpu.map((e) => [e.container, e.value])).to.deep.equal([['cache', 50], ['web', 20], ['db', 5]]);
    expect(r.capacity.nearLimit.map((n) => [n.container, n.resource, n.ratio])).to.deep.equal([['cache', 'memory', 900 / 1024], ['db', 'pids', 159 / 190]]);
    expect(r.capacity.predictions.map((p) => [p.container, p.resource, new Date(p.reachesAt).toISOString()])).to.deep.equal([
      ['db', 'pids', new Date(T + 88 * MIN).toISOString()], // 162 at the end, 190 at 1 a minute
      ['db', 'memory', new Date(T + 522 * MIN).toISOString()], // 562 MiB at the end, 1024 MiB at 1 MiB a minute
    ]);
    expect(r.capacity.trends.find((t) => t.resource === 'memory')!.perDay).to.be.closeTo(1440 * MiB, 1);
    // What changed since the hour before.
    expect(r.changes.containers.map((x) => [x.change, x.name, x.before, x.after])).to.deep.equal([
      ['changed', 'db', 'db:1', 'db:2'], ['new', 'cache', null, 'redis:7'], ['removed', 'old', 'old:1', null],
    ]);
    expect(r.changes.images.map((x) => [x.change, x.name])).to.deep.equal([['new', 'nginx:1'], ['removed', 'nginx:0']]);

    // The CSV parses back to the same figures.
    const rows = parse(await (await file(meta.id, 'containers.csv')).text(), { columns: true }) as Array<Record<string, string>>;
    const row = (name: string) => rows.find((x) => x.container === name)!;
    expect(rows).to.have.length(3);
    expect(Number(row('web').cpu_mean_percent)).to.equal(20);
    expect(Number(row('db').memory_mean_bytes)).to.equal(529.5 * MiB);
    expect(Number(row('db').memory_peak_percent_of_limit)).to.equal((559 / 1024) * 100);
    expect(Number(row('web').network_rx_peak_bytes_per_s)).to.equal(1000 / 60);
    expect(Number(row('web').restarts)).to.equal(2);
    const summary = parse(await (await file(meta.id, 'summary.csv')).text(), { columns: true }) as Array<Record<string, string>>;
    expect(summary[0]).to.include({ scope: 'fleet', cpu_mean_percent: '75', cpu_peak_percent: '85', alerts_fired: '2', time_to_resolve_median_s: '1350', recovered: '1' });
    const pred = parse(await (await file(meta.id, 'predictions.csv')).text(), { columns: true }) as Array<Record<string, string>>;
    expect(pred.map((p) => p.reaches_at)).to.deep.equal([new Date(T + 88 * MIN).toISOString(), new Date(T + 522 * MIN).toISOString()]);

    // The email.
    await smtp.waitFor(1);
    const mail = smtp.mails.find((m) => m.parsed.headers.get('x-shipwatch-report') === meta.id)!;
    expect(mail.parsed.subject).to.equal(`[REPORT] Shipwatch report, ${meta.period}`);
    const att = mail.parsed.attachments;
    expect(att.filter((a) => a.filename?.endsWith('.csv')).map((a) => a.filename).sort()).to.deep.equal(
      ['changes.csv', 'containers.csv', 'fleet-series.csv', 'hours.csv', 'near-limits.csv', 'predictions.csv', 'summary.csv', 'top.csv', 'trends.csv'],
    );
    const images = att.filter((a) => a.contentType === 'image/png');
    expect(images.map((a) => a.cid).sort()).to.deep.equal(['cpu.png', 'hours.png', 'memory.png', 'top-cpu.png']);
    for (const img of images) expect(img.content.subarray(1, 4).toString()).to.equal('PNG');
    // Every chart is referenced by the body: the parser has put each image in place of its cid: link.
    expect(String(mail.parsed.html).match(/src="data:image\/png;base64,/g)).to.have.length(4);
    expect(String(mail.parsed.html)).to.not.contain('cid:');
    expect(att.find((a) => a.filename === 'containers.csv')!.content.toString()).to.equal(await (await file(meta.id, 'containers.csv')).text());
    expect(String(mail.parsed.html)).to.contain('Read it online');

    // Listed; the page inlines its charts; the signed link opens it without the token, and only it.
    const list = (await (await call('GET', '/api/reports')).json()) as { reports: Array<{ id: string }> };
    expect(list.reports.map((x) => x.id)).to.include(meta.id);
    const html = await (await file(meta.id, 'report.html')).text();
    expect(html).to.contain('data:image/png;base64,').and.to.not.contain('cid:');
    const point = await eventually(async () => (await q.rows(`SELECT * FROM "shipwatch_report" WHERE "report_id" = '${meta.id}'`))[0], 10_000);
    expect(point.url).to.equal(meta.url).and.to.match(/\?sig=/);
    expect((await fetch(meta.url)).status).to.equal(200);
    expect((await fetch(meta.url.replace(/sig=.*/, 'sig=forged'))).status).to.equal(401);
    expect((await fetch(`${api}/api/reports/${meta.id}`)).status).to.equal(401);
    const delivery = await eventually(async () => (await q.rows(`SELECT * FROM "shipwatch_notification" WHERE "kind" = 'report' AND "notification_id" = '${meta.id}'`))[0], 10_000);
    expect(delivery).to.include({ outcome: 'sent', receiver: 'managers', channel: 'email' });
  });

  it('one host only', async () => {
    const meta = await made({ from: T, to: T + 60 * MIN, host: 'h1' });
    const r = (await (await file(meta.id, 'report.json')).json()) as Report;
    expect(r.host).to.equal('h1');
    expect(r.fleet.cpu).to.deep.equal({ mean: 25, peak: 35 });
    expect(r.containers.map((c) => c.container)).to.deep.equal(['db', 'web']);
  });

  it('an empty period says so plainly, in the page and the email', async () => {
    const before = smtp.mails.length;
    const meta = await made({ from: T - 5 * 60 * MIN, to: T - 4 * 60 * MIN, email: true });
    expect(meta.empty).to.equal(true);
    expect(meta.summary).to.equal('No container data in this period.');
    expect(await (await file(meta.id, 'report.html')).text()).to.contain('No container data in this period: Shipwatch recorded no container between');
    await smtp.waitFor(before + 1);
    expect(smtp.mails.at(-1)!.parsed.subject).to.match(/\(no data\)$/);
    const rows = parse(await (await file(meta.id, 'containers.csv')).text(), { columns: true }) as unknown[];
    expect(rows).to.deep.equal([]);
  });

  it('refuses a bad request, naming what is wrong', async () => {
    const res = await call('POST', '/api/reports', { from: T, to: T - 1 });
    expect(res.status).to.equal(400);
    expect(((await res.json()) as { issues: Array<{ path: string }> }).issues[0].path).to.equal('to');
    expect((await call('POST', '/api/reports', { from: 'yesterday', to: T })).status).to.equal(400);
    expect((await call('GET', '/api/reports/nope')).status).to.equal(404);
  });

  it('a period past the raw retention is read from the rollups', async () => {
    const lines: string[] = [];
    for (let k = 0; k < 12; k++) {
      const t = ns(OLD + k * 5 * MIN);
      lines.push(`shipwatch_rollup,container_name=legacy,engine_host=h3 cpu_percent_mean=${10 + k},cpu_percent_max=${20 + k},cpu_percent_min=0,` +
        `mem_usage_mean=1000,mem_usage_max=2000,mem_usage_min=0,net_rx_rate_mean=100,net_rx_rate_max=150,net_rx_rate_min=0 ${t}`);
    }
    await write(lines, 'rollup');
    const meta = await made({ from: OLD, to: OLD + 60 * MIN });
    const r = (await (await file(meta.id, 'report.json')).json()) as Report;
    expect(r.source).to.equal('rollup');
    const c = r.containers.find((x) => x.container === 'legacy')!;
    expect(c.cpu).to.deep.equal({ mean: 15.5, peak: 31 });
    expect(c.mem).to.deep.include({ mean: 1000, peak: 2000 });
    // 100 B/s in each of twelve 5-minute windows
    expect(c.rx).to.deep.equal({ bytes: 360_000, meanRate: 100, peakRate: 100 });
  });

  it('npm run report writes the same report to a folder', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'sw-report-'));
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'processor/report-cli.ts'), '--from', new Date(T).toISOString(), '--to', String(T + 60 * MIN), '--out', out], {
      cwd: ROOT, env: { ...process.env, SHIPWATCH_INFLUX_URL: services().influxUrl, SHIPWATCH_INFLUX_BUCKET: db }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b));
    child.stderr.on('data', (b: Buffer) => (stdout += b));
    const code = await new Promise((r) => child.on('exit', r));
    expect(code, stdout).to.equal(0);
    expect(stdout).to.contain('3 containers on 2 hosts; CPU mean 75.0 %, peak 85.0 %');
    const viaApi = await made({ from: T, to: T + 60 * MIN });
    for (const name of ['containers.csv', 'summary.csv', 'predictions.csv']) {
      expect(readFileSync(path.join(out, name), 'utf8'), name).to.equal(await (await file(viaApi.id, name)).text());
    }
    expect(readFileSync(path.join(out, 'report.html'), 'utf8')).to.contain('<img src="cpu.png"');
    expect(readFileSync(path.join(out, 'cpu.png')).subarray(1, 4).toString()).to.equal('PNG');
  });
});

describe('scheduled reports with two processors', function () {
  this.timeout(120_000);
  const run = uniqueRun('repsched');
  let cfg: Config;
  const procs: RunningProcessor[] = [];
  let events: QueueEvents | undefined;

  after(async () => {
    await events?.close();
    for (const p of procs) await p.stop();
    if (cfg) await dropKeys(cfg);
  });

  it('exactly one report per period, whichever processor takes it', async () => {
    services();
    await freshDatabase('sw_test_reports_sched');
    cfg = testConfig('sw_test_reports_sched', {
      'redis.prefix': `{${run}}`,
      'queue.shards': 1,
      // Every 2 seconds, so a test sees several periods.
      'reports.schedules': { fast: '*/2 * * * * *' },
    });
    const completed: string[] = [];
    events = new QueueEvents(REPORTS_QUEUE, { connection: createRedis(cfg.redis), prefix: reportsPrefix(cfg.redis.prefix) });
    events.on('completed', ({ jobId }) => completed.push(jobId));
    await events.waitUntilReady();
    const log = createLogger('test', process.env.SHIPWATCH_TEST_LOG ?? 'silent');
    procs.push(...(await Promise.all([startProcessorParts(cfg, log), startProcessorParts(cfg, log)])));
    const store = new ReportStore(procs[0].redis, cfg.redis.prefix, cfg.reports.keep);
    const reports = await eventually(async () => {
      const l = await store.list();
      return l.length >= 4 && l;
    }, 60_000, 250);
    const sorted = [...reports].sort((a, b) => a.to - b.to);
    expect(new Set(sorted.map((m) => m.id)).size).to.equal(sorted.length);
    for (const m of sorted) {
      expect(m.id).to.equal(`fast-${new Date(m.to).toISOString().replace(/[-:]|\.\d+/g, '')}`);
      expect(m.to % 2000).to.equal(0);
      expect(m.to - m.from).to.equal(2000);
      expect(m.empty).to.equal(true);
    }
    // Consecutive periods, none twice.
    for (let i = 1; i < sorted.length; i++) expect(sorted[i].from).to.equal(sorted[i - 1].to);
    expect(new Set(completed).size).to.equal(completed.length);
    expect(completed.every((id) => id.startsWith('repeat:fast:'))).to.equal(true);
  });
});
