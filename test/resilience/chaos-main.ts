/**
 * npm run chaos [-- --duration 10m --containers 50 --crashers 10 --seed 1 --interval 5s --repeat 2 --fault 60s --keep]
 *
 * Runs the chaos run (test/resilience/chaos.ts) and prints its table; exits 1
 * when a target was missed. --repeat: how often each fault kind is injected
 * (default: twice in 10 minutes, fewer in a shorter run); --fault: how long
 * InfluxDB and the SMTP peer stay down and the network to InfluxDB slow.
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../../common/duration.js';
import { runChaos } from './chaos.js';

const { values: a } = parseArgs({
  options: {
    duration: { type: 'string', default: '10m' },
    containers: { type: 'string', default: '50' },
    crashers: { type: 'string', default: '10' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
    interval: { type: 'string', default: '5s' },
    repeat: { type: 'string' },
    fault: { type: 'string', default: '60s' },
    keep: { type: 'boolean', default: false },
  },
});
const durationMs = parseDuration(a.duration!);
const faultMs = parseDuration(a.fault!);
// Three long faults per round, with room around them.
const repeat = a.repeat ? Number(a.repeat) : Math.max(1, Math.floor((durationMs - faultMs) / (4 * faultMs)));
const report = await runChaos({
  durationMs, containers: Number(a.containers), crashers: Number(a.crashers), seed: Number(a.seed),
  intervalMs: parseDuration(a.interval!), repeat, faultMs, keep: a.keep, log: (l) => console.error(l),
});
console.log(report.table);
process.exit(report.misses.length ? 1 : 0);
