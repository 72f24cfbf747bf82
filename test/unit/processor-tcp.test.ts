/** The processor's TCP-state and posture rules on sample sequences. */
import { expect } from 'chai';
import { parseConfig } from '../../common/config.js';
import { HostEngine } from '../../processor/engine.js';
import { decodeHostState, encodeHostState } from '../../processor/state.js';
import { validateSamples, type ContainerSample, type SamplesPayload } from '../../common/queue/payload.js';

const T0 = 1_700_000_000_000;
const STEP = 30_000;

const ctr = (over: Partial<ContainerSample> = {}): ContainerSample => ({
  id: 'a'.repeat(64), name: 'web', image: 'nginx:1', state: 'running', startedAt: T0 - 3_600_000, restartCount: 0,
  cpu: { percent: 10 }, mem: { usage: 100, limit: 1000, percent: null }, pids: { current: 1, limit: null }, ...over,
});
const tcp = (over: Partial<NonNullable<ContainerSample['tcp']>> = {}) => ({ established: 10, synRecv: 0, timeWait: 0, closeWait: 0, portRange: 28232, ...over });

/** Feeds one sample per step through encode/decode, as the consumer does; returns the transitions as "rule status @step". */
function run(overrides: Record<string, unknown>, steps: Array<Partial<ContainerSample>>): string[] {
  const cfg = parseConfig({ processor: { thresholds: { warmup: '2m' }, ...overrides } });
  const engine = new HostEngine(cfg.processor, false);
  let raw: Buffer | null = null;
  const out: string[] = [];
  steps.forEach((over, i) => {
    const p: SamplesPayload = { v: 1, host: 'h', time: T0 + i * STEP, prevId: null, containers: [ctr(over)] };
    const valid = validateSamples(p);
    expect(valid.ok, JSON.stringify(valid)).to.equal(true);
    const s = decodeHostState('h', raw);
    for (const tr of engine.applySamples(s, p).transitions) out.push(`${tr.alert.rule} ${tr.status} @${i}`);
    raw = encodeHostState(s);
  });
  return out;
}

const repeat = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));

describe('TCP state rules', () => {
  it('CLOSE_WAIT at or above min for the for-duration fires; falling below resolves', () => {
    const steps = [
      ...repeat(3, () => ({ tcp: tcp({ closeWait: 2 }) })),
      ...repeat(12, () => ({ tcp: tcp({ closeWait: 25 }) })), // 5 min = 10 steps of 30 s
      { tcp: tcp({ closeWait: 1 }) },
    ];
    expect(run({}, steps)).to.deep.equal(['tcp_close_wait firing @13', 'tcp_close_wait resolved @15']);
    expect(run({ faults: { closeWait: { enabled: false } } }, steps)).to.deep.equal([]);
    expect(run({ faults: { closeWait: { min: 30 } } }, steps)).to.deep.equal([]);
  });

  it('TIME_WAIT near the ephemeral port range: ratio of the container\'s own range, for the for-duration', () => {
    const steps = [
      { tcp: tcp({ timeWait: 500, portRange: 1000 }) }, // 50 % of a narrowed range
      { tcp: tcp({ timeWait: 600, portRange: 1000 }) },
      { tcp: tcp({ timeWait: 600, portRange: 1000 }) }, // held 1 min
      { tcp: tcp({ timeWait: 100, portRange: 1000 }) },
    ];
    expect(run({}, steps)).to.deep.equal(['tcp_time_wait firing @2', 'tcp_time_wait resolved @3']);
    // The default range (28232 ports) is far away.
    expect(run({}, steps.map(() => ({ tcp: tcp({ timeWait: 600 }) })))).to.deep.equal([]);
    expect(run({ faults: { timeWait: { ratio: 0.9 } } }, steps)).to.deep.equal([]);
  });

  it('SYN_RECV surge against the learned band, above the floor; back in the band resolves', () => {
    const quiet = repeat(20, (i) => ({ tcp: tcp({ synRecv: i % 3 }) }));
    const steps = [...quiet, { tcp: tcp({ synRecv: 300 }) }, { tcp: tcp({ synRecv: 280 }) }, { tcp: tcp({ synRecv: 1 }) }];
    expect(run({}, steps)).to.deep.equal(['tcp_syn_recv firing @20', 'tcp_syn_recv resolved @22']);
    // Below the floor a jump out of the band is no surge.
    expect(run({}, [...quiet, { tcp: tcp({ synRecv: 15 }) }])).to.deep.equal([]);
    // No verdict while learning.
    expect(run({}, [{ tcp: tcp() }, { tcp: tcp({ synRecv: 300 }) }])).to.deep.equal([]);
    expect(run({ faults: { synRecv: { enabled: false } } }, steps)).to.deep.equal([]);
  });

  it('a stopped container (no counts) resolves what fired', () => {
    const steps = [...repeat(12, () => ({ tcp: tcp({ closeWait: 50 }) })), { state: 'exited', tcp: null, cpu: null, mem: null }];
    expect(run({}, steps)).to.deep.equal(['tcp_close_wait firing @10', 'tcp_close_wait resolved @12']);
  });
});

describe('posture rule', () => {
  const risky = { posture: { score: 75, critical: ['5.31'] } };
  it('is off by default', () => {
    expect(run({}, [risky, risky])).to.deep.equal([]);
  });
  it('when on, fires while a container with a critical finding runs, resolves when it stops', () => {
    const on = { faults: { posture: { enabled: true } } };
    expect(run(on, [{ posture: { score: 90, critical: [] } }, risky, risky, { ...risky, state: 'exited' }])).to.deep.equal([
      'posture_critical firing @1', 'posture_critical resolved @3',
    ]);
  });
});
