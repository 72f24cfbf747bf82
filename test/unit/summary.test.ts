import { expect } from 'chai';
import { parseConfig } from '../../common/config.js';
import { collectorSummary } from '../../collector/summary.js';
import { processorSummary } from '../../processor/summary.js';
import { alerterSummary, alerterWarnings, apiPublicUrl } from '../../alerter/summary.js';
import { agentSummary } from '../../agent/summary.js';

const facts = { host: 'web-1', serverVersion: '20.10.24', containers: { all: 12, running: 9 }, statsFrom: 'cgroup files' };

describe('start-up summaries', () => {
  it('collector: host and engine, containers watched, where points and samples go; no credentials', () => {
    const cfg = parseConfig({ redis: { url: 'redis://:hunter2@redis:6379/0' }, influx: { url: 'http://influx:8086', bucket: 'metrics', apiVersion: 'v2', token: 'tok' } });
    const s = collectorSummary(cfg, facts);
    expect(s.msg).to.equal(
      'collector ready: host web-1 (Docker 20.10.24 at unix:///var/run/docker.sock); ' +
      'watching 12 containers (9 running) every 30s, stats from cgroup files; ' +
      'events on, processes on, disk on, images on, network off, posture on, logs off, logs and inspect captured at faults on, Prometheus exposition off; ' +
      'points to InfluxDB http://influx:8086 bucket/database metrics, API v2; ' +
      'samples and events to the processor queue on Redis redis://redis:6379/0 (8 shards)',
    );
    expect(JSON.stringify(s)).to.not.contain('hunter2');
    expect(JSON.stringify(s)).to.not.contain('tok');
    expect(s.warnings).to.deep.equal([]);
  });

  it('collector: says when the processor gets nothing', () => {
    const s = collectorSummary(parseConfig({ queue: { enabled: false } }), facts);
    expect(s.msg).to.contain('processor queue off');
    expect(s.warnings[0]).to.match(/^queue\.enabled is false/);
  });

  it('processor: queue, points, rules and faults', () => {
    const cfg = parseConfig({
      processor: { rules: [{ name: 'cpu_high', metric: 'cpu_percent', op: '>', value: 90 }], faults: { logErrors: { enabled: false } } },
    });
    const s = processorSummary(cfg);
    expect(s.msg).to.match(/^processor ready: taking jobs from Redis redis:\/\/127\.0\.0\.1:6379 \(8 shards, 8 jobs at once per shard\)/);
    expect(s.msg).to.contain('static rules: cpu_high');
    expect(s.msg).to.contain('faults: died, oom, restart_loop, unhealthy, anomaly, exhaustion;');
    expect(s.msg).to.contain('rollup history in retention policy rollup');
  });

  it('alerter: no receiver and no token are warnings; the summary names receivers, routes, rules and the API', () => {
    const bare = parseConfig({});
    expect(alerterWarnings(bare.alerter)).to.deep.equal([
      'no receiver configured (alerter.receivers): firing alerts reach no one',
      'alerter.api.token is not set: the API answers 401 to everything but /healthz and /readyz',
    ]);
    expect(alerterSummary(bare, 9095).msg).to.contain('receivers: NONE');

    const cfg = parseConfig({
      alerter: {
        api: { token: 't0k3n-0123456789abcdefghij' },
        receivers: [{ name: 'ops', email: { to: ['ops@example.test'] }, webhook: { url: 'http://hooks.example.test/x' } }],
        route: { receiver: '', routes: [{ matchers: ['severity="critical"'], receiver: 'ops' }] },
        actions: { rules: [{ name: 'restart-web', matchers: ['rule="died"'], docker: 'restart' }] },
      },
    });
    expect(alerterWarnings(cfg.alerter)).to.deep.equal(['alerter.route.receiver is empty: alerts that no child route sends to a receiver reach no one']);
    const s = alerterSummary(cfg, 9095);
    expect(s.msg).to.contain('receivers: ops (email, webhook)');
    expect(s.msg).to.contain('routes: default receiver (none), 1 child route, grouped by rule, host');
    expect(s.msg).to.contain('recovery rules: restart-web: docker restart');
    expect(s.msg).to.contain('API on http://127.0.0.1:9095, token set');
    expect(JSON.stringify(s)).to.not.contain('t0k3n');
  });

  it('alerter: snapshot links go to publicUrl, else to a specific listening address', () => {
    const a = (api: Record<string, unknown>) => parseConfig({ alerter: { api } }).alerter;
    expect(apiPublicUrl(a({ publicUrl: 'https://alerts.example.test/' }), 9095)).to.equal('https://alerts.example.test');
    expect(apiPublicUrl(a({}), 9095)).to.equal('http://127.0.0.1:9095');
    expect(apiPublicUrl(a({ host: '0.0.0.0' }), 9095), 'every interface: no address a browser can use').to.equal('');
    expect(apiPublicUrl(a({ host: '::1' }), 9095)).to.equal('http://[::1]:9095');
    expect(apiPublicUrl(a({ enabled: false }), undefined)).to.equal('');
  });

  it('agent: host, rules, scripts; a warning when it has nothing to run, and when actions are not signed', () => {
    const s = agentSummary(parseConfig({ docker: { url: 'tcp://10.0.0.5:2376' } }), 'web-1', '20.10.24');
    expect(s.msg).to.match(/^agent ready: host web-1 \(Docker 20\.10\.24 at tcp:\/\/10\.0\.0\.5:2376\)/);
    expect(s.msg).to.contain('recovery rules: none');
    expect(s.warnings).to.deep.equal([
      'no recovery rules (alerter.actions.rules): this agent will run nothing',
      'alerter.actions.signingKey is not set: actions are not signed; anyone who can write this host\'s action queue can trigger this agent\'s rules',
    ]);
    const signed = agentSummary(parseConfig({
      alerter: { actions: { signingKey: 'k'.repeat(32), rules: [{ name: 'reload', matchers: ['rule="unhealthy"'], docker: 'kill', signal: 'SIGHUP' }] } },
    }), 'web-1', '20.10.24');
    expect(signed.msg).to.contain('recovery rules: reload: docker kill SIGHUP').and.to.contain('only actions signed');
    expect(signed.warnings).to.deep.equal([]);
  });
});
