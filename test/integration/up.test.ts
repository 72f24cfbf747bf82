/**
 * scripts/up as a service manager or `timeout` runs it: started without a
 * terminal, stopped with SIGTERM (or SIGINT) to the script alone. Every
 * component it started must be gone afterwards, and nothing it had collected
 * lost: the points of the last cycle are in InfluxDB, and each samples job
 * published was processed or still waits in Redis for the next start.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { Queue } from 'bullmq';
import { services, docker, freshDatabase, runContainer, cleanup, uniqueRun, eventually, ROOT } from '../helpers/services.js';
import { ident, literal, type InfluxQL } from '../../common/influx/query.js';
import { MEASUREMENT as M, TAG, CPU_FIELDS } from '../../common/schema.js';
import { readHostState, stateStoreOf, windowSamples } from '../helpers/processor.js';
import { SAMPLES_QUEUE, shardPrefix } from '../../common/queue/names.js';
import { samplesJobId } from '../../common/queue/publisher.js';
import { createRedis } from '../../common/queue/connection.js';
import { ACTIONS_QUEUE, agentPrefix, type ActionJob } from '../../common/queue/actions.js';

/** Whether the process exists and has not exited (a zombie has). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** PIDs of the processes whose environment carries `mark`: whatever scripts/up started, however deep. */
function processesMarked(mark: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/environ`, 'latin1').split('\0').includes(mark)) out.push(Number(d));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

interface LogRecord {
  name?: string;
  msg: string;
  [k: string]: unknown;
}

class Up {
  readonly proc: ChildProcess;
  readonly mark: string;
  stderr = '';
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly run: string, db: string, host: string) {
    this.mark = `SHIPWATCH_UP_TEST=${run}`;
    const e = services();
    this.proc = spawn(path.join(ROOT, 'scripts/up'), [], {
      cwd: ROOT,
      // No terminal, as under a service manager.
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        SHIPWATCH_UP_TEST: run,
        DOCKER_HOST: e.dockerHost,
        SHIPWATCH_HOST: host,
        SHIPWATCH_INFLUX_BUCKET: db,
        SHIPWATCH_REDIS_PREFIX: `{${run}}`,
        SHIPWATCH_QUEUE_SHARDS: '1',
        SHIPWATCH_COLLECTOR_INTERVAL: '2s',
        // Ports of their own: other runs of the stack may be on this machine.
        SHIPWATCH_ALERTER_API_PORT: '0',
        SHIPWATCH_HEALTH_PORT: '0',
        SHIPWATCH_LOG_LEVEL: 'info',
      },
    });
    this.proc.stderr!.on('data', (b: Buffer) => (this.stderr += b.toString()));
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
  }

  records(): LogRecord[] {
    return this.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogRecord);
  }

  record(name: string, msg: string): LogRecord | undefined {
    return this.records().find((r) => r.name === name && r.msg === msg);
  }

  /** Resolves once every component logged its start-up summary. */
  ready(timeoutMs = 120_000): Promise<void> {
    return eventually(async () => ['collector', 'processor', 'alerter', 'agent'].every((n) => this.records().some((r) => r.name === n && r.msg.startsWith(`${n} ready:`))), timeoutMs, 200)
      .then(() => undefined, (e: Error) => {
        throw new Error(`${e.message}\n${this.stderr.slice(-3000)}`);
      });
  }
}

describe('scripts/up: stop is stop', function () {
  this.timeout(300_000);
  const run = uniqueRun('up');
  const host = `up-${run}`;
  const db = `up_${process.pid}`;
  const d = docker();
  let q: InfluxQL;
  let up: Up | undefined;
  const all: Up[] = [];

  before(async () => {
    services();
    q = await freshDatabase(db);
    await runContainer(d, run, { name: `${run}-idle`, cmd: ['sleep', '3600'] });
  });
  after(async () => {
    // Should the test fail half-way: nothing of it stays behind.
    for (const pid of all.flatMap((u) => processesMarked(u.mark))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await cleanup(d, run);
  });

  const cpuAt = async (t: number) => (await q.rows(
    `SELECT count(${ident(CPU_FIELDS.usageTotal)}) AS n FROM ${ident(M.cpu)} WHERE ${ident(TAG.engineHost)} = ${literal(host)} AND time = ${t}ms`,
  ))[0]?.n;

  it('on SIGTERM to the script alone, every component finishes its work, exits, and nothing is lost', async () => {
    up = new Up(run, db, host);
    all.push(up);
    await up.ready();
    // Points written and processed for a few cycles: the pipeline runs end to end.
    const redis = createRedis({ url: services().redisUrl, nodes: [], prefix: `{${run}}` }, { maxRetriesPerRequest: 3 });
    const states = stateStoreOf(redis, `{${run}}`);
    await eventually(async () => windowSamples(await readHostState(states, 1, host), `${run}-idle`, 'pids') >= 3, 120_000, 500);
    const started = processesMarked(up.mark);
    expect(started.length, 'the components and the script').to.be.at.least(5);

    up.proc.kill('SIGTERM');
    const { code } = await up.exited;
    expect(code, up.stderr.slice(-3000)).to.equal(0);
    for (const n of ['collector', 'processor', 'alerter', 'agent']) expect(up.record(n, `${n} stopped`), `${n} stopped cleanly`).to.not.equal(undefined);
    expect(processesMarked(up.mark), 'processes left behind').to.deep.equal([]);

    // The collector's last cycle: its points are in InfluxDB.
    const flushed = up.record('collector', 'collector flushed')!;
    expect(flushed.lost).to.equal(0);
    const last = Number(flushed.lastCycle);
    expect(last).to.be.greaterThan(0);
    expect(Number(await cpuAt(last)), 'cpu points of the last cycle').to.be.at.least(1);
    // Its samples job: processed (the host's state is at that time), or still queued for the next start; none failed.
    const queue = new Queue(SAMPLES_QUEUE, { connection: redis, prefix: shardPrefix(`{${run}}`, 0) });
    try {
      const counts = await queue.getJobCounts('failed', 'active', 'waiting');
      expect(counts.failed, 'failed jobs').to.equal(0);
      expect(counts.active, 'jobs left active').to.equal(0);
      const waiting = (await queue.getWaiting()).map((j) => j.id);
      const processed = ((await readHostState(states, 1, host))?.t ?? 0) >= last;
      expect(processed || waiting.includes(samplesJobId(host, last)), 'last cycle processed or still queued').to.equal(true);
    } finally {
      await queue.close();
      await redis.quit();
    }
  });

  it('on SIGINT to the script alone, the same: no process left', async () => {
    up = new Up(`${run}i`, db, `${host}-i`);
    all.push(up);
    await up.ready();
    up.proc.kill('SIGINT');
    const { code } = await up.exited;
    expect(code, up.stderr.slice(-3000)).to.equal(0);
    expect(processesMarked(up.mark), 'processes left behind').to.deep.equal([]);
  });
});

describe('a component whose work outlasts shutdownTimeout', function () {
  this.timeout(120_000);
  const run = uniqueRun('agentstop');
  const dir = mkdtempSync(path.join(tmpdir(), 'sw-agentstop-'));
  const host = `agentstop-${run}`;

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the agent exits at shutdownTimeout, taking the recovery script it was running along', async () => {
    const e = services();
    // Writes its PID, then outlives any stop.
    writeFileSync(path.join(dir, 'slow.sh'), '#!/bin/sh\necho $$ > pid\nexec sleep 300\n');
    chmodSync(path.join(dir, 'slow.sh'), 0o755);
    const cfgFile = path.join(dir, 'shipwatch.yaml');
    writeFileSync(cfgFile, stringify({
      host,
      shutdownTimeout: '2s',
      docker: { socketPath: e.dockerHost.replace(/^unix:\/\//, '') },
      influx: { url: e.influxUrl, bucket: `agentstop_${process.pid}` },
      redis: { url: e.redisUrl, prefix: `{${run}}` },
      alerter: { actions: { scriptsDir: dir, timeout: '300s', rules: [{ name: 'slow', matchers: ['rule="died"'], script: 'slow.sh' }] } },
    }));
    const agent = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'agent/main.ts'), '--config', cfgFile], {
      cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SHIPWATCH_LOG_LEVEL: 'info' },
    });
    let stderr = '';
    agent.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((r) => agent.on('exit', (code) => r(code)));
    await eventually(async () => stderr.includes('"msg":"agent ready:'), 60_000, 100);

    const redis = createRedis({ url: e.redisUrl, nodes: [], prefix: `{${run}}` }, { maxRetriesPerRequest: 3 });
    const queue = new Queue<ActionJob>(ACTIONS_QUEUE, { connection: redis, prefix: agentPrefix(`{${run}}`, host) });
    try {
      await queue.add('slow', {
        runId: `r-${createHash('sha1').update(run).digest('hex').slice(0, 20)}`, action: 'slow', script: 'slow.sh', args: [], queuedAt: Date.now(),
        facts: { containerId: 'none', container: 'none', host, rule: 'died', severity: 'critical', value: 1, snapshotId: null, alertKey: `died|${host}|none`, labels: {} },
      });
      const pidFile = path.join(dir, 'pid');
      await eventually(async () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 30_000, 100);
      const scriptPid = Number(readFileSync(pidFile, 'utf8'));
      expect(alive(scriptPid), 'the script runs').to.equal(true);

      agent.kill('SIGTERM');
      expect(await exited, stderr.slice(-2000)).to.equal(1);
      expect(stderr).to.contain('agent did not stop within shutdownTimeout; exiting with work unfinished');
      // Killed at the agent's exit; init reaps it a moment later.
      await eventually(async () => !alive(scriptPid), 5_000, 50).catch(() => {
        throw new Error(`script ${scriptPid} still there: ${readFileSync(`/proc/${scriptPid}/stat`, 'utf8')}`);
      });
    } finally {
      if (agent.exitCode === null) agent.kill('SIGKILL');
      await queue.close();
      await redis.quit();
    }
  });
});
