/**
 * Secrets never leave: every component's real entry point runs at debug level
 * on a configuration with a distinct secret in every secret-bearing place
 * (InfluxDB token, password and URL credentials, each component's Redis
 * password, through the URL, a variable and a file, SMTP password, API token,
 * signing key, Grafana URL credentials, receivers' headers, webhook URL query
 * and Slack path, SMS gateway key in its URL and body, ntfy topic). A container
 * crashes; every channel fails, the gateways echoing back what they were sent;
 * the agent restarts the container. None of the secrets appears in anything
 * any component wrote, error messages included.
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { services, docker, freshDatabase, uniqueRun, runContainer, cleanup, eventually } from '../helpers/services.js';
import { HttpSink, SmtpPeer, ComponentChild } from '../helpers/alerter.js';
import { startRedis, type PrivateRedis } from '../helpers/private.js';
import { aclFile } from '../../common/queue/acl.js';

describe('secrets never leave (every component, debug logs, failing peers)', function () {
  this.timeout(240_000);
  const run = uniqueRun('secrets');
  const db = `secrets_${process.pid}`;
  const host = `secrets-host-${process.pid}`;
  const container = `${run}-victim`;
  const d = docker();
  const sink = new HttpSink();
  const smtp = new SmtpPeer();
  const dir = mkdtempSync(path.join(tmpdir(), 'sw-secrets-'));
  const children: ComponentChild[] = [];
  let redis: PrivateRedis;

  // One distinct secret per place, some with characters that JSON and URLs escape.
  const tag = Date.now().toString(36);
  const S = {
    influxToken: `influx-token-${tag}-1a2b3c4d`,
    influxPassword: `influx-pass-${tag}-"quoted"\\back`,
    influxUrlPassword: `influx-url-pw-${tag}-5e6f`,
    redisCollector: `redis-collector-${tag}-in-url-7a8b`,
    redisProcessor: `redis-processor-${tag}-in-file-9c0d`,
    redisAlerter: `redis-alerter-${tag}-in-env-1e2f`,
    redisAgent: `redis-agent-${tag}-in-env-3a4b`,
    redisAdmin: `redis-admin-${tag}-5c6d7e8f`,
    smtpPassword: `smtp-pass-${tag}-</b>&amp;`,
    apiToken: `api-token-${tag}-0123456789abcdef`,
    signingKey: `signing-key-${tag}-0123456789abcdef0123456789`,
    grafanaPassword: `grafana-pw-${tag}-9a8b`,
    webhookHeader: `webhook-bearer-${tag}-7c6d`,
    webhookQuery: `webhook-query-${tag}-5e4f`,
    slackPath: `slackpath${tag}XyZ123`,
    smsUrlKey: `sms-url-key-${tag}-3a2b`,
    smsBodyKey: `smsbodykey${tag}Q1W2E3`,
    smsHeader: `sms-header-${tag}-1c0d`,
    pushTopic: `push-topic-${tag}-secret`,
    pushHeader: `push-header-${tag}-9e8f`,
  };

  after(async () => {
    await Promise.all(children.map((c) => c.kill('SIGTERM')));
    await cleanup(d, run);
    await sink.stop();
    await smtp.stop();
    await redis?.stop();
  });

  it('appear in no log line of collector, processor, alerter or agent', async () => {
    const e = services();
    await freshDatabase(db);
    const url = await sink.start();
    await smtp.start();
    sink.echoOnFailure = true;
    sink.failing.add('/');
    const acl = path.join(dir, 'users.acl');
    writeFileSync(acl, aclFile('{shipwatch}', S.redisAdmin, [
      { role: 'collector', password: S.redisCollector }, { role: 'processor', password: S.redisProcessor },
      { role: 'alerter', password: S.redisAlerter }, { role: 'agent', host, password: S.redisAgent },
    ]));
    redis = await startRedis(['--aclfile', acl]);
    const redisPlain = `redis://127.0.0.1:${redis.port}`;
    const passwordFile = path.join(dir, 'processor-password');
    writeFileSync(passwordFile, S.redisProcessor + '\n');
    const influx = new URL(e.influxUrl);
    influx.username = 'influx-user';
    influx.password = S.influxUrlPassword;

    const config = {
      host,
      docker: { socketPath: e.dockerHost.replace(/^unix:\/\//, '') },
      influx: { url: influx.toString(), bucket: db, token: S.influxToken, username: 'influx-user', password: S.influxPassword, flushInterval: '200ms' },
      collector: { interval: '1s', processes: { enabled: false }, disk: { enabled: false }, images: { enabled: false } },
      processor: { faults: { died: { stopGrace: '300ms' }, logErrors: { enabled: false } } },
      alerter: {
        smtp: { host: '127.0.0.1', port: smtp.port, user: 'mailer', password: S.smtpPassword, timeout: '5s' },
        grafana: { url: `http://viewer:${S.grafanaPassword}@127.0.0.1:3000` },
        delivery: { backoff: '200ms', attempts: 2, timeout: '5s' },
        api: { port: 0, token: S.apiToken },
        receivers: [
          {
            name: 'leaky',
            email: { to: ['oncall@example.test'] },
            webhook: { url: `${url}/hook?key=${S.webhookQuery}`, headers: { authorization: `Bearer ${S.webhookHeader}` } },
            sms: {
              url: `${url}/sms?api_key=${S.smsUrlKey}&to={{to}}`,
              headers: { 'x-gateway-secret': S.smsHeader },
              body: `{"key":"${S.smsBodyKey}","to":"{{to}}","text":"{{message}}"}`,
              to: ['+10000000000'],
            },
            push: { url: `${url}/`, topic: S.pushTopic, headers: { authorization: `Bearer ${S.pushHeader}` } },
          },
          // Never routed to (no traffic leaves this machine); its secret is in the configuration all the same.
          { name: 'slack', webhook: { url: `https://hooks.slack.com/services/T00000000/B00000000/${S.slackPath}`, format: 'slack' } },
        ],
        route: { receiver: '', routes: [{ matchers: [`container="${container}"`], receiver: 'leaky', groupWait: '0s', groupInterval: '1s' }] },
        actions: {
          signingKey: S.signingKey,
          verifyWithin: '10s',
          rules: [{ name: 'restart-victim', matchers: [`container="${container}"`, 'rule="died"'], docker: 'restart' }],
        },
      },
      log: { level: 'debug' },
    };
    const env = { SHIPWATCH_LOG_LEVEL: 'debug' };
    const start = (component: string, extra: Record<string, string>) => {
      const c = new ComponentChild(component, config, { ...env, ...extra });
      children.push(c);
      return c;
    };
    const processor = start('processor', { SHIPWATCH_REDIS_URL: redisPlain, SHIPWATCH_REDIS_USERNAME: 'processor', SHIPWATCH_REDIS_PASSWORD_FILE: passwordFile });
    const alerter = start('alerter', { SHIPWATCH_REDIS_URL: redisPlain, SHIPWATCH_REDIS_USERNAME: 'alerter', SHIPWATCH_REDIS_PASSWORD: S.redisAlerter });
    const agent = start('agent', { SHIPWATCH_REDIS_URL: redisPlain, SHIPWATCH_REDIS_USERNAME: `agent-${host}`, SHIPWATCH_REDIS_PASSWORD: S.redisAgent });
    await alerter.waitForLog('"msg":"alerter ready:');
    await agent.waitForLog('"msg":"agent ready:');
    await processor.waitForLog('"msg":"processor ready:');
    const collector = start('collector', { SHIPWATCH_REDIS_URL: `redis://collector:${encodeURIComponent(S.redisCollector)}@127.0.0.1:${redis.port}` });
    await collector.waitForLog('"msg":"cycle"');

    // The API: a wrong token, the right one.
    const api = Number(/"port":(\d+)[^}]*"msg":"alerter API listening"/.exec(alerter.stderr)?.[1] ?? /API on http:\/\/127\.0\.0\.1:(\d+)/.exec(alerter.stderr)![1]);
    expect((await fetch(`http://127.0.0.1:${api}/api/alerts`, { headers: { authorization: `Bearer ${S.apiToken}x` } })).status).to.equal(401);
    expect((await fetch(`http://127.0.0.1:${api}/api/alerts`, { headers: { authorization: `Bearer ${S.apiToken}` } })).status).to.equal(200);

    await runContainer(d, run, { name: container, cmd: ['sh', '-c', 'if [ -e /crashed ]; then exec sleep 3600; fi; sleep 2; touch /crashed; exit 3'] });
    await alerter.waitForLog('delivery failed for good', 120_000);
    await eventually(async () => ['.webhook', '.sms', '.push'].every((ch) => alerter.stderr.split('\n').some((l) => l.includes('delivery failed') && l.includes(ch))), 120_000, 200);
    await agent.waitForLog('recovery action finished', 120_000);
    // The gateways did see the secrets: the test would prove nothing otherwise.
    expect(sink.got.some((r) => r.raw.includes(S.smsBodyKey) && r.path.includes(S.smsUrlKey))).to.equal(true);
    expect(sink.got.some((r) => String(r.headers.authorization).includes(S.webhookHeader))).to.equal(true);

    for (const c of children) await c.kill('SIGTERM');
    const outputs = children.map((c) => ({ component: c.component, text: c.stderr }));
    for (const o of outputs) expect(o.text.length, `${o.component} wrote its log`).to.be.greaterThan(1000);
    // The start-up shows the configuration, redacted.
    expect(outputs.find((o) => o.component === 'alerter')!.text).to.contain('[redacted]');
    const forms = (v: string) => [...new Set([v, JSON.stringify(v).slice(1, -1), encodeURIComponent(v)])];
    const leaks: string[] = [];
    for (const [name, secret] of Object.entries(S)) {
      for (const form of forms(secret)) {
        for (const o of outputs) if (o.text.includes(form)) leaks.push(`${name} in ${o.component}: …${o.text.slice(Math.max(0, o.text.indexOf(form) - 200), o.text.indexOf(form) + form.length + 50)}…`);
      }
    }
    expect(leaks, leaks.join('\n\n')).to.deep.equal([]);
  });
});
