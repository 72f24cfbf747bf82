/**
 * npm run soak [-- --duration 30m --containers 200 --interval 30s --keep]
 *
 * Runs the soak run (test/resilience/soak.ts) and prints its table; exits 1
 * when memory did not level off. --interval: collector.interval (default: the
 * shipped one).
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../../common/duration.js';
import { runSoak } from './soak.js';

const { values: a } = parseArgs({
  options: {
    duration: { type: 'string', default: '30m' },
    containers: { type: 'string', default: '200' },
    interval: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const report = await runSoak({
  durationMs: parseDuration(a.duration!), containers: Number(a.containers),
  intervalMs: a.interval ? parseDuration(a.interval) : undefined, keep: a.keep, log: (l) => console.error(l),
});
console.log(report.table);
process.exit(report.misses.length ? 1 : 0);
