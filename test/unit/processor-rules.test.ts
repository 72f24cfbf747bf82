import { expect } from 'chai';
import { parseConfig } from '../../common/config.js';
import { AlertBook, type Condition } from '../../processor/alerts.js';
import { HostEngine } from '../../processor/engine.js';
import { newHostState, decodeHostState, encodeHostState, type HostState } from '../../processor/state.js';
import { validateSamples, validateEvent, type SamplesPayload, type EventPayload, type ContainerSample } from '../../common/queue/payload.js';
import { shardOf } from '../../common/queue/shard.js';
import { shardPrefix } from '../../common/queue/names.js';
import { snapshotIdFor, snapshotTime } from '../../common/snapshot.js';

const T0 = 1_700_000_000_000;
const cond = (active: boolean, forMs = 0): Condition => ({
  rule: 'r', active, severity: 'warning', summary: () => 'x', value: 1, forMs, labels: {}, container: 'c', containerId: 'id',
});

describe('alert life cycle', () => {
  it('pending until the for-duration held, then firing once, then resolved', () => {
    const alerts = {};
    const book = new AlertBook(alerts, 'h');
    expect(book.apply(cond(true, 60_000), T0)).to.equal(undefined);
    expect(book.apply(cond(true, 60_000), T0 + 30_000)).to.equal(undefined);
    const fired = book.apply(cond(true, 60_000), T0 + 60_000)!;
    expect(fired.status).to.equal('firing');
    expect(fired.key).to.equal('r|h|c');
    expect(fired.alert.startsAt).to.equal(T0 + 60_000);
    expect(book.apply(cond(true, 60_000), T0 + 90_000)).to.equal(undefined);
    const res = book.apply(cond(false, 60_000), T0 + 120_000)!;
    expect(res.status).to.equal('resolved');
    expect(res.alert.startsAt).to.equal(T0 + 60_000);
    expect(book.apply(cond(false, 60_000), T0 + 150_000)).to.equal(undefined);
  });

  it('a pending condition that lapses is forgotten; a gap restarts the for-duration', () => {
    const book = new AlertBook({}, 'h');
    book.apply(cond(true, 60_000), T0);
    expect(book.apply(cond(false, 60_000), T0 + 30_000)).to.equal(undefined);
    expect(book.apply(cond(true, 60_000), T0 + 60_000)).to.equal(undefined);
    // not continuous: the silence does not count as held
    expect(book.apply(cond(true, 60_000), T0 + 600_000, false)).to.equal(undefined);
    expect(book.apply(cond(true, 60_000), T0 + 660_000)!.status).to.equal('firing');
  });
});

const cfg = parseConfig({
  processor: {
    rules: [{ name: 'rx_high', metric: 'net_rx_rate', op: '>', value: 1000 }],
    thresholds: { warmup: '2m', for: '0s' },
  },
});

const ctr = (over: Partial<ContainerSample> = {}): ContainerSample => ({
  id: 'a'.repeat(64), name: 'web', image: 'nginx:1', state: 'running', startedAt: T0 - 3_600_000, restartCount: 0,
  cpu: { percent: 10 }, mem: { usage: 100, limit: 1000, percent: null }, net: { rx: 0, tx: 0 }, blkio: { read: 0, write: 0 },
  pids: { current: 1, limit: null }, ...over,
});
const samples = (i: number, c: ContainerSample[], prevId: string | null = null): SamplesPayload =>
  ({ v: 1, host: 'h', time: T0 + i * 30_000, prevId, containers: c });
const ev = (time: number, action: string, attributes: Record<string, string> = {}, prevId: string | null = null): EventPayload =>
  ({ v: 1, host: 'h', time, nano: (BigInt(time) * 1_000_000n).toString(), prevId, type: 'container', action, id: 'a'.repeat(64), name: 'web', attributes });

/** Runs the jobs through encode/decode between each, as the consumer does. */
function run(engine: HostEngine, jobs: Array<SamplesPayload | EventPayload>, start?: Buffer | string) {
  let raw: Buffer | string | null = start ?? null;
  const transitions: Array<{ key: string; status: string; time: number }> = [];
  let lines = 0;
  for (const j of jobs) {
    const s = decodeHostState('h', raw);
    const r = 'containers' in j ? engine.applySamples(s, j) : engine.applyEvent(s, j);
    for (const t of r.transitions) transitions.push({ key: t.key, status: t.status, time: t.time });
    lines += r.lines.length;
    raw = encodeHostState(s);
  }
  return { transitions, raw: raw!, lines };
}

describe('processor engine', () => {
  const engine = new HostEngine(cfg.processor);

  it('orders jobs: duplicates and late jobs are skipped, a missing predecessor is reported', () => {
    const s = newHostState('h');
    expect(engine.orderSamples(s, samples(0, []))).to.equal('apply');
    engine.applySamples(s, samples(0, []));
    s.lid = 'job-0';
    expect(engine.orderSamples(s, samples(0, []))).to.equal('skip');
    expect(engine.orderSamples(s, samples(1, [], 'job-0'))).to.equal('apply');
    expect(engine.orderSamples(s, samples(2, [], 'job-1'))).to.equal('predecessor');
    engine.applySamples(s, samples(2, []));
    s.lid = 'job-2';
    expect(engine.orderSamples(s, samples(1, [], 'job-0'))).to.equal('skip');
    const e1 = ev(T0 + 1000, 'start', {}, 'job-2');
    expect(engine.orderEvent(s, e1)).to.equal('apply');
    engine.applyEvent(s, e1);
    s.lid = 'job-3';
    expect(engine.orderEvent(s, e1)).to.equal('skip');
    expect(engine.orderEvent(s, ev(T0 + 3000, 'kill', {}, 'job-4'))).to.equal('predecessor');
  });

  it('a counter reset after a restart, NaN values and a gap raise no alert', () => {
    const jobs: SamplesPayload[] = [];
    let rx = 0;
    for (let i = 0; i < 12; i++) {
      rx += 1000 * 30;
      jobs.push(samples(i, [ctr({ net: { rx, tx: 0 } })]));
    }
    // restart: counters from zero, new startedAt
    jobs.push(samples(12, [ctr({ startedAt: T0 + 12 * 30_000 - 1000, net: { rx: 500, tx: 0 } })]));
    // NaN arrives as null
    jobs.push(samples(13, [ctr({ startedAt: T0 + 12 * 30_000 - 1000, net: { rx: null, tx: 0 }, cpu: { percent: null } })]));
    // a 20-minute gap with the counter far ahead
    jobs.push(samples(53, [ctr({ startedAt: T0 + 12 * 30_000 - 1000, net: { rx: 900_000_000, tx: 0 } })]));
    const r = run(engine, jobs);
    expect(r.transitions.filter((t) => t.key.startsWith('rx_high'))).to.deep.equal([]);
    // the window holds only the true rate (1000 B/s): no sample from the reset or across the gap
    const w = decodeHostState('h', r.raw).c['a'.repeat(64)].m.net_rx_rate.w;
    for (let i = 1; i < w.length; i += 2) expect(w[i]).to.equal(1000);
  });

  it('a rate above a static rule fires and resolves', () => {
    const r = run(engine, [
      samples(0, [ctr({ net: { rx: 0, tx: 0 } })]),
      samples(1, [ctr({ net: { rx: 60_000, tx: 0 } })]),
      samples(2, [ctr({ net: { rx: 61_000, tx: 0 } })]),
    ]);
    expect(r.transitions.map((t) => [t.key, t.status])).to.deep.equal([['rx_high|h|web', 'firing'], ['rx_high|h|web', 'resolved']]);
  });

  it('docker stop (kill, die, stop) is no fault; a crash and docker kill are', () => {
    const stop = run(engine, [
      samples(0, [ctr()]),
      ev(T0 + 1000, 'kill', { signal: '15' }),
      ev(T0 + 1500, 'die', { exitCode: '143' }),
      ev(T0 + 1600, 'stop', {}),
      samples(1, [ctr({ state: 'exited', cpu: null, mem: null, net: null })]),
    ]);
    expect(stop.transitions).to.deep.equal([]);
    const crash = run(engine, [
      samples(0, [ctr()]),
      ev(T0 + 1000, 'die', { exitCode: '1' }),
      samples(1, [ctr({ state: 'exited', exitCode: 1, cpu: null, mem: null, net: null })]),
      ev(T0 + 40_000, 'start', {}),
      samples(2, [ctr({ startedAt: T0 + 40_000 })]),
    ]);
    expect(crash.transitions).to.deep.equal([
      { key: 'died|h|web', status: 'firing', time: T0 + 1000 },
      { key: 'died|h|web', status: 'resolved', time: T0 + 40_000 },
    ]);
    const killed = run(engine, [
      samples(0, [ctr()]),
      ev(T0 + 1000, 'kill', { signal: '9' }),
      ev(T0 + 1100, 'die', { exitCode: '137' }),
      samples(1, [ctr({ state: 'exited', exitCode: 137, cpu: null, mem: null, net: null })]),
    ]);
    expect(killed.transitions.map((t) => t.key + ' ' + t.status)).to.deep.equal(['died|h|web firing']);
  });

  it('a crash fires on its die event at once; a die after a kill waits for stopGrace; Podman dies always wait', () => {
    const s = newHostState('h');
    engine.applySamples(s, samples(0, [ctr()]));
    const crash = engine.applyEvent(s, ev(T0 + 1000, 'die', { exitCode: '139' }));
    expect(crash.transitions.map((t) => [t.key, t.status, t.time])).to.deep.equal([['died|h|web', 'firing', T0 + 1000]]);

    const k = newHostState('h');
    engine.applySamples(k, samples(0, [ctr()]));
    expect(engine.applyEvent(k, ev(T0 + 1000, 'kill', { signal: '9' })).transitions).to.deep.equal([]);
    expect(engine.applyEvent(k, ev(T0 + 1100, 'die', { exitCode: '137' })).transitions).to.deep.equal([]);
    // No stop followed within stopGrace (10 s): the next job calls it.
    expect(engine.applyEvent(k, ev(T0 + 12_000, 'exec_create', {})).transitions.map((t) => t.status)).to.deep.equal(['firing']);

    const p = newHostState('h');
    engine.applySamples(p, samples(0, [ctr()]));
    // Podman: a requested stop sends die alone too, so the die waits for a removal within stopGrace.
    expect(engine.applyEvent(p, { ...ev(T0 + 1000, 'die', { exitCode: '137' }), engine: 'podman' }).transitions).to.deep.equal([]);
    expect(engine.applyEvent(p, { ...ev(T0 + 1500, 'destroy', {}), engine: 'podman' }).transitions).to.deep.equal([]);
    expect(engine.applySamples(p, samples(1, [])).transitions).to.deep.equal([]);
  });

  it('OOM from the event and from OOMKilled is one alert; a restart loop fires on restart_count', () => {
    const oom = run(engine, [
      samples(0, [ctr()]),
      ev(T0 + 1000, 'oom'),
      samples(1, [ctr({ state: 'exited', oomKilled: true, finishedAt: T0 + 1002, cpu: null, mem: null, net: null })]),
    ]);
    expect(oom.transitions.map((t) => t.key + ' ' + t.status)).to.deep.equal(['oom|h|web firing']);
    const loop = run(engine, [0, 1, 1, 2, 3].map((n, i) => samples(i, [ctr({ restartCount: n })])));
    expect(loop.transitions.map((t) => t.key + ' ' + t.status)).to.deep.equal(['restart_loop|h|web firing']);
  });

  it('state survives encode/decode: the same jobs give the same outputs with or without a restart between', () => {
    const jobs: SamplesPayload[] = [];
    for (let i = 0; i < 40; i++) jobs.push(samples(i, [ctr({ cpu: { percent: i === 30 ? 400 : 10 + (i % 3) }, net: { rx: i * 30_000, tx: 0 } })]));
    const whole = run(engine, jobs);
    const first = run(engine, jobs.slice(0, 25));
    const rest = run(engine, jobs.slice(25), first.raw);
    expect(decodeHostState('h', rest.raw)).to.deep.equal(decodeHostState('h', whole.raw));
    expect([...first.transitions, ...rest.transitions]).to.deep.equal(whole.transitions);
    expect(whole.transitions.some((t) => t.key.startsWith('anomaly.cpu_percent'))).to.equal(true);
  });

  it('log error rate: the matches carried by the samples, summed over the window, per minute; resolves once they age out', () => {
    // window 5m, rate 10/min: 60 "error" lines in one 30 s sample is 12 a minute over the window
    const logs = (i: number, error: number | undefined) => samples(i, [ctr(error === undefined ? {} : { logMatches: { error, fatal: 100 } })]);
    const quiet = run(engine, [logs(0, 0), logs(1, 40), logs(2, 0)]);
    expect(quiet.transitions, '40 in the window: 8 a minute').to.deep.equal([]);
    const r = run(engine, [logs(0, 0), logs(1, 40), logs(2, 20)]);
    expect(r.transitions.map((t) => [t.key, t.status])).to.deep.equal([['log_errors|h|web', 'firing']]);
    // the fatal counts do not count: only the configured pattern
    expect(decodeHostState('h', r.raw).c['a'.repeat(64)].logs!.rate).to.equal(12);
    // logs no longer followed (no matches in the samples): zeros until the window is empty
    const later = Array.from({ length: 11 }, (_, i) => logs(3 + i, undefined));
    const done = run(engine, [logs(0, 0), logs(1, 40), logs(2, 20), ...later]);
    expect(done.transitions.map((t) => [t.status, t.time])).to.deep.equal([['firing', T0 + 2 * 30_000], ['resolved', T0 + 11 * 30_000]]);
    expect(decodeHostState('h', done.raw).c['a'.repeat(64)].logs).to.equal(null);
  });

  it('a removed container resolves its alerts and leaves the state', () => {
    const r = run(engine, [samples(0, [ctr()]), samples(1, [ctr({ restartCount: 5 })]), samples(2, [])]);
    expect(r.transitions.map((t) => t.status)).to.deep.equal(['firing', 'resolved']);
    expect(decodeHostState('h', r.raw).c).to.deep.equal({});
  });
});

describe('queue payloads and shards', () => {
  it('accepts a valid samples payload and names what is wrong with a bad one', () => {
    expect(validateSamples(samples(0, [ctr()])).ok).to.equal(true);
    const bad = validateSamples({ v: 1, host: 'h', time: T0, containers: [{ id: 'x', image: 'i', state: 'running' }] });
    expect(bad.ok).to.equal(false);
    expect((bad as { reason: string }).reason).to.match(/containers\.0\.name/);
    const version = validateSamples({ v: 2, host: 'h', time: T0, containers: [] });
    expect((version as { reason: string }).reason).to.match(/unsupported version 2/);
    expect(validateEvent({ v: 1, host: 'h', time: T0, nano: 'x', type: 'container', action: 'die', id: 'i' }).ok).to.equal(false);
  });

  it('a host always maps to the same shard, and shards spread', () => {
    expect(shardOf('host-a', 8)).to.equal(shardOf('host-a', 8));
    const counts = new Array(8).fill(0);
    for (let i = 0; i < 8000; i++) counts[shardOf(`host-${i}`, 8)]++;
    for (const c of counts) expect(c).to.be.within(800, 1200);
    expect(shardPrefix('{shipwatch}', 3)).to.equal('{shipwatch:s3}');
  });

  it('snapshot IDs are stable and carry their time', () => {
    const id = snapshotIdFor('died|h|web', T0);
    expect(id).to.equal(snapshotIdFor('died|h|web', T0));
    expect(snapshotTime(id)).to.equal(T0);
    expect(snapshotTime('nope')).to.equal(undefined);
  });
});

export type { HostState };
