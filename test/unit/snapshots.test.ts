import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { ROOT } from '../helpers/paths.js';
import { inspectFacts, parseLogTail, processRows, redactArg } from '../../collector/capture-facts.js';
import { parseCapture, CAPTURE_LIMITS, type FaultCapture } from '../../common/capture.js';
import { Limiter } from '../../common/pool.js';
import { applyCapture } from '../../processor/snapshot.js';
import { SnapshotLinks } from '../../alerter/links.js';
import { snapshotPage } from '../../alerter/snapshot-page.js';
import { upgradeSnapshot, type SnapshotBody } from '../../common/snapshot.js';

const fx = (f: string) => path.join(ROOT, 'test/fixtures/capture', f);
const json = (f: string) => JSON.parse(readFileSync(fx(f), 'utf8'));

describe('fault capture (collector side, on recorded Docker answers)', () => {
  it('inspect facts: what matters, environment names without their values', () => {
    const facts = inspectFacts(json('inspect-unhealthy.json') as Docker.ContainerInspectInfo);
    expect(facts).to.deep.equal(json('inspect-unhealthy.facts.json'));
    expect(JSON.stringify(facts)).to.not.contain('s3cr3t-value');
    expect(parseCapture({ time: 1, trigger: 'die', logs: null, inspect: facts, processes: null, errors: [] }).ok).to.equal(true);
  });

  it('the log tail: multiplexed frames to lines of each stream, in time order', () => {
    expect(parseLogTail(readFileSync(fx('logs-multiplexed.bin')), false, 50)).to.deep.equal(json('logs-multiplexed.lines.json'));
    expect(parseLogTail(readFileSync(fx('logs-multiplexed.bin')), false, 1).map((l) => l.message)).to.deep.equal(['warn: cache cold']);
  });

  it('a TTY log is one stream; a line without a newline or timestamp is kept; long lines are cut', () => {
    const long = 'x'.repeat(CAPTURE_LIMITS.lineChars + 50);
    const lines = parseLogTail(Buffer.from(`2024-05-07T21:09:36.123456789Z hello\r\n2024-05-07T21:09:37Z ${long}\nno stamp`), true, 10);
    expect(lines.map((l) => l.stream)).to.deep.equal(['stdout', 'stdout', 'stdout']);
    expect(lines[0]).to.deep.equal({ time: Date.UTC(2024, 4, 7, 21, 9, 36, 123), stream: 'stdout', message: 'hello' });
    expect(lines.map((l) => l.message.length)).to.include(CAPTURE_LIMITS.lineChars);
    expect(lines[2], 'kept in its place').to.deep.equal({ time: null, stream: 'stdout', message: 'no stamp' });
  });

  it('arguments that look like key=secret lose their value; processes busiest first', () => {
    expect(['--password=hunter2', 'DB_TOKEN=abc', '-api-key=k', '--port=80', 'secret'].map(redactArg))
      .to.deep.equal(['--password=[redacted]', 'DB_TOKEN=[redacted]', '-api-key=[redacted]', '--port=80', 'secret']);
    const rows = processRows([
      { key: 'a', pid: 1, user: 'root', state: 'S', cpuPercentHint: 0.5, command: 'app --token=t0k' },
      { key: 'b', pid: 2, user: 'root', state: 'R', cpuPercentHint: 90, command: 'worker' },
    ]);
    expect(rows.map((r) => r.pid)).to.deep.equal([2, 1]);
    expect(rows[1].command).to.equal('app --token=[redacted]');
  });

  it('a capture that does not match the schema is refused with the reason', () => {
    const r = parseCapture({ time: 1, trigger: 'die', logs: [{ time: 1, stream: 'stdin', message: 'x' }], inspect: null, processes: null, errors: [] });
    expect(r.ok).to.equal(false);
    expect((r as { reason: string }).reason).to.match(/^capture invalid: logs\.0\.stream/);
    expect(parseCapture({ time: 1, trigger: 'die', logs: Array.from({ length: CAPTURE_LIMITS.logLines + 1 }, () => ({ time: 1, stream: 'stdout', message: '' })), inspect: null, processes: null, errors: [] }).ok).to.equal(false);
  });

  it('Limiter: never more than its limit at once, and every run done', async () => {
    const l = new Limiter(2);
    let now = 0;
    let most = 0;
    const runs = Array.from({ length: 7 }, (_, i) => l.run(async () => {
      most = Math.max(most, ++now);
      await new Promise((r) => setImmediate(r));
      now--;
      return i;
    }));
    expect(await Promise.all(runs)).to.deep.equal([0, 1, 2, 3, 4, 5, 6]);
    expect(most).to.equal(2);
  });
});

const body = (over: Partial<SnapshotBody> = {}): SnapshotBody => ({
  v: 2, id: '1700000000000-0badcafe', time: 1_700_000_000_000, host: 'h1', hostFacts: {},
  alert: { key: 'died|h1|web', rule: 'died', severity: 'critical', summary: 'web exited with code 3', value: 3, startsAt: 1_700_000_000_000 },
  container: {
    id: 'c1', name: 'web', image: 'app:1', state: 'exited', labels: {}, restartsInWindow: 0,
    info: { startedAt: 0, finishedAt: 0, exitCode: 3, oomKilled: false, restartCount: 0, pid: null, health: null, memLimit: null, pidsLimit: null },
  },
  events: [], samples: { mem_usage: [[1_699_999_990_000, 1e6], [1_700_000_000_000, 2e6]] }, baselines: {},
  processes: null, logs: null, inspect: null, capture: null, sources: { logs: null, processes: null }, notes: [], ...over,
});

const capture = (over: Partial<FaultCapture> = {}): FaultCapture => ({
  time: 1_700_000_000_020, trigger: 'die', errors: [],
  logs: [{ time: 1_699_999_999_000, stream: 'stderr', message: 'fatal' }, { time: null, stream: 'stdout', message: 'bye' }],
  inspect: json('inspect-unhealthy.facts.json'),
  processes: null,
  ...over,
});

describe('snapshot from a capture (processor side)', () => {
  it('fills logs, inspect and processes from a capture read around the fault, and says where they came from', () => {
    const b = body();
    expect(applyCapture(b, capture({ processes: [{ pid: 7, user: 'app', state: 'R', command: 'app' }] }), 600_000, 50)).to.equal(true);
    expect(b.logs).to.deep.equal([
      { time: 1_699_999_999_000, stream: 'stderr', message: 'fatal' },
      { time: 1_700_000_000_020, stream: 'stdout', message: 'bye' },
    ]);
    expect(b.inspect!.env).to.deep.equal(['MODE', 'DB_PASSWORD', 'PATH']);
    expect(b.sources).to.deep.equal({ logs: 'docker', processes: 'docker' });
    expect(b.capture).to.deep.equal({ time: 1_700_000_000_020, trigger: 'die', errors: [] });
  });

  it('a capture of an older fault, or one not running, leaves the rest to InfluxDB', () => {
    const b = body();
    expect(applyCapture(b, capture({ time: b.time - 700_000 }), 600_000, 50)).to.equal(false);
    expect(b.inspect).to.equal(null);
    const c = body();
    applyCapture(c, capture({ errors: ['logs: no such container'], logs: null }), 600_000, 50);
    expect(c.sources).to.deep.equal({ logs: null, processes: null });
    expect(c.notes).to.deep.equal(['capture: logs: no such container']);
  });

  it('version 1 bodies read as version 2', () => {
    const v1 = body({ v: 1 }) as Partial<SnapshotBody>;
    delete v1.inspect;
    delete v1.capture;
    delete v1.sources;
    v1.logs = [{ time: 1, stream: 'stdout', message: 'x' }];
    expect(upgradeSnapshot(v1 as SnapshotBody)).to.include({ inspect: null, capture: null });
    expect(upgradeSnapshot(v1 as SnapshotBody).sources).to.deep.equal({ logs: 'influxdb', processes: null });
  });
});

describe('snapshot links', () => {
  const links = new SnapshotLinks('https://alerts.example.test', 'api-token', 3_600_000);
  const at = 1_700_000_000_000;

  it('a notification\'s link opens its snapshot until it expires, and no other', () => {
    const u = new URL(links.url('1-0000abcd', at));
    expect(u.pathname).to.equal('/snapshots/1-0000abcd');
    const exp = u.searchParams.get('exp')!;
    const sig = u.searchParams.get('sig')!;
    expect(Number(exp)).to.equal(at + 3_600_000);
    expect(links.check('1-0000abcd', exp, sig, at + 1000)).to.equal(true);
    expect(links.check('1-0000abcd', exp, sig, at + 3_600_001), 'expired').to.equal(false);
    expect(links.check('2-0000abcd', exp, sig, at), 'another snapshot').to.equal(false);
    expect(links.check('1-0000abcd', String(Number(exp) + 1), sig, at), 'a longer life').to.equal(false);
    expect(links.check('1-0000abcd', exp, undefined, at)).to.equal(false);
    expect(new SnapshotLinks('', 'other-token', 3_600_000).check('1-0000abcd', exp, sig, at), 'another token').to.equal(false);
    expect(sig).to.not.contain('api-token');
  });

  it('without a public address there is no link; without a token or TTL it asks for the token', () => {
    expect(new SnapshotLinks('', 'api-token', 1000).url('1-0000abcd', at)).to.equal('');
    expect(new SnapshotLinks('http://a:9095', '', 1000).url('1-0000abcd', at)).to.equal('http://a:9095/snapshots/1-0000abcd');
    expect(new SnapshotLinks('http://a:9095', 't', 0).url('1-0000abcd', at)).to.equal('http://a:9095/snapshots/1-0000abcd');
    expect(new SnapshotLinks('http://a:9095', 't', 0).check('1-0000abcd', String(at + 1), 'x', at)).to.equal(false);
  });
});

describe('snapshot page', () => {
  const evil = '<script>alert(1)</script>"\'&';

  it('shows every section; hostile text anywhere is escaped', () => {
    const b = body({
      host: evil,
      alert: { key: evil, rule: evil, severity: 'critical', summary: evil, value: null, startsAt: 1_700_000_000_000 },
      container: { ...body().container, name: evil, image: evil, labels: { [evil]: evil } },
      events: [{ time: 1, action: evil, detail: evil }],
      logs: [{ time: 1, stream: 'stderr', message: evil }],
      processes: [{ pid: 1, user: evil, state: 'S', command: evil }],
      inspect: { ...json('inspect-unhealthy.facts.json'), env: [evil], command: [evil] },
      samples: { [evil]: [[1, 2], [2, 3]] },
      notes: [evil],
    });
    const html = snapshotPage(b, { json: '/api/snapshots/x', dashboard: `http://g/d/x?a=${evil}` });
    expect(html).to.not.contain('<script>');
    expect(html).to.not.contain(evil);
    expect(html).to.contain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
    for (const h of ['Container', 'Inspect at the fault', 'Last log lines', 'Processes', 'Metric windows', 'Docker events before the fault', 'Notes']) {
      expect(html, h).to.contain(`<h2>${h}</h2>`);
    }
    expect(html).to.contain('<h3>Environment variables (values not recorded)</h3>');
    expect(html).to.contain('db unreachable');
    expect(html).to.match(/<svg [^>]*><polyline [^>]*points="[\d., ]+"\/><\/svg>/);
  });

  it('a body of the wrong shape (InfluxDB holds what anyone wrote) renders without throwing', () => {
    const odd = { ...body(), logs: 'not a list', samples: { m: 'x' }, processes: [null, 5], events: { a: 1 }, container: null, alert: 7 } as unknown as SnapshotBody;
    const html = snapshotPage(odd, { json: '/x', dashboard: '' });
    expect(html).to.contain('No log lines.');
  });
});
