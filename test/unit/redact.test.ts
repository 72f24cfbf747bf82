import { expect } from 'chai';
import { parseConfig } from '../../common/config.js';
import { redactConfig, redactUrl, secretValues, urlSecrets } from '../../common/config-redact.js';
import { scrubber } from '../../common/log.js';

describe('secrets: redaction', () => {
  it('shows a URL without its user info, query values, or the path of a webhook host whose path is the credential', () => {
    expect(redactUrl('https://user:pa%40ss@influx.example.com:8086/x?token=abc&db=shipwatch')).to.equal('https://[redacted]@influx.example.com:8086/x?token=[redacted]&db=[redacted]');
    expect(redactUrl('https://hooks.slack.com/services/T0001/B0001/XXXXXXXX')).to.equal('https://hooks.slack.com/[redacted]');
    expect(redactUrl('https://discord.com/api/webhooks/123/abcdef')).to.equal('https://discord.com/[redacted]');
    expect(redactUrl('https://acme.webhook.office.com/webhookb2/abc/IncomingWebhook/def')).to.equal('https://acme.webhook.office.com/[redacted]');
    expect(redactUrl('https://ntfy.example.com/my-secret-topic', true)).to.equal('https://ntfy.example.com/[redacted]');
    expect(redactUrl('https://hooks.example.org/shipwatch')).to.equal('https://hooks.example.org/shipwatch');
    expect(redactUrl('redis://:pw@redis:6379')).to.equal('redis://[redacted]@redis:6379');
    expect(redactUrl('not a url with a secret')).to.equal('[redacted]');
    expect(redactUrl('')).to.equal('');
  });

  it('finds the secret parts of a URL, decoded and as written, and leaves template placeholders alone', () => {
    expect(urlSecrets('https://u:p%40ss@h/x?k=v%2Fw&to={{to}}')).to.have.members(['u', 'p%40ss', 'p@ss', 'v/w', 'v%2Fw']);
    expect(urlSecrets('https://hooks.slack.com/services/T1/B2/SECRET')).to.include('SECRET');
  });

  const cfg = () => parseConfig({
    influx: { url: 'http://iu:influx-url-pw@127.0.0.1:8086', token: 'influx-token-xyz', password: 'influx-password-xyz' },
    redis: { url: 'redis://u:redis-url-pw@127.0.0.1:6379', password: 'redis-password-xyz' },
    alerter: {
      smtp: { password: 'smtp-password-xyz' },
      api: { token: 'api-token-0123456789abcdefxyz' },
      actions: { signingKey: 'signing-key-0123456789abcdef0123456789' },
      grafana: { url: 'https://viewer:grafana-pw-xyz@grafana.example.com' },
      receivers: [
        { name: 'a', webhook: { url: 'https://hooks.slack.com/services/T/B/slack-path-xyz', headers: { authorization: 'Bearer webhook-bearer-xyz' } } },
        { name: 'b', sms: { url: 'https://sms.example.com/send?key=sms-key-xyz&to={{to}}', to: ['1'], headers: { 'x-key': 'sms-header-xyz' }, body: '{"k":"sms-body-key-xyz","to":"{{to}}"}' } },
        { name: 'c', push: { url: 'https://ntfy.example.com', topic: 'push-topic-xyz', headers: { authorization: 'Bearer push-bearer-xyz' } } },
      ],
    },
  });
  const SECRETS = [
    'influx-url-pw', 'influx-token-xyz', 'influx-password-xyz', 'redis-url-pw', 'redis-password-xyz', 'smtp-password-xyz',
    'api-token-0123456789abcdefxyz', 'signing-key-0123456789abcdef0123456789', 'grafana-pw-xyz', 'slack-path-xyz',
    'webhook-bearer-xyz', 'sms-key-xyz', 'sms-header-xyz', 'sms-body-key-xyz', 'push-topic-xyz', 'push-bearer-xyz',
  ];

  it('redacts every secret-bearing place of the configuration', () => {
    const shown = JSON.stringify(redactConfig(cfg()));
    for (const s of SECRETS) expect(shown, s).to.not.contain(s);
    // What is not secret stays readable.
    expect(shown).to.contain('sms.example.com').and.to.contain('127.0.0.1:8086');
  });

  it('lists every secret value for the log scrubber, and the scrubber removes them in every form a log line holds', () => {
    const values = secretValues(cfg());
    for (const s of SECRETS) expect(values, s).to.include(s);
    const scrub = scrubber(['p"a\\ss word', 'tok/en+=']);
    expect(scrub(JSON.stringify({ err: 'failed with p"a\\ss word', u: 'https://h/?t=tok%2Fen%2B%3D', t: 'tok/en+=' }))).to.equal('{"err":"failed with [redacted]","u":"https://h/?t=[redacted]","t":"[redacted]"}');
    expect(scrubber([])('unchanged')).to.equal('unchanged');
  });

  it('leaves the default ntfy topic and short values out of the scrubber (they would blank ordinary words)', () => {
    const values = secretValues(parseConfig({ alerter: { smtp: { password: 'pw' }, receivers: [{ name: 'p', push: { url: 'https://ntfy.sh' } }] } }));
    expect(values).to.not.include('shipwatch').and.to.not.include('pw');
  });
});
