import { expect } from 'chai';
import { authorize, type Authority } from '../../agent/authorize.js';
import type { DockerActionSpec } from '../../agent/docker-actions.js';
import { parseConfig } from '../../common/config.js';
import { signAction, canonicalJson, verifyAction, type ActionJob } from '../../common/queue/actions.js';

const KEY = 'k'.repeat(40);
const NOW = 1_800_000_000_000;

const rules = parseConfig({
  alerter: {
    actions: {
      rules: [
        { name: 'restart-web', matchers: ['rule="died"', 'container=~"web-.*"'], docker: 'restart' },
        { name: 'reload', matchers: ['rule="unhealthy"', 'com_example_tier="front"'], docker: 'kill', signal: 'SIGHUP' },
        { name: 'flush', matchers: ['rule="oom"'], docker: 'exec', command: ['redis-cli', 'flushall'] },
      ],
    },
  },
}).alerter.actions.rules;

const authority: Authority = { host: 'h1', rules, signingKey: KEY, maxJobAge: 600_000 };

function job(over: Partial<Omit<ActionJob, 'sig'>> = {}, facts: Partial<ActionJob['facts']> = {}): Omit<ActionJob, 'sig'> {
  return {
    runId: 'r-0123456789abcdef0123',
    action: 'restart-web',
    args: [],
    docker: 'restart',
    facts: {
      containerId: 'c0ffee', container: 'web-1', host: 'h1', rule: 'died', severity: 'critical',
      value: 3, snapshotId: null, alertKey: 'died|h1|web-1', labels: {}, ...facts,
    },
    queuedAt: NOW - 1000,
    ...over,
  };
}

const signed = (j: Omit<ActionJob, 'sig'>) => signAction(j, KEY);
const reason = (data: unknown, a = authority) => {
  const d = authorize(data, a, NOW);
  return d.ok ? 'allowed' : d.reason;
};

describe('agent: which actions it runs', () => {
  it('runs a signed, recent job for its host that a rule of its own allows', () => {
    const d = authorize(signed(job()), authority, NOW);
    expect(d.ok).to.equal(true);
    expect(d.ok && d.rule.name).to.equal('restart-web');
    expect(reason(signed(job({ action: 'reload', docker: 'kill', signal: 'SIGHUP' }, { rule: 'unhealthy', labels: { com_example_tier: 'front' } })))).to.equal('allowed');
    expect(reason(signed(job({ action: 'flush', docker: 'exec', command: ['redis-cli', 'flushall'] }, { rule: 'oom' })))).to.equal('allowed');
  });

  it('refuses what is not a valid job, naming the field', () => {
    expect(reason('rm -rf /')).to.match(/^invalid job/);
    expect(reason({ ...signed(job()), docker: 'rm' })).to.match(/invalid job: docker/);
    expect(reason({ ...signed(job()), extra: 1 })).to.match(/invalid job/);
    expect(reason({ ...signed(job()), runId: '../../x' })).to.match(/invalid job: runId/);
    expect(reason(signed(job({}, { container: 'x'.repeat(5000) })))).to.match(/invalid job: facts\.container/);
  });

  it('refuses a job too large to be one, before reading it', () => {
    const labels = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`l${i}`, 'v'.repeat(2000)]));
    expect(reason(signed(job({}, { labels })))).to.match(/^job of \d+ bytes, more than 65536/);
  });

  it('refuses a job for another host', () => {
    expect(reason(signed(job({}, { host: 'h2' })))).to.match(/for host "h2"; this agent acts on "h1" only/);
  });

  it('refuses an unsigned job, or one changed after signing', () => {
    expect(reason(job())).to.match(/not signed/);
    const s = signed(job());
    expect(reason({ ...s, facts: { ...s.facts, container: 'web-2' } })).to.equal('signature does not match');
    expect(reason(signAction(job(), 'x'.repeat(40)))).to.equal('signature does not match');
    // Without a key configured, signatures are not required.
    expect(reason(job(), { ...authority, signingKey: '' })).to.equal('allowed');
  });

  it('refuses a job queued too long ago', () => {
    expect(reason(signed(job({ queuedAt: NOW - 3_600_000 })))).to.match(/queued 3600 s ago/);
    expect(reason(signed(job({ queuedAt: NOW + 3_600_000 })))).to.match(/future/);
  });

  it('refuses a rule it does not have, and a job that differs from its rule in anything it would run', () => {
    expect(reason(signed(job({ action: 'wipe' })))).to.match(/no action rule "wipe"/);
    expect(reason(signed(job({ docker: 'stop' })))).to.match(/differs from this agent's rule "restart-web"/);
    expect(reason(signed(job({ docker: undefined, script: 'restart.sh' })))).to.match(/differs/);
    expect(reason(signed(job({ args: ['--force'] })))).to.match(/differs/);
    expect(reason(signed(job({ action: 'reload', docker: 'kill', signal: 'SIGKILL' }, { rule: 'unhealthy', labels: { com_example_tier: 'front' } })))).to.match(/differs/);
    expect(reason(signed(job({ action: 'flush', docker: 'exec', command: ['sh', '-c', 'reboot'] }, { rule: 'oom' })))).to.match(/differs/);
  });

  it('refuses an alert its rule does not match (the facts decide, not a free label of the same name)', () => {
    expect(reason(signed(job({}, { container: 'db-1' })))).to.match(/rule "restart-web" does not match this alert \(rule="died", container=~"web-\.\*"\)/);
    expect(reason(signed(job({}, { rule: 'oom' })))).to.match(/does not match/);
    expect(reason(signed(job({}, { container: 'db-1', labels: { container: 'web-1' } })))).to.match(/does not match/);
  });

  it('signs the content whatever the key order', () => {
    const a = signed(job());
    const reordered = JSON.parse(JSON.stringify({ sig: a.sig, queuedAt: a.queuedAt, facts: { ...a.facts }, docker: a.docker, args: a.args, action: a.action, runId: a.runId }));
    expect(verifyAction(reordered, KEY)).to.equal(true);
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).to.equal('{"a":[{"d":2}],"b":1}');
  });
});

describe('agent: every Docker action has a timeout', () => {
  it('gives up on a Docker engine that never answers, with outcome timeout', async function () {
    this.timeout(20_000);
    const { createServer } = await import('node:net');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const Docker = (await import('dockerode')).default;
    const { runDockerAction } = await import('../../agent/docker-actions.js');
    const socket = path.join(mkdtempSync(path.join(tmpdir(), 'sw-hung-')), 'docker.sock');
    // Accepts the connection and reads the request, then says nothing.
    const held: import('node:net').Socket[] = [];
    const server = createServer((s) => void held.push(s)).listen(socket);
    try {
      const docker = new Docker({ socketPath: socket });
      const specs: DockerActionSpec[] = [{ docker: 'restart' }, { docker: 'kill', signal: 'SIGTERM' }, { docker: 'exec', command: ['true'] }];
      for (const spec of specs) {
        const r = await runDockerAction(docker, 'c0ffee', spec, { timeoutMs: 300, stopGraceS: 0, outputLimit: 100 });
        expect(r, spec.docker).to.include({ outcome: 'timeout', exitCode: null });
        expect(r.detail).to.equal('no answer from Docker within 300 ms');
      }
    } finally {
      for (const s of held) s.destroy();
      server.close();
    }
  });
});

describe('configuration: minimum lengths of shared secrets', () => {
  it('names the key of an API token or signing key too short to be one', () => {
    expect(() => parseConfig({ alerter: { api: { token: 'short' } } })).to.throw(/config: alerter\.api\.token: at least 24 characters/);
    expect(() => parseConfig({ alerter: { actions: { signingKey: 'short' } } })).to.throw(/config: alerter\.actions\.signingKey: at least 32 characters/);
    expect(() => parseConfig({ alerter: { actions: { rules: [{ name: 'x', matchers: ['rule="a"'], docker: 'reboot' }] } } })).to.throw(/alerter\.actions\.rules\.0\.docker/);
    expect(() => parseConfig({ alerter: { actions: { rules: [{ name: 'x', matchers: ['rule="a"'], docker: 'exec' }] } } })).to.throw(/alerter\.actions\.rules\.0\.command: docker: exec needs a command/);
    expect(() => parseConfig({ alerter: { actions: { rules: [{ name: 'x', matchers: ['rule="a"'], docker: 'kill', signal: 'SIGNOPE' }] } } })).to.throw(/alerter\.actions\.rules\.0\.signal/);
  });
});
