/**
 * npm run bench:alerts [-- --kills 20]
 *
 * Latency of the whole alert path with a real container: `docker kill` →
 * collector (event, next 1 s cycle) → processor (died rule) → alert queue →
 * alerter (route with group_wait 0) → email accepted by a local SMTP peer,
 * and → the recovery action (docker start, through the host's agent)
 * starting. The action brings the container back; its resolve email ends
 * the round. Prints one line: p50 and p95 of both, the ratio to Docker's
 * own die event reaching a listener (the floor, measured in the same run),
 * and the ratio to what a
 * default Prometheus + Alertmanager path needs (scrape_interval 1m,
 * evaluation_interval 1m, group_wait 30s: on average half a scrape and half
 * an evaluation interval plus group_wait).
 */
import { parseArgs } from 'node:util';
import { EventEmitter } from 'node:events';
import { services, docker, freshDatabase, runContainer, cleanup, uniqueRun } from '../test/helpers/services.js';
import { SmtpPeer, until, pipelineConfig } from '../test/helpers/alerter.js';
import { createLogger } from '../common/log.js';
import { createRedis } from '../common/queue/connection.js';
import { startCollectorParts } from '../collector/service.js';
import { startProcessorParts } from '../processor/service.js';
import { startAlerterParts } from '../alerter/service.js';
import { RecoveryAgent } from '../agent/agent.js';

const { values: args } = parseArgs({ options: { kills: { type: 'string', default: '20' } } });
const KILLS = Number(args.kills);
const DB = 'bench_alerts';
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * p) - 1)];

// Prometheus' and Alertmanager's documented defaults.
const SCRAPE = 60_000;
const EVALUATION = 60_000;
const GROUP_WAIT = 30_000;
const PROMETHEUS_MEAN = SCRAPE / 2 + EVALUATION / 2 + GROUP_WAIT;
const PROMETHEUS_WORST = SCRAPE + EVALUATION + GROUP_WAIT;

services();
const q = await freshDatabase(DB);
const run = uniqueRun('bench-alerts');
const name = `${run}-victim`;
const smtp = new SmtpPeer();
await smtp.start();
const cfg = pipelineConfig(DB, {
  host: `bench-${run}`, prefix: run, container: name, smtpPort: smtp.port, stopGrace: '100ms',
}, {
  'alerter.api.enabled': false,
  'alerter.actions': {
    cooldown: '0s',
    maxAttempts: 100,
    verifyWithin: '30s',
    rules: [{ name: 'start', matchers: [`container="${name}"`, 'rule="died"'], docker: 'start' }],
  },
});
const log = createLogger('bench', 'silent');
const d = docker();
const processor = await startProcessorParts(cfg, log);
const alerter = await startAlerterParts(cfg, log);
const collector = await startCollectorParts(cfg, log);
const agentRedis = createRedis(cfg.redis);
const agent = new RecoveryAgent({ cfg, host: cfg.host, docker: d, redis: agentRedis, writer: collector.writer, log });
agent.start();
await agent.waitUntilReady();
const cycles = new EventEmitter();
let cycleCount = 0;
collector.cycles.on('cycle', () => {
  cycleCount++;
  cycles.emit('cycle');
});

// The floor, measured in the same run: Docker's own die event reaching a listener.
const dieSeen: number[] = [];
const events = (await d.getEvents({ filters: { container: [name], event: ['die'] } })) as NodeJS.ReadableStream & { destroy(): void };
events.on('data', () => {
  dieSeen.push(Date.now());
  cycles.emit('die');
});
const toDie: number[] = [];
const toEmail: number[] = [];
const toAction: number[] = [];
const mails = (prefix: string) => smtp.mails.filter((m) => m.parsed.subject?.startsWith(prefix));
try {
  const c = await runContainer(d, run, { name, cmd: ['sh', '-c', 'exec sleep 3600'] });
  const seen = cycleCount;
  await until(cycles, 'cycle', () => cycleCount >= seen + 2, 60_000, 'collector cycles');
  for (let i = 0; i < KILLS; i++) {
    const t0 = Date.now();
    const dies = dieSeen.length;
    await c.kill();
    await until(cycles, 'die', () => dieSeen.length > dies, 60_000, 'die event');
    toDie.push(dieSeen[dies] - t0);
    await until(smtp, 'mail', () => mails('[FIRING').length > i, 60_000, `firing email ${i + 1}`);
    toEmail.push(mails('[FIRING')[i].at - t0);
    for (const deadline = Date.now() + 60_000; ; ) {
      const rows = await q.rows(`SELECT "started_at" FROM "shipwatch_recovery_run" WHERE "container_name" = '${name}' AND "started_at" >= ${t0}`);
      if (rows[0]) {
        toAction.push(Number(rows[0].started_at) - t0);
        break;
      }
      if (Date.now() > deadline) throw new Error(`no recovery run for kill ${i + 1}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // The action started the container again; its resolve closes the group before the next kill.
    await until(smtp, 'mail', () => mails('[RESOLVED').length > i, 60_000, `resolve email ${i + 1}`);
  }
} finally {
  events.destroy();
  await agent.close();
  await agentRedis.quit();
  await collector.stop();
  await alerter.stop();
  await processor.stop();
  await cleanup(d, run);
  await smtp.stop();
}

const e50 = pct(toEmail, 0.5);
const e95 = pct(toEmail, 0.95);
const a50 = pct(toAction, 0.5);
const a95 = pct(toAction, 0.95);
const d50 = pct(toDie, 0.5);
console.log(
  `bench:alerts kills=${KILLS} collector.interval=1s stopGrace=100ms group_wait=0: ` +
    `kill→email p50 ${e50} ms p95 ${e95} ms; kill→recovery start p50 ${a50} ms p95 ${a95} ms; ` +
    `kill→Docker die event p50 ${d50} ms (email/event ${(e50 / Math.max(1, d50)).toFixed(1)}x); ` +
    `p95 target 2000 ms ${e95 < 2000 && a95 < 2000 ? 'met' : 'MISSED'}; ` +
    `Prometheus+Alertmanager defaults (scrape 1m, evaluation 1m, group_wait 30s) ~${PROMETHEUS_MEAN / 1000} s mean, ${PROMETHEUS_WORST / 1000} s worst: ` +
    `${(PROMETHEUS_MEAN / e50).toFixed(0)}x slower than our p50 email`,
);
process.exit(0);
