import { expect } from 'chai';
import { detectLevel } from '../../collector/logs/level.js';
import { PatternCounter, compilePatterns } from '../../collector/logs/patterns.js';
import { TokenBucket } from '../../collector/logs/ratelimit.js';
import { logSelector, globToRegExp } from '../../collector/logs/select.js';
import { ContainerLogState } from '../../collector/logs/state.js';

describe('log level detection', () => {
  const cases: Array<[string, string]> = [
    ['level=error msg="disk full"', 'error'],
    ['time=2024 level=warning msg=x', 'warn'],
    ['{"level":"info","msg":"started"}', 'info'],
    ['{"severity": "DEBUG", "message": "x"}', 'debug'],
    ['[ERROR] connection refused', 'error'],
    ['[main] [warn] slow', 'warn'],
    ['2024-05-07 12:00:00,123 INFO  server: listening', 'info'],
    ['2024-05-07T12:00:00Z WARN something odd', 'warn'],
    ['<debug> cache miss', 'debug'],
    ['error: cannot open file', 'error'],
    ['Warning: deprecated option', 'warn'],
    ['E0507 12:00:00.000000    1 main.go:10] failed', 'error'],
    ['I0507 12:00:00.000000    1 main.go:10] ok', 'info'],
    ['panic: runtime error: index out of range', 'error'],
    ['Traceback (most recent call last):', 'error'],
    ['FATAL: database is shut down', 'error'],
    ['CRITICAL disk', 'error'],
    ['TRACE entering', 'debug'],
    ['listening on port 8080', 'unknown'],
    ['there was no error today', 'unknown'],
    ['STDERR redirected', 'unknown'],
    ['', 'unknown'],
    ['한국어 메시지 😀', 'unknown'],
  ];
  for (const [text, want] of cases) it(`${JSON.stringify(text)} → ${want}`, () => expect(detectLevel(text)).to.equal(want));
});

describe('pattern counting', () => {
  it('counts lines per pattern, case-insensitive, and reports zeros', () => {
    const c = new PatternCounter(compilePatterns({ error: 'error', fatal: 'fatal', panic: 'panic', exception: 'exception' }));
    for (const l of ['ERROR one', 'an Error', 'NullPointerException', 'fatal error', 'fine']) c.count(l);
    expect(Object.fromEntries(c.take())).to.deep.equal({ error: 3, fatal: 1, panic: 0, exception: 1 });
    expect(Object.fromEntries(c.take())).to.deep.equal({ error: 0, fatal: 0, panic: 0, exception: 0 });
  });

  it('takes regular expressions', () => {
    const c = new PatternCounter(compilePatterns({ timeout: 'time(d)?\\s*out' }));
    c.count('Timed out after 5s');
    c.count('TIMEOUT');
    c.count('time');
    expect(c.take().get('timeout')).to.equal(2);
  });
});

describe('rate limiter', () => {
  it('lets the burst through, then the rate', () => {
    const b = new TokenBucket(10, 5);
    let ok = 0;
    for (let i = 0; i < 100; i++) if (b.take(1000)) ok++;
    expect(ok).to.equal(5);
    // 1 s later: 10 more (capped by burst 5).
    ok = 0;
    for (let i = 0; i < 100; i++) if (b.take(2000)) ok++;
    expect(ok).to.equal(5);
    // 100 ms later: 1 more.
    ok = 0;
    for (let i = 0; i < 100; i++) if (b.take(2100)) ok++;
    expect(ok).to.equal(1);
  });

  it('a steady flow at the rate is never dropped', () => {
    const b = new TokenBucket(100, 1);
    for (let t = 0; t < 10_000; t += 10) expect(b.take(t)).to.equal(true);
  });

  it('a clock going backwards neither adds tokens nor breaks', () => {
    const b = new TokenBucket(1, 1);
    expect(b.take(5000)).to.equal(true);
    expect(b.take(1000)).to.equal(false);
    expect(b.take(5999)).to.equal(false);
    expect(b.take(6000)).to.equal(true);
  });
});

describe('log container selection', () => {
  it('all containers when nothing is set', () => expect(logSelector({ labels: [], names: [] })('x', {})).to.equal(true));
  it('by name glob or label', () => {
    const s = logSelector({ labels: ['logs', 'team=web'], names: ['api-*', 'db?'] });
    expect(s('api-1', {})).to.equal(true);
    expect(s('db1', {})).to.equal(true);
    expect(s('db12', {})).to.equal(false);
    expect(s('x', { logs: '' })).to.equal(true);
    expect(s('x', { team: 'web' })).to.equal(true);
    expect(s('x', { team: 'ops' })).to.equal(false);
    expect(globToRegExp('a.b*').test('a.bcd')).to.equal(true);
    expect(globToRegExp('a.b*').test('axbcd')).to.equal(false);
  });
});

describe('log resume and collisions', () => {
  const opts = { rate: 1000, burst: 1000, patterns: compilePatterns({ error: 'error' }) };
  it('skips replayed lines at or before the floor of their stream', () => {
    const s = new ContainerLogState(opts, new Map([['stdout', 100n]]));
    expect(s.accept('stdout', 99n, 'a', 1).write).to.equal(false);
    expect(s.accept('stdout', 100n, 'b', 1).write).to.equal(false);
    expect(s.accept('stderr', 50n, 'c', 1)).to.deep.equal({ write: true, ns: 50n });
    expect(s.accept('stdout', 101n, 'd', 1)).to.deep.equal({ write: true, ns: 101n });
    expect(s.since(7n)).to.equal(100n);
  });

  it('moves a line 1 ns on when its stream already has one at that time', () => {
    const s = new ContainerLogState(opts);
    expect(s.accept('stdout', 10n, 'a', 1)).to.deep.equal({ write: true, ns: 10n });
    expect(s.accept('stdout', 10n, 'b', 1)).to.deep.equal({ write: true, ns: 11n });
    expect(s.accept('stderr', 10n, 'c', 1)).to.deep.equal({ write: true, ns: 10n });
  });

  it('the rate limit meters the log time: a backlog written slowly passes, a flood does not', () => {
    const s = new ContainerLogState({ ...opts, burst: 2, rate: 10 });
    // 100 lines, 100 ms apart in the log (10/s), all arriving at once.
    for (let i = 0; i < 100; i++) expect(s.accept('stdout', BigInt(i) * 100_000_000n, `l${i}`, 1).write).to.equal(true);
    // 100 lines within one ms: the burst passes.
    let written = 0;
    for (let i = 0; i < 100; i++) if (s.accept('stdout', 20_000_000_000n + BigInt(i) * 1000n, `f${i}`, 1).write) written++;
    expect(written).to.equal(2);
  });

  it('rewinding makes everything seen the floor, dropped lines included', () => {
    const s = new ContainerLogState({ ...opts, burst: 1, rate: 0.001 });
    s.accept('stdout', 10n, 'a', 1);
    expect(s.accept('stdout', 20n, 'error b', 1)).to.deep.equal({ write: false, reason: 'dropped' });
    expect(s.rewind(undefined)).to.equal(20n);
    expect(s.accept('stdout', 20n, 'again', 1).write).to.equal(false);
    const t = s.take();
    expect(t.counts).to.deep.equal({ lines: 2, written: 1, dropped: 1, bytes: 2 });
    expect(t.matches.get('error')).to.equal(1);
  });
});
