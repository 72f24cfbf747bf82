/**
 * The recovery agent of one Docker host: takes the actions the alerter queued
 * for this host, runs each (a script from actions.scriptsDir, or a Docker
 * restart/stop/start through dockerode), records the run in
 * shipwatch_recovery_run, checks that the container recovered (running, and
 * healthy when it has a health check) within actions.verifyWithin, and
 * reports the outcome on the results queue. One per Docker host (agent/main.ts).
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { Queue, Worker, type Job } from 'bullmq';
import type Docker from 'dockerode';
import type { Config } from '../common/config.js';
import type { Logger } from '../common/log.js';
import type { RedisClient } from '../common/queue/connection.js';
import type { LineSink } from '../common/influx/sink.js';
import { alertsPrefix, jobIdPart } from '../common/queue/names.js';
import { ACTIONS_QUEUE, RESULTS_QUEUE, agentPrefix, actionCommand, type ActionJob, type ActionResult } from '../common/queue/actions.js';
import { scriptEnv } from './script-env.js';
import { runScript } from './script-runner.js';
import { runLine, verifyLine } from './lines.js';

export interface AgentDeps {
  cfg: Config;
  host: string;
  docker: Docker;
  redis: RedisClient;
  writer: LineSink;
  log: Logger;
}

/** Where a script named by a job lives; refused when it resolves outside the directory (checked again at run time). */
export function resolveScript(dir: string, script: string): string {
  const root = realpathSync(dir);
  const real = realpathSync(path.resolve(root, script));
  if (!real.startsWith(root + path.sep)) throw new Error(`${script} resolves outside actions.scriptsDir`);
  return real;
}

export class RecoveryAgent {
  private readonly worker: Worker<ActionJob>;
  private readonly results: Queue<ActionResult>;
  private readonly a: Config['alerter']['actions'];

  constructor(private readonly d: AgentDeps) {
    this.a = d.cfg.alerter.actions;
    this.results = new Queue<ActionResult>(RESULTS_QUEUE, {
      connection: d.redis,
      prefix: alertsPrefix(d.cfg.redis.prefix),
      defaultJobOptions: { attempts: 10, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: 86_400 }, removeOnFail: { count: 1000 } },
    });
    this.results.on('error', () => {});
    this.worker = new Worker<ActionJob>(ACTIONS_QUEUE, (job) => this.run(job), {
      connection: d.redis,
      prefix: agentPrefix(d.cfg.redis.prefix, d.host),
      concurrency: this.a.concurrency,
      // A run may take the whole timeout plus verification; the lock is renewed meanwhile.
      lockDuration: 30_000,
      // A run interrupted by a crash is failed, never started twice.
      maxStalledCount: 0,
      autorun: false,
    });
    this.worker.on('error', (e) => d.log.debug({ err: e.message }, 'agent worker'));
    this.worker.on('failed', (job, e) => d.log.error({ run: job?.data.runId, err: e.message }, 'recovery job failed'));
  }

  start(): void {
    void this.worker.run();
    this.d.log.info({ host: this.d.host, concurrency: this.a.concurrency }, 'recovery agent taking actions');
  }

  waitUntilReady(): Promise<unknown> {
    return this.worker.waitUntilReady();
  }

  private async run(job: Job<ActionJob>): Promise<ActionResult> {
    const j = job.data;
    const { log, writer } = this.d;
    const base = { runId: j.runId, action: j.action, command: actionCommand(j), host: this.d.host, facts: j.facts };
    log.info({ run: j.runId, action: j.action, container: j.facts.container }, 'recovery action starting');
    let result: ActionResult;
    let stdout = '';
    let stderr = '';
    if (j.script) {
      let file: string;
      try {
        file = resolveScript(this.a.scriptsDir, j.script);
      } catch (e) {
        const now = Date.now();
        result = { ...base, outcome: 'error', exitCode: null, signal: null, startedAt: now, endedAt: now, recovered: null, detail: `refused: ${(e as Error).message}` };
        return this.finish(result, '', '');
      }
      const env = { ...scriptEnv(j.facts), ...this.dockerEnv() };
      const r = await runScript(file, j.args, { env, cwd: path.dirname(file), timeoutMs: this.a.timeout, outputLimit: this.a.outputLimit });
      stdout = r.stdout;
      stderr = r.stderr;
      const outcome = r.timedOut ? 'timeout' : r.error ? 'error' : r.exitCode === 0 ? 'ok' : 'failed';
      const detail = r.timedOut ? `killed after ${this.a.timeout} ms (process group ${r.pgid})` : r.error;
      result = { ...base, outcome, exitCode: r.exitCode, signal: r.signal, startedAt: r.startedAt, endedAt: r.endedAt, recovered: null, detail };
    } else {
      const startedAt = Date.now();
      try {
        const c = this.d.docker.getContainer(j.facts.containerId || j.facts.container);
        if (j.docker === 'restart') await c.restart({ t: 5 });
        else if (j.docker === 'stop') await c.stop({ t: 5 });
        else await c.start();
        result = { ...base, outcome: 'ok', exitCode: 0, signal: null, startedAt, endedAt: Date.now(), recovered: null, detail: '' };
      } catch (e) {
        const err = e as Error & { statusCode?: number };
        // 304: already in the wanted state.
        const ok = err.statusCode === 304;
        result = { ...base, outcome: ok ? 'ok' : 'error', exitCode: ok ? 0 : null, signal: null, startedAt, endedAt: Date.now(), recovered: null, detail: ok ? 'already so' : err.message };
      }
    }
    writer.write([runLine(result, stdout, stderr)]);
    // A stop is not meant to bring the container back; a failed run did not.
    if (j.docker !== 'stop') {
      const recovered = result.outcome === 'ok' && (await this.verify(j.facts.containerId || j.facts.container));
      result.recovered = recovered;
      writer.write([verifyLine(result, recovered, Date.now())]);
    }
    return this.finish(result, stdout, stderr, false);
  }

  private dockerEnv(): Record<string, string> {
    const dc = this.d.cfg.docker;
    return { DOCKER_HOST: dc.url || `unix://${dc.socketPath}` };
  }

  private async finish(result: ActionResult, stdout: string, stderr: string, write = true): Promise<ActionResult> {
    if (write) this.d.writer.write([runLine(result, stdout, stderr)]);
    await this.results.add(result.action, result, { jobId: jobIdPart(result.runId) });
    this.d.log.info({ run: result.runId, outcome: result.outcome, exitCode: result.exitCode, recovered: result.recovered }, 'recovery action finished');
    return result;
  }

  /** Running, and healthy when the container has a health check, within verifyWithin. */
  async verify(id: string): Promise<boolean> {
    const deadline = Date.now() + this.a.verifyWithin;
    for (let delay = 200; ; delay = Math.min(delay * 2, 2000)) {
      try {
        const s = (await this.d.docker.getContainer(id).inspect()).State;
        if (s.Running && !s.Restarting && (!s.Health || s.Health.Status === 'healthy')) return true;
      } catch {
        // gone or Docker unreachable: not recovered (yet)
      }
      if (Date.now() + delay > deadline) return false;
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  async close(): Promise<void> {
    await this.worker.close();
    await this.results.close();
  }
}

/** Starts an agent with a Redis connection of its own. */
export async function startAgent(deps: Omit<AgentDeps, 'redis'>, createRedis: () => RedisClient): Promise<{ agent: RecoveryAgent; stop(): Promise<void> }> {
  const redis = createRedis();
  redis.on('error', (e: Error) => deps.log.debug({ err: e.message }, 'redis'));
  const agent = new RecoveryAgent({ ...deps, redis });
  agent.start();
  await agent.waitUntilReady();
  return {
    agent,
    async stop() {
      await agent.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
