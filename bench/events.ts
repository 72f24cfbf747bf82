/**
 * npm run bench:events [-- --kills 15 --spacing 2000]
 *
 * How soon a container's death is queryable in InfluxDB: kills N containers one
 * after another (spread over one metrics interval, so every phase of the cycle
 * is sampled) and measures, from Docker's own event time, until
 *  - its `die` event is in docker_event (written as it happens), and
 *  - its exit code is in docker_container_status (written by the 30 s metrics cycle).
 * Prints one line: both medians and their ratio, measured in the same run.
 */
import { parseArgs } from 'node:util';
import { services, docker, testConfig, freshDatabase, runContainer, cleanup, uniqueRun } from '../test/helpers/services.js';
import { createLogger } from '../common/log.js';
import { literal, type InfluxQL } from '../common/influx/query.js';
import { startCollectorParts } from '../collector/service.js';
import { MEASUREMENT, STATUS_FIELDS } from '../common/schema.js';
import { parseRfc3339Nano } from '../collector/nstime.js';
import { median } from './measure.js';

const { values: args } = parseArgs({
  options: {
    kills: { type: 'string', default: '15' },
    spacing: { type: 'string', default: '2000' },
  },
});
const KILLS = Number(args.kills);
const SPACING = Number(args.spacing);
const DB = 'bench_events';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

/** Polls until the query returns a row; resolves with the wall time it was first seen. */
async function seen(q: InfluxQL, query: string, everyMs: number, timeoutMs: number): Promise<{ at: number; row: Record<string, unknown> }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await q.rows(query, { epoch: 'rfc3339' });
    if (r[0]) return { at: Date.now(), row: r[0] };
    if (Date.now() > deadline) throw new Error(`not seen within ${timeoutMs} ms: ${query}`);
    await sleep(everyMs);
  }
}

services();
const d = docker();
const q = await freshDatabase(DB);
const run = uniqueRun('bench-events');
const cfg = testConfig(DB, {
  'collector.processes.enabled': false,
  'collector.disk.enabled': false,
  'collector.images.enabled': false,
});
// The influx writer's own flush interval as shipped (1 s), not the tests' 200 ms.
cfg.influx.flushInterval = 1000;
const c = await startCollectorParts(cfg, createLogger('bench', 'warn'));
const eventMs: number[] = [];
const cycleMs: number[] = [];
try {
  while (!c.events.connected) await sleep(20);
  const watchers: Array<Promise<void>> = [];
  for (let i = 0; i < KILLS; i++) {
    const name = `${run}-${i}`;
    const ctr = await runContainer(d, run, { name, cmd: ['sleep', '3600'] });
    // Let a cycle see it running first, as it would be in production.
    await sleep(200);
    await ctr.kill({ signal: 'SIGKILL' });
    const die = await seen(q, `SELECT "exitcode" FROM "${MEASUREMENT.event}" WHERE "container_name" = ${literal(name)} AND "action" = 'die'`, 2, 20_000);
    const dieMs = Number(parseRfc3339Nano(die.row.time as string)! / 1_000_000n);
    eventMs.push(die.at - dieMs);
    watchers.push(
      seen(q, `SELECT "${STATUS_FIELDS.exitCode}" FROM "${MEASUREMENT.status}" WHERE "container_name" = ${literal(name)} AND "${STATUS_FIELDS.exitCode}" = 137`, 100, cfg.collector.interval * 3)
        .then((s) => void cycleMs.push(s.at - dieMs)),
    );
    await sleep(SPACING);
  }
  await Promise.all(watchers);
} finally {
  await c.stop();
  await cleanup(d, run);
}
const e = median(eventMs);
const m = median(cycleMs);
console.log(
  `events: die queryable after median ${e.toFixed(0)} ms (p90 ${pct(eventMs, 0.9).toFixed(0)} ms, n=${eventMs.length}); ` +
    `through the ${cfg.collector.interval / 1000} s metrics cycle: median ${(m / 1000).toFixed(1)} s; ${(m / e).toFixed(0)}x sooner`,
);
process.exit(0);
