/**
 * The recovery agent of one Docker host: takes the actions the alerter queued
 * for this host, decides whether its own configuration allows each
 * (agent/authorize.ts), runs the allowed ones (a script from
 * actions.scriptsDir, or a built-in Docker action through the API, each with
 * the actions timeout), records every run, refused ones included, in
 * shipwatch_recovery_run, checks that the container recovered (running, and
 * healthy when it has a health check) within actions.verifyWithin, and
 * reports the outcome on the results queue. One per Docker host (agent/main.ts).
 */
import { mkdirSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, Worker, type Job } from 'bullmq';
import type Docker from 'dockerode';
import type { Config } from '../common/config.js';
import type { ActionRule } from '../common/config-alerter.js';
import type { Logger } from '../common/log.js';
import type { RedisClient } from '../common/queue/connection.js';
import type { LineSink } from '../common/influx/sink.js';
import { alertsPrefix, jobIdPart } from '../common/queue/names.js';
import { dockerStatus } from '../common/docker.js';
import {
  ACTIONS_QUEUE, RESULTS_QUEUE, agentPrefix, agentRanKey, actionCommand,
  type ActionFacts, type ActionJob, type ActionResult,
} from '../common/queue/actions.js';
import { authorize } from './authorize.js';
import { scriptEnv } from './script-env.js';
import { runScript } from './script-runner.js';
import { runDockerAction } from './docker-actions.js';
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

/** Where a run's files go: actions.outputDir, else a folder in the system's temp dir. */
export const outputRoot = (a: Config['alerter']['actions']) => a.outputDir || path.join(tmpdir(), 'shipwatch-recovery');

/** Files a script left in its run directory (regular files, one level down at most), by absolute path. */
function attachments(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isFile()) out.push(p);
      else if (e.isDirectory() && depth < 1) walk(p, depth + 1);
      if (out.length >= 32) return;
    }
  };
  try {
    walk(dir, 0);
  } catch {
    // no directory: nothing attached
  }
  return out.sort();
}

/** The agent's helpers for scripts (shipwatch-exec), beside this file in the source and in the image. */
export const HELPERS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bin');

/** Facts for the record of a job too broken to tell its own. */
const unknownFacts = (host: string): ActionFacts => ({
  containerId: '', container: '', host, rule: '', severity: 'warning', value: null, snapshotId: null, alertKey: '', labels: {},
});

export class RecoveryAgent {
  private readonly worker: Worker;
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
    this.worker = new Worker(ACTIONS_QUEUE, (job) => this.take(job), {
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
    this.worker.on('failed', (job, e) => d.log.error({ job: job?.id, err: e.message }, 'recovery job failed'));
  }

  start(): void {
    void this.worker.run();
    this.d.log.info({ host: this.d.host, concurrency: this.a.concurrency }, 'recovery agent taking actions');
  }

  waitUntilReady(): Promise<unknown> {
    return this.worker.waitUntilReady();
  }

  /** Decides, then runs or refuses; the job completes either way (a refused job is not retried). */
  private async take(job: Job): Promise<ActionResult> {
    const decision = authorize(job.data, { host: this.d.host, rules: this.a.rules, signingKey: this.a.signingKey, maxJobAge: this.a.maxJobAge }, Date.now());
    if (!decision.ok) return this.refuse(decision.reason, decision.job, job.id);
    const { job: j, rule } = decision;
    // The same signed action added again under another job ID runs once.
    const ttl = Math.ceil(this.a.maxJobAge / 1000) + 3600;
    if ((await this.d.redis.set(agentRanKey(this.d.cfg.redis.prefix, this.d.host, j.runId), '1', 'EX', ttl, 'NX')) !== 'OK') {
      return this.refuse(`run ${j.runId} was taken before`, j, job.id);
    }
    return this.run(j, rule);
  }

  private async refuse(reason: string, j: ActionJob | undefined, jobId: string | undefined): Promise<ActionResult> {
    const now = Date.now();
    const facts = j?.facts ?? unknownFacts(this.d.host);
    const result: ActionResult = {
      runId: j?.runId ?? `refused-${jobIdPart(String(jobId ?? now))}`.slice(0, 64),
      action: j?.action ?? '',
      command: j ? actionCommand(j) : '',
      host: this.d.host,
      facts,
      outcome: 'refused',
      exitCode: null,
      signal: null,
      startedAt: now,
      endedAt: now,
      recovered: null,
      detail: `refused: ${reason}`.slice(0, 4096),
      attachments: [],
    };
    this.d.log.warn({ run: result.runId, action: result.action, container: facts.container, reason }, 'recovery action refused');
    // A job ID of its own: a refused copy of a run must not be taken for the run's own report.
    return this.finish(result, '', '', `${jobIdPart(result.runId)}-refused-${jobIdPart(String(jobId ?? now))}`);
  }

  private async run(j: ActionJob, rule: ActionRule): Promise<ActionResult> {
    const { log, writer } = this.d;
    const base = { runId: j.runId, action: j.action, command: actionCommand(rule), host: this.d.host, facts: j.facts, recovered: null, attachments: [] as string[] };
    log.info({ run: j.runId, action: j.action, container: j.facts.container }, 'recovery action starting');
    const target = j.facts.containerId || j.facts.container;
    // The container the job names must be the one the alert was about: an ID paired with another container's name is refused.
    const mismatch = await this.identityMismatch(j.facts);
    if (mismatch) return this.refuse(mismatch, j, j.runId);
    let result: ActionResult;
    let stdout = '';
    let stderr = '';
    if (rule.script) {
      let file: string;
      try {
        file = resolveScript(this.a.scriptsDir, rule.script);
      } catch (e) {
        return this.refuse((e as Error).message, j, j.runId);
      }
      const outputDir = this.runDir(j.runId);
      const env = scriptEnv(j.facts, { runId: j.runId, action: j.action, outputDir, dockerHost: this.dockerHost(), binDir: HELPERS_DIR });
      const r = await runScript(file, rule.args, { env, cwd: path.dirname(file), timeoutMs: this.a.timeout, outputLimit: this.a.outputLimit });
      stdout = r.stdout;
      stderr = r.stderr;
      const outcome = r.timedOut ? 'timeout' : r.error ? 'error' : r.exitCode === 0 ? 'ok' : 'failed';
      const detail = r.timedOut ? `killed after ${this.a.timeout} ms (process group ${r.pgid})` : r.error;
      result = { ...base, outcome, exitCode: r.exitCode, signal: r.signal, startedAt: r.startedAt, endedAt: r.endedAt, detail, attachments: attachments(outputDir) };
    } else {
      const startedAt = Date.now();
      const r = await runDockerAction(this.d.docker, target, { docker: rule.docker!, signal: rule.signal, command: rule.command }, {
        timeoutMs: this.a.timeout, stopGraceS: Math.floor(Math.min(this.a.stopGrace, this.a.timeout / 2) / 1000), outputLimit: this.a.outputLimit,
      });
      stdout = r.stdout;
      stderr = r.stderr;
      result = { ...base, outcome: r.outcome, exitCode: r.exitCode, signal: null, startedAt, endedAt: Date.now(), detail: r.detail };
    }
    writer.write([runLine(result, stdout, stderr)]);
    // A stop, or an action that only collects (verify: false), is not meant to bring the container back.
    if (rule.verify ?? rule.docker !== 'stop') {
      const recovered = result.outcome === 'ok' && (await this.verify(target));
      result.recovered = recovered;
      writer.write([verifyLine(result, recovered, Date.now())]);
    }
    return this.finish(result, stdout, stderr, jobIdPart(result.runId), false);
  }

  /** Why the container the job names is not the alert's, if it is not; a container gone is no mismatch (a script may recreate it). */
  private async identityMismatch(f: ActionFacts): Promise<string | undefined> {
    if (!f.containerId) return undefined;
    try {
      const info = await this.d.docker.getContainer(f.containerId).inspect();
      const name = info.Name.replace(/^\//, '');
      if (name !== f.container) return `container ${f.containerId.slice(0, 12)} is ${JSON.stringify(name)}, not ${JSON.stringify(f.container)}`;
      return undefined;
    } catch (e) {
      if (dockerStatus(e) === 404) return undefined;
      // Docker unreachable: the action will fail and say so.
      return undefined;
    }
  }

  /** A fresh directory for the run's files; old run directories are removed first. */
  private runDir(runId: string): string {
    const root = outputRoot(this.a);
    mkdirSync(root, { recursive: true, mode: 0o700 });
    const cutoff = Date.now() - this.a.outputRetention;
    for (const e of readdirSync(root)) {
      const p = path.join(root, e);
      try {
        if (statSync(p).mtimeMs < cutoff) rmSync(p, { recursive: true, force: true });
      } catch {
        // removed meanwhile
      }
    }
    const dir = path.join(root, runId);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  private dockerHost(): string {
    const dc = this.d.cfg.docker;
    return dc.url || `unix://${dc.socketPath}`;
  }

  private async finish(result: ActionResult, stdout: string, stderr: string, jobId: string, write = true): Promise<ActionResult> {
    if (write) this.d.writer.write([runLine(result, stdout, stderr)]);
    await this.results.add(result.action || 'refused', result, { jobId });
    if (result.outcome !== 'refused') {
      this.d.log.info({ run: result.runId, outcome: result.outcome, exitCode: result.exitCode, recovered: result.recovered, attachments: result.attachments }, 'recovery action finished');
    }
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
