/**
 * The chaos run (test/resilience/chaos.ts, `npm run chaos` for the full ten
 * minutes), short: the whole pipeline as separate processes, every fault kind
 * injected once (the long ones for 15 s), a few containers crashing on a
 * schedule. Nothing a user relies on is lost: every point the collector owed,
 * every rollup, every crash's alert, email and recovery, and no email twice.
 */
import { expect } from 'chai';
import { runChaos, FAULTS } from '../resilience/chaos.js';

describe('chaos run, short: every fault once, nothing lost', function () {
  this.timeout(15 * 60_000);

  it('counts every point, alert, email and recovery as expected, with no duplicate email', async () => {
    const r = await runChaos({
      durationMs: 150_000, faultMs: 15_000, containers: 12, crashers: 3, seed: 14, intervalMs: 5_000, repeat: 1,
      log: process.env.SHIPWATCH_TEST_LOG ? (l) => console.error(l) : undefined,
    });
    expect(new Set(r.faults.map((f) => f.kind)), 'faults injected').to.deep.equal(new Set(FAULTS));
    expect(r.crashes, 'crashes').to.be.greaterThan(0);
    expect(r.misses, r.table).to.deep.equal([]);
  });
});
