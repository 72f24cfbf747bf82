/**
 * npm run bench:alerts [-- --kills 7 --tuned-kills 10]
 *
 * Crash → email, Shipwatch against Prometheus + Alertmanager, measured in one run
 * with the same crashes and the same SMTP peer (smtp-server on loopback):
 *
 *  - Shipwatch: collector, processor and alerter (this process), one email receiver
 *    on the root route, everything else at its configuration defaults;
 *  - the peer: Debian's prometheus 2.42 scraping Shipwatch's Prometheus exposition
 *    (cAdvisor's names) and evaluating a dockprom-style rule per container,
 *    `absent(container_memory_usage_bytes{name="..."})`, and Debian's
 *    prometheus-alertmanager 0.25 grouping by alertname (as dockprom and its
 *    example configuration do), emailing the same SMTP peer. Both on 127.0.0.1,
 *    temporary directories, stopped by PID.
 *
 * A crash is the container's process killed from the host (SIGKILL to its PID): Docker
 * sees the process die with no stop or kill request. Rows, in this order:
 *  (a) both at their shipped defaults: Prometheus scrape and evaluation 1 m, the rule
 *      `for: 30s` as in dockprom, Alertmanager group_wait 30 s, group_interval 5 m and
 *      email send_resolved false; Shipwatch's defaults (30 s cycle, groupWait 30 s,
 *      groupInterval 5 m). Containers crash one at a time at random moments 35-60 s
 *      apart, each once; each is started again once both emails arrived.
 *  (b) both tuned alike: 1 s scrape, evaluation and collector interval, no group
 *      wait, 1 s group interval, rule without `for`, resolves on.
 * For each row: p50 and p95 from the kill to the email accepted, and whether each
 * side sent the resolve once the container ran again. One summary line.
 */
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { services, docker, testConfig, freshDatabase, runContainer, cleanup, uniqueRun } from '../test/helpers/services.js';
import { SmtpPeer, until, type Mail } from '../test/helpers/alerter.js';
import { PrometheusPeer, AlertmanagerPeer, freePort } from '../test/helpers/peers.js';
import { createLogger } from '../common/log.js';
import { DEFAULTS } from '../common/config.js';
import { PROM_METRIC } from '../common/schema.js';
import { startCollectorParts } from '../collector/service.js';
import { startProcessorParts } from '../processor/service.js';
import { startAlerterParts } from '../alerter/service.js';

const { values: args } = parseArgs({ options: { kills: { type: 'string', default: '7' }, 'tuned-kills': { type: 'string', default: '10' } } });
const KILLS = Number(args.kills);
const TUNED_KILLS = Number(args['tuned-kills']);
const AM_FROM = 'alertmanager@example.test';
const log = createLogger('bench', 'silent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const note = (s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);
const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * p) - 1)] : NaN);
const secs = (ms: number) => (!Number.isFinite(ms) ? 'n/a' : ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

interface Crash {
  victim: string;
  at: number;
  shipwatch?: number;
  peer?: number;
  restartedAt?: number;
  shipwatchResolved?: boolean;
  peerResolved?: boolean;
}

/** Shipwatch's email about `victim` firing (or resolved) for a crash at `t0`: an alert block started since. */
function shipwatchMail(m: Mail, victim: string, status: 'FIRING' | 'RESOLVED', t0: number): boolean {
  if (m.parsed.from?.value[0]?.address === AM_FROM) return false;
  const lines = (m.parsed.text ?? '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith(`${status} `) || !lines[i].includes(` died: ${victim} on `)) continue;
    const started = /started (\S+?)(,|$)/.exec(lines[i + 2] ?? '')?.[1];
    if (started && Date.parse(started) >= t0 - 2000) return true;
  }
  return false;
}

const alertName = (victim: string) => `${victim}_down`;

function peerMail(m: Mail, victim: string, status: 'FIRING' | 'RESOLVED'): boolean {
  const subject = m.parsed.subject ?? '';
  return m.parsed.from?.value[0]?.address === AM_FROM && subject.startsWith(`[${status}`) && subject.includes(alertName(victim));
}

interface Row {
  tuned: boolean;
  crashes: Crash[];
}

async function row(tuned: boolean, run: string, smtp: SmtpPeer): Promise<Row> {
  const d = docker();
  const tag = `${run}-${tuned ? 'b' : 'a'}`;
  const kills = tuned ? TUNED_KILLS : KILLS;
  // (a): each container crashes once; (b): a few containers crash in turn.
  const victims = Array.from({ length: tuned ? 4 : kills + 1 }, (_, i) => `${tag}-v${i}`);
  const db = `bench_alerts_${tuned ? 'b' : 'a'}`;
  await freshDatabase(db);
  const promPort = await freePort();
  const cfg = testConfig(db, {
    host: `bench-${tag}`,
    'redis.prefix': `{${tag}}`,
    'influx.flushInterval': DEFAULTS.influx.flushInterval,
    'alerter.api.enabled': false,
    'alerter.smtp': { host: '127.0.0.1', port: smtp.port },
    'alerter.receivers': [{ name: 'oncall', email: { to: ['oncall@example.test'] } }],
    'alerter.route': tuned ? { receiver: 'oncall', groupWait: '0s', groupInterval: '1s' } : { receiver: 'oncall' },
    'collector.prometheus': { enabled: true, port: promPort },
    ...(tuned ? { 'collector.interval': '1s' } : {}),
  });
  for (const v of victims) await runContainer(d, run, { name: v, cmd: ['sleep', '3600'] });

  const am = new AlertmanagerPeer({
    route: tuned ? { group_by: ['alertname'], group_wait: '0s', group_interval: '1s' } : { group_by: ['alertname'] },
    smtpPort: smtp.port,
    to: 'oncall@example.test',
    sendResolved: tuned ? true : undefined,
  });
  await am.start();
  const prom = new PrometheusPeer({
    interval: tuned ? '1s' : undefined,
    targets: [`127.0.0.1:${promPort}`],
    alertmanager: am.address,
    rules: [{
      name: 'containers',
      rules: victims.map((v) => ({
        alert: alertName(v),
        expr: `absent(${PROM_METRIC.memUsage.name}{name="${v}"})`,
        ...(tuned ? {} : { for: '30s' }),
        labels: { severity: 'critical' },
        annotations: { summary: `${v} down` },
      })),
    }],
  });
  const processor = await startProcessorParts(cfg, log);
  const alerter = await startAlerterParts(cfg, log);
  const collector = await startCollectorParts(cfg, log);
  await prom.start();
  const crashes: Crash[] = [];
  try {
    note(`${tuned ? '(b) tuned' : '(a) defaults'}: waiting for both sides to see ${victims.length} containers...`);
    await once(collector.cycles, 'cycle');
    for (const deadline = Date.now() + 5 * 60_000; ;) {
      const seen = await prom.query(`count(${PROM_METRIC.memUsage.name}{name=~"${tag}-v.*"})`).catch(() => []);
      if (Number(seen[0]?.value[1]) === victims.length) break;
      if (Date.now() > deadline) throw new Error('Prometheus never saw every container');
      await sleep(1000);
    }
    // Rules evaluated once with every container present: nothing pending.
    await sleep(tuned ? 3000 : 65_000);

    const crash = async (victim: string) => {
      const pid = (await d.getContainer(victim).inspect()).State.Pid;
      const c: Crash = { victim, at: Date.now() };
      process.kill(pid, 'SIGKILL');
      crashes.push(c);
      return c;
    };
    const fired = (c: Crash, timeoutMs: number) => until(smtp, 'mail', () => {
      const s = smtp.mails.find((m) => m.at >= c.at && shipwatchMail(m, c.victim, 'FIRING', c.at));
      const p = smtp.mails.find((m) => m.at >= c.at && peerMail(m, c.victim, 'FIRING'));
      if (s) c.shipwatch = s.at - c.at;
      if (p) c.peer = p.at - c.at;
      return !!s && !!p;
    }, timeoutMs, `emails for ${c.victim}`).catch(() => note(`  ${c.victim}: not both emails in time`));
    const resolved = (c: Crash) => {
      c.shipwatchResolved = smtp.mails.some((m) => m.at >= c.restartedAt! && shipwatchMail(m, c.victim, 'RESOLVED', c.at));
      c.peerResolved = smtp.mails.some((m) => m.at >= c.restartedAt! && peerMail(m, c.victim, 'RESOLVED'));
      return c.shipwatchResolved && c.peerResolved;
    };
    const restart = async (c: Crash) => {
      await d.getContainer(c.victim).start();
      c.restartedAt = Date.now();
    };

    if (!tuned) {
      const watchers: Promise<void>[] = [];
      for (let i = 0; i < kills; i++) {
        await sleep(35_000 + Math.random() * 25_000);
        const c = await crash(victims[i]);
        note(`  crash ${i + 1}/${kills}: ${c.victim}`);
        watchers.push(fired(c, 8 * 60_000).then(() => restart(c)));
      }
      await Promise.all(watchers);
      // Shipwatch sends a resolve at its group's next groupInterval tick: wait one interval at most.
      note('  waiting for resolves...');
      await until(smtp, 'mail', () => {
        crashes.forEach(resolved);
        return crashes.every((c) => c.shipwatchResolved);
      }, DEFAULTS.alerter.route.groupInterval + 60_000, 'resolves').catch(() => undefined);
      crashes.forEach(resolved);
    } else {
      for (let i = 0; i < kills; i++) {
        await sleep(2000 + Math.random() * 3000);
        const c = await crash(victims[i % victims.length]);
        await fired(c, 60_000);
        await restart(c);
        await until(smtp, 'mail', () => resolved(c), 30_000, 'resolves').catch(() => undefined);
        // Back in Prometheus (and out of absent()) before it may crash again.
        for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
          const up = await prom.query(`${PROM_METRIC.memUsage.name}{name="${c.victim}"}`).catch(() => []);
          if (up.length) break;
          await sleep(500);
        }
      }
    }
  } finally {
    await prom.stop();
    await am.stop();
    await collector.stop();
    await alerter.stop();
    await processor.stop();
    for (const v of victims) await d.getContainer(v).remove({ force: true }).catch(() => {});
  }
  return { tuned, crashes };
}

function summary(r: Row): { text: string; p95: number } {
  const s = r.crashes.map((c) => c.shipwatch).filter((x): x is number => x !== undefined);
  const p = r.crashes.map((c) => c.peer).filter((x): x is number => x !== undefined);
  const missing = (xs: number[]) => (xs.length < r.crashes.length ? ` (${r.crashes.length - xs.length} of ${r.crashes.length} never came)` : '');
  const sr = r.crashes.filter((c) => c.shipwatchResolved).length;
  const pr = r.crashes.filter((c) => c.peerResolved).length;
  const ratio = pct(p, 0.5) / pct(s, 0.5);
  const p95 = s.length < r.crashes.length ? Infinity : pct(s, 0.95);
  return {
    p95,
    text:
      `${r.tuned ? '(b) tuned alike (1 s scrape/evaluation/collector interval, no group wait)' : '(a) shipped defaults'}, ${r.crashes.length} crashes: ` +
      `Shipwatch kill→email p50 ${secs(pct(s, 0.5))} p95 ${secs(pct(s, 0.95))}${missing(s)}; ` +
      `Prometheus+Alertmanager p50 ${secs(pct(p, 0.5))} p95 ${secs(pct(p, 0.95))}${missing(p)} (${ratio.toFixed(1)}x); ` +
      `resolve sent: Shipwatch ${sr}/${r.crashes.length}, Alertmanager ${pr}/${r.crashes.length}`,
  };
}

async function main() {
  services();
  const run = uniqueRun('bench-alerts');
  const smtp = new SmtpPeer();
  await smtp.start();
  const load: number[] = [os.loadavg()[0]];
  const d = docker();
  try {
    const a = await row(false, run, smtp);
    load.push(os.loadavg()[0]);
    const b = await row(true, run, smtp);
    load.push(os.loadavg()[0]);
    const sa = summary(a);
    const sb = summary(b);
    for (const r of [a, b]) {
      for (const c of r.crashes) {
        console.log(`${r.tuned ? 'b' : 'a'} ${c.victim}: Shipwatch ${secs(c.shipwatch ?? NaN)}, peer ${secs(c.peer ?? NaN)}, resolves ${c.shipwatchResolved ? 'yes' : 'no'}/${c.peerResolved ? 'yes' : 'no'}`);
      }
    }
    const loadAvg = [...load].sort((x, y) => x - y)[1];
    console.log(
      `bench:alerts load ${loadAvg.toFixed(1)}: ${sa.text} | ${sb.text} | ` +
        `targets: p95 < 5 s at defaults ${sa.p95 < 5000 ? 'met' : 'MISSED'}, < 2 s tuned ${sb.p95 < 2000 ? 'met' : 'MISSED'}`,
    );
  } finally {
    await cleanup(d, run);
    await smtp.stop();
  }
}

await main();
process.exit(0);
