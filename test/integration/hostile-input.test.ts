/**
 * Hostile input changes nothing. A container whose labels, environment, image
 * name, command, log lines and last words are made of line-protocol
 * separators, InfluxQL quotes, regular-expression characters, HTML and script
 * tags, shell metacharacters, newlines, very long strings and invalid UTF-8,
 * on a host whose configured name is just as hostile, goes through the whole
 * pipeline: collector → InfluxDB → processor → alerter → email, webhook, a
 * recovery script's environment, the API and every dashboard query. Each value
 * comes out as the same data (only what the formats cannot hold changes, as
 * documented: a tag's newline becomes a space and its trailing backslash is
 * dropped, invalid UTF-8 becomes U+FFFD, a
 * log line is cut at collector.logs.maxLineBytes), and nothing else happens:
 * no extra point, no lost batch, no file created, no HTML element, no query
 * broken.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { services, docker, testConfig, freshDatabase, uniqueRun, eventually, runContainer, cleanup, TEST_LABEL } from '../helpers/services.js';
import { HttpSink, SmtpPeer } from '../helpers/alerter.js';
import { allQueries, interpolate, type Interpolation } from '../helpers/grafana.js';
import { createLogger } from '../../common/log.js';
import { ident, literal, type InfluxQL } from '../../common/influx/query.js';
import { MEASUREMENT as M, TAG, INFO_FIELDS } from '../../common/schema.js';
import { createRedis, type RedisClient } from '../../common/queue/connection.js';
import { InfluxWriter } from '../../common/influx/writer.js';
import { startCollectorParts, type RunningCollector } from '../../collector/service.js';
import { startProcessorParts, type RunningProcessor } from '../../processor/service.js';
import { startAlerterParts, type RunningAlerter } from '../../alerter/service.js';
import { RecoveryAgent } from '../../agent/agent.js';
import type { Config } from '../../common/config.js';

const exec = promisify(execFile);
const log = createLogger('hostile', process.env.SHIPWATCH_TEST_LOG ?? 'silent');

describe('hostile input changes nothing (the whole pipeline)', function () {
  this.timeout(300_000);
  const run = uniqueRun('hostile');
  const db = `hostile_${process.pid}`;
  const d = docker();
  const marker = path.join(tmpdir(), `pwned-${run}`);
  const sink = new HttpSink();
  const smtp = new SmtpPeer();
  const dir = mkdtempSync(path.join(tmpdir(), 'sw-hostile-'));

  // The hostile values. Each would break something if it were ever code instead of data.
  const H = {
    lineProtocol: 'a,b=c d\\ e"f\\" g=1i 0\nfake_measurement,host=x value=1 0',
    influxql: `' OR 1=1; DROP DATABASE "${db}"; --" \\'`,
    regex: '.*(a+)+$^[x-]{2,}|\\d\\',
    html: '<script>alert(1)</script><img src=x onerror="alert(2)">&amp;',
    shell: `$(touch ${marker}) \`touch ${marker}\` ; touch ${marker} && echo | cat > ${marker} '"`,
    newlines: 'first\nsecond\r\nthird',
    long: 'L'.repeat(3000),
    // A lone surrogate: not UTF-8 at all. Docker stores U+FFFD instead.
    invalid: 'bad\udcffutf8',
  };
  const FFFD = '\ufffd';
  // The configured host name: everything but a newline (a tag cannot hold one) and a trailing backslash.
  const host = `hostile-host "q" 'q' ,= \\x <b>&amp; $(id) \`id\` ;|*.[]^ ${process.pid}`;
  const name = `hostile.name_${run}-${'n'.repeat(100)}`;
  const image = `127.0.0.1:5000/hostile.ns/im_age-x${process.pid}:t.a-g_1`;
  const labels: Record<string, string> = {
    'com.example.lp': H.lineProtocol, 'com.example.iql': H.influxql, 'com.example.re': H.regex, 'com.example.html': H.html,
    'com.example.shell': H.shell, 'com.example.nl': H.newlines, 'com.example.long': H.long, 'com.example.utf8': H.invalid,
    'com.example/weird key,=x': 'weird',
  };
  const labelTags = Object.keys(labels);
  // What a label comes back as: U+FFFD for the lone surrogate (Docker's doing).
  const stored = (v: string) => v.replace(/\udcff/g, FFFD);
  // A tag's newline becomes a space, and a backslash at its end is dropped (it would escape the separator).
  const asTag = (v: string) => stored(v).replace(/[\r\n]+/g, ' ').replace(/\\+$/, '');
  const logLines = [H.lineProtocol.replace('\n', ' '), H.influxql, H.regex, H.html, H.shell, 'L'.repeat(40_000)];

  let q: InfluxQL;
  let cfg: Config;
  let collector: RunningCollector | undefined;
  let processor: RunningProcessor | undefined;
  let alerter: RunningAlerter | undefined;
  let agent: RecoveryAgent | undefined;
  let agentRedis: RedisClient | undefined;
  let agentWriter: InfluxWriter | undefined;

  before(async () => {
    services();
    q = await freshDatabase(db);
    const url = await sink.start();
    await smtp.start();
    await exec('docker', ['tag', services().testImage, image], { env: { ...process.env, DOCKER_HOST: services().dockerHost } });
    const scripts = path.join(dir, 'scripts');
    await exec('mkdir', ['-p', scripts]);
    writeFileSync(path.join(scripts, 'record-env.sh'), '#!/bin/sh\nenv | grep ^SHIPWATCH_ > "$SHIPWATCH_OUTPUT_DIR/env.txt"\nprintf "%s" "$SHIPWATCH_HOST" > "$SHIPWATCH_OUTPUT_DIR/host.txt"\n');
    chmodSync(path.join(scripts, 'record-env.sh'), 0o755);
    cfg = testConfig(db, {
      host,
      'redis.prefix': `{${run}}`,
      'collector.interval': '1s',
      'collector.labelTags': labelTags,
      'collector.processes.enabled': false,
      'collector.disk.enabled': false,
      'collector.logs': { enabled: true, names: ['hostile.name_*'], backfill: '1m' },
      'processor.faults.died.stopGrace': '300ms',
      'processor.faults.logErrors.enabled': false,
      'alerter.smtp': { host: '127.0.0.1', port: smtp.port, timeout: '5s' },
      'alerter.delivery': { backoff: '200ms' },
      'alerter.api': { port: 0, token: 'hostile-test-token-0123456789' },
      'alerter.receivers': [{
        name: 'ops', email: { to: ['oncall@example.test'] }, webhook: { url: `${url}/hook` },
        sms: { url: `${url}/sms`, to: ['+10000000000'] },
      }],
      'alerter.route': { receiver: '', routes: [{ matchers: ['container=~"hostile\\\\.name_.*"'], receiver: 'ops', groupWait: '0s', groupInterval: '1s' }] },
      'alerter.actions': {
        scriptsDir: scripts, outputDir: path.join(dir, 'runs'), verifyWithin: '2s',
        rules: [{ name: 'record', matchers: ['container=~"hostile\\\\.name_.*"', 'rule="died"'], script: 'record-env.sh', verify: false }],
      },
    });
    processor = await startProcessorParts(cfg, log);
    alerter = await startAlerterParts(cfg, log);
    agentRedis = createRedis(cfg.redis);
    agentWriter = new InfluxWriter(cfg.influx, log);
    agent = new RecoveryAgent({ cfg, host, docker: d, redis: agentRedis, writer: agentWriter, log });
    agent.start();
    await agent.waitUntilReady();
    collector = await startCollectorParts(cfg, log);

    await runContainer(d, run, { name: `${run}-control`, cmd: ['sh', '-c', 'exec sleep 3600'] });
    // A start that fails on a hostile command: Docker keeps it created, with the command as data.
    await d.createContainer({ name: `${run}-nostart`, Image: services().testImage, Cmd: [`/no/such/${H.shell}`], Labels: { [TEST_LABEL]: run } })
      .then((c) => c.start().catch(() => undefined));
    const printLines = logLines.map((l) => `printf '%s\\n' '${l.replace(/'/g, `'\\''`)}'`).join('; ');
    const c = await d.createContainer({
      name,
      Image: image,
      Labels: { ...labels, [TEST_LABEL]: run },
      // Values the snapshot must not show (it lists the variables' names only).
      Env: Object.entries(H).map(([k, v]) => `HOSTILE_${k.toUpperCase()}=envvalue-${run}-${v}`),
      Cmd: ['sh', '-c', `${printLines}; printf 'raw \\377\\376 bytes\\n'; sleep 3; printf '%s\\n' '${H.html}' >&2; exit 3`],
    });
    await c.start();
  });

  after(async () => {
    await collector?.stop();
    await agent?.close();
    await agentWriter?.close();
    await agentRedis?.quit();
    await alerter?.stop();
    await processor?.stop();
    await sink.stop();
    await smtp.stop();
    await cleanup(d, run);
    await exec('docker', ['rmi', image], { env: { ...process.env, DOCKER_HOST: services().dockerHost } }).catch(() => {});
  });

  const where = (extra = '') => `WHERE ${ident(TAG.engineHost)} = ${literal(host)}${extra}`;

  it('stores labels, image and command as the same data, with no extra point, and writes every batch', async () => {
    // The first complete point (one written while the container was still being inspected may lack fields).
    const info = await eventually(async () => (await q.rows(`SELECT * FROM ${ident(M.info)} ${where(` AND ${ident(TAG.containerName)} = ${literal(name)}`)}`)).find((r) => r[INFO_FIELDS.image] && r[INFO_FIELDS.labels]), 60_000, 200);
    expect(JSON.parse(String(info[INFO_FIELDS.labels]))).to.deep.include(Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, stored(v)])));
    expect(info[INFO_FIELDS.image]).to.equal(image);
    const cpu = await eventually(async () => (await q.rows(`SELECT * FROM ${ident(M.status)} ${where(` AND ${ident(TAG.containerName)} = ${literal(name)}`)} LIMIT 1`))[0], 60_000, 200);
    for (const k of labelTags) expect(cpu[k], k).to.equal(asTag(labels[k]));
    expect(cpu[TAG.containerImage]).to.equal(image.replace(/:[^:/]+$/, ''));
    const nostart = await eventually(async () => (await q.rows(`SELECT * FROM ${ident(M.info)} ${where(` AND ${ident(TAG.containerName)} = ${literal(`${run}-nostart`)}`)}`)).find((r) => r[INFO_FIELDS.command]), 60_000, 200);
    expect(String(nostart[INFO_FIELDS.command])).to.contain(`/no/such/${H.shell}`);
    // The benign container's points arrive alongside; nothing was rejected.
    await eventually(async () => (await q.rows(`SELECT * FROM ${ident(M.status)} ${where(` AND ${ident(TAG.containerName)} = ${literal(`${run}-control`)}`)} LIMIT 1`)).length > 0, 60_000, 200);
    expect(collector!.writer.counters.rejected).to.equal(0);
    const measurements = (await q.rows('SHOW MEASUREMENTS')).map((r) => String(r.name));
    expect(measurements).to.not.include('fake_measurement');
    expect(measurements.every((m) => m.startsWith('docker') || m.startsWith('shipwatch'))).to.equal(true);
    // None of the environment's values is anywhere.
    for (const m of measurements) {
      const rows = await q.rows(`SELECT * FROM ${ident(m)} ${where()} LIMIT 2000`);
      expect(JSON.stringify(rows), m).to.not.contain(`envvalue-${run}`);
    }
  });

  it('stores log lines as the same data: invalid UTF-8 as U+FFFD, a long line cut at the limit', async () => {
    const rows = await eventually(async () => {
      const r = await q.rows(`SELECT "message" FROM ${ident(M.log)} ${where(` AND ${ident(TAG.containerName)} = ${literal(name)}`)}`);
      return r.length >= logLines.length + 2 && r;
    }, 60_000, 200);
    const messages = rows.map((r) => String(r.message));
    for (const l of logLines.slice(0, -1)) expect(messages, l).to.include(l);
    expect(messages).to.include(`raw ${FFFD}${FFFD} bytes`);
    const long = messages.find((m) => m.startsWith('LLLL'))!;
    expect(Buffer.byteLength(long)).to.be.at.most(cfg.collector.logs.maxLineBytes);
    expect(long).to.match(/^L+$/);
    expect(messages).to.include(H.html);
  });

  it('notifies with the same data: webhook JSON exact, email text exact and its HTML escaped, SMS plain', async () => {
    await sink.waitFor('/hook', 1, 120_000);
    await smtp.waitFor(1, 120_000);
    const hook = sink.at('/hook').map((r) => r.body as Record<string, any>).find((b) => b.kind === 'alert')!;
    const a = hook.alerts[0];
    expect(a).to.include({ host, container: name, rule: 'died' });
    // Labels travel with the samples job, not through a tag: exactly as Docker has them.
    for (const k of labelTags) expect(a.labels[k], k).to.equal(stored(labels[k]));
    const mail = smtp.mails[0].parsed;
    expect(mail.subject).to.contain(name);
    expect(mail.text).to.contain(host).and.to.contain(H.html);
    const html = String(mail.html);
    expect(html).to.not.contain('<script>').and.not.contain('<img').and.not.contain('onerror="');
    expect(html).to.contain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const sms = sink.at('/sms')[0];
    expect((sms.body as { text: string }).text).to.match(/^[\x20-\x7e]*$/);
  });

  it('gives a recovery script the facts as the same data in its environment, and runs nothing else', async () => {
    const run0 = await eventually(async () => (await q.rows(`SELECT * FROM "shipwatch_recovery_run" ${where()}`)).find((r) => r.attachments), 120_000, 200);
    const files = String(run0.attachments).split('\n');
    const hostFile = files.find((f) => f.endsWith('host.txt'))!;
    expect(readFileSync(hostFile, 'utf8')).to.equal(host);
    const env = readFileSync(files.find((f) => f.endsWith('env.txt'))!, 'utf8');
    expect(env).to.contain(`SHIPWATCH_CONTAINER_NAME=${name}\n`);
    expect(env).to.not.contain('HOSTILE_').and.not.contain(`envvalue-${run}`);
    expect(existsSync(marker), 'no shell metacharacter ran').to.equal(false);
  });

  it('answers the API with hostile keys and filters, as data', async () => {
    const api = `http://127.0.0.1:${alerter!.apiPort}`;
    const auth = { authorization: 'Bearer hostile-test-token-0123456789' };
    const key = `died|${host}|${name}`;
    const one = await fetch(`${api}/api/alerts/${encodeURIComponent(key)}`, { headers: auth });
    expect(one.status).to.equal(200);
    expect(((await one.json()) as { labels: Record<string, string> }).labels['com.example.html']).to.equal(H.html);
    const runs = await fetch(`${api}/api/recovery-runs?${new URLSearchParams({ host, container: name })}`, { headers: auth });
    expect(runs.status).to.equal(200);
    expect(((await runs.json()) as { runs: unknown[] }).runs).to.have.length.at.least(1);
    const inject = await fetch(`${api}/api/recovery-runs?${new URLSearchParams({ host: H.influxql })}`, { headers: auth });
    expect(inject.status).to.equal(200);
    expect(((await inject.json()) as { runs: unknown[] }).runs).to.deep.equal([]);
    expect((await q.rows('SHOW DATABASES')).map((r) => r.name)).to.include(db);
  });

  it('runs every dashboard query with the hostile host and container as variables', async () => {
    const now = Date.now();
    const o: Interpolation = {
      vars: { host: [host], container: [name], network: 'total', device: 'total', severity: { all: true }, rule: { all: true }, rollup_rp: 'rollup' },
      from: now - 3_600_000, to: now + 1000, timeForm: 'relative', relative: '1h', interval: '10s',
    };
    let answered = 0;
    for (const c of allQueries()) {
      const sql = interpolate(c.query, c.dashboard.templating.list, o);
      await q.query(sql).catch((e: Error) => {
        throw new Error(`${c.dashboard.uid} / ${c.where}: ${e.message}\n${sql}`);
      });
      answered++;
    }
    expect(answered).to.be.greaterThan(40);
    const containers = allQueries().find((x) => x.kind === 'variable' && x.where === '$container')!;
    const listed = (await q.rows(interpolate(containers.query, containers.dashboard.templating.list, o))).map((r) => r.value);
    expect(listed).to.include(name);
    const hosts = allQueries().find((x) => x.kind === 'variable' && x.where === '$host')!;
    expect((await q.rows(interpolate(hosts.query, hosts.dashboard.templating.list, o))).map((r) => r.value)).to.include(host);
  });
});
