import { expect } from 'chai';
import { smsText, webhookBody, slackBody, pushBody, subject, emailText, emailHtml } from '../../alerter/format.js';
import { dashboardUrl, type Notification, type NotifiedAlert } from '../../alerter/notification.js';
import { renderTemplate, SmsChannel } from '../../alerter/receivers/sms.js';
import { scriptEnv, SCRIPT_PATH } from '../../agent/script-env.js';
import { messageIdFor } from '../../alerter/receivers/email.js';
import { parseConfig } from '../../common/config.js';

const alert = (over: Partial<NotifiedAlert> = {}): NotifiedAlert => ({
  key: 'died|h1|web-1', status: 'firing', rule: 'died', severity: 'critical', host: 'h1', container: 'web-1',
  containerId: 'c0ffee'.padEnd(64, '0'), summary: 'exited with code 137 (killed)', value: 137, labels: { team: 'web' },
  startsAt: Date.UTC(2026, 0, 2, 3, 4, 5), endsAt: null, snapshotId: '1767323045000-0badcafe', snapshot: null, acknowledged: false,
  dashboardUrl: 'http://grafana/d/shipwatch-container?var-host=h1', snapshotUrl: '', ...over,
});
const note = (over: Partial<Notification> = {}): Notification => ({
  v: 1, id: 'n-g1-100', kind: 'alert', status: 'firing', reason: 'new', receiver: 'ops', groupKey: 'g1',
  groupLabels: { rule: 'died', host: 'h1' }, alerts: [alert()], time: Date.UTC(2026, 0, 2, 3, 4, 6), recovery: null, ...over,
});

describe('alerter: SMS text', () => {
  it('says what, where and why in plain ASCII', () => {
    expect(smsText(note())).to.equal('FIRING critical died web-1@h1: exited with code 137 (killed)');
  });
  it('fits 160 characters, cut with an ellipsis, however long or exotic the summary', () => {
    const long = note({ alerts: [alert({ summary: 'é→✓ '.repeat(40) + 'x'.repeat(300) }), alert({ container: 'web-2' })] });
    const s = smsText(long);
    expect(s.length).to.be.at.most(160);
    expect(s).to.match(/\.\.\.$/);
    expect(s).to.match(/^[\x20-\x7e]+$/);
    expect(s).to.contain('+1');
    expect(smsText(long, 70).length).to.be.at.most(70);
  });
  it('fills the gateway template escaping values for JSON, form or URL, never interpreting them', () => {
    expect(renderTemplate('{"to":"{{to}}","text":"{{ message }}"}', { to: '+1', message: 'a "quoted" \\ {{to}}' }, (s) => JSON.stringify(s).slice(1, -1)))
      .to.equal('{"to":"+1","text":"a \\"quoted\\" \\\\ {{to}}"}');
    const cfg = parseConfig({ alerter: { receivers: [{ name: 'sms', sms: { url: 'http://127.0.0.1:1/send?to={{to}}', method: 'GET', to: ['+44 7700 900123'] } }] } });
    const req = new SmsChannel(cfg.alerter.receivers[0].sms!).request(note(), '+44 7700 900123');
    expect(req.url).to.equal('http://127.0.0.1:1/send?to=%2B44%207700%20900123');
    expect(req.init.body).to.equal(undefined);
  });
});

describe('alerter: webhook and push bodies', () => {
  it('the webhook body has the documented fields', () => {
    const b = webhookBody(note(), 'n-g1-100.ops.webhook');
    expect(Object.keys(b)).to.deep.equal(['version', 'id', 'idempotencyKey', 'kind', 'status', 'reason', 'receiver', 'groupKey', 'groupLabels', 'time', 'title', 'alerts', 'recovery']);
    expect(b).to.include({ version: '1', id: 'n-g1-100', idempotencyKey: 'n-g1-100.ops.webhook', status: 'firing', reason: 'new', time: '2026-01-02T03:04:06.000Z' });
    expect(b.alerts[0]).to.deep.equal({
      key: 'died|h1|web-1', status: 'firing', rule: 'died', severity: 'critical', host: 'h1', container: 'web-1',
      containerId: 'c0ffee'.padEnd(64, '0'), summary: 'exited with code 137 (killed)', value: 137, labels: { team: 'web' },
      startsAt: '2026-01-02T03:04:05.000Z', endsAt: null, snapshotId: '1767323045000-0badcafe', snapshotUrl: null, acknowledged: false,
      dashboardUrl: 'http://grafana/d/shipwatch-container?var-host=h1',
    });
  });
  it('the email links to the snapshot page, escaped', () => {
    const url = 'https://alerts.example.test/snapshots/1767323045000-0badcafe?exp=1&sig=a"b';
    const n = note({ alerts: [alert({ snapshotUrl: url })] });
    expect(emailText(n)).to.contain(`snapshot page: ${url}`);
    expect(emailHtml(n)).to.contain('<a href="https://alerts.example.test/snapshots/1767323045000-0badcafe?exp=1&amp;sig=a&quot;b">Fault snapshot</a>');
    expect(webhookBody(n, 'd').alerts[0].snapshotUrl).to.equal(url);
  });
  it('the Slack body is text plus one coloured attachment per alert', () => {
    const b = slackBody(note({ status: 'resolved', alerts: [alert({ status: 'resolved' })] }));
    expect(b.text).to.match(/^\[RESOLVED\] died web-1 on h1/);
    expect(b.attachments[0].color).to.equal('#27ae60');
  });
  it('push bodies for ntfy and Gotify', () => {
    expect(pushBody(note(), 'ntfy', 'ops')).to.include({ topic: 'ops', priority: 5 });
    expect(pushBody(note(), 'gotify', 'ops')).to.include({ priority: 10 });
  });
  it('subjects and email text name the container, and a repeat says so', () => {
    expect(subject(note())).to.equal('[FIRING:1] died web-1 on h1');
    expect(subject(note({ reason: 'repeat' }))).to.match(/\(repeat\)$/);
    expect(emailText(note())).to.contain('web-1').and.to.contain('dashboard: http://grafana');
    expect(messageIdFor('n-g1-100.ops.email')).to.equal('<n-g1-100.ops.email@shipwatch>');
  });
  it('email text and HTML show the snapshot facts the alert carries, HTML-escaped', () => {
    const snapshot = { facts: [['exit code', '137'], ['image', 'shop<script>:1']] as Array<[string, string]>, logs: ['panic: <nil> map'] };
    const n = note({ alerts: [alert({ snapshot })] });
    expect(emailText(n)).to.contain('    exit code: 137').and.to.contain('    image: shop<script>:1').and.to.contain('      panic: <nil> map');
    const html = emailHtml(n);
    expect(html).to.contain('<th align="left">exit code</th><td>137</td>');
    expect(html).to.contain('shop&lt;script&gt;:1').and.to.contain('panic: &lt;nil&gt; map');
    expect(emailText(note())).to.not.contain('snapshot facts');
  });
  it('links the container dashboard over the alert time range', () => {
    const u = new URL(dashboardUrl({ url: 'http://g:3000/', dashboardUid: 'shipwatch-container' }, 'h 1', 'web-1', 3_600_000, 7_200_000));
    expect(u.pathname).to.equal('/d/shipwatch-container');
    expect(Object.fromEntries(u.searchParams)).to.deep.equal({ 'var-host': 'h 1', 'var-container': 'web-1', from: String(3_600_000 - 900_000), to: String(7_200_000 + 300_000) });
    expect(dashboardUrl({ url: 'http://g', dashboardUid: 'x' }, 'h', 'c', 1000, null)).to.contain('to=now');
  });
});

describe('alerter: script environment', () => {
  it('passes the alert facts as variables, verbatim, and nothing else but PATH and LANG', () => {
    const env = scriptEnv({
      containerId: 'abc', container: 'x; rm -rf / $(id) `id`', host: 'h1', rule: 'died', severity: 'critical',
      value: 137, snapshotId: null, alertKey: 'died|h1|x',
    });
    expect(env).to.deep.equal({
      PATH: SCRIPT_PATH, LANG: 'C.UTF-8',
      SHIPWATCH_CONTAINER_ID: 'abc', SHIPWATCH_CONTAINER_NAME: 'x; rm -rf / $(id) `id`', SHIPWATCH_HOST: 'h1',
      SHIPWATCH_RULE: 'died', SHIPWATCH_SEVERITY: 'critical', SHIPWATCH_VALUE: '137', SHIPWATCH_SNAPSHOT_ID: '',
      SHIPWATCH_ALERT_KEY: 'died|h1|x',
    });
  });
});
