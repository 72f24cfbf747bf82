/**
 * Reads a container's fault capture from Docker at the event that starts a
 * fault (common/capture.ts): inspect first (it says whether the log has a TTY
 * and whether the container runs), then the log tail and, while it runs, its
 * processes. Bounded: a few at once, each call within collector.capture.timeout;
 * what could not be read is named in the capture, never thrown.
 */
import type Docker from 'dockerode';
import type { Config } from '../common/config.js';
import { CAPTURE_LIMITS, type FaultCapture } from '../common/capture.js';
import { Limiter } from '../common/pool.js';
import { inspectFacts, parseLogTail, processRows } from './capture-facts.js';
import { ApiProcessSource } from './processes/apisource.js';

/** Captures read at once; more wait (Docker answers each in milliseconds). */
const CONCURRENCY = 4;
/** An oom and the die of the same kill come milliseconds apart: one capture serves both. */
const REUSE_MS = 2_000;

const reason = (e: unknown) => String((e as Error)?.message ?? e).slice(0, 300);

export class FaultCapturer {
  private readonly limiter = new Limiter(CONCURRENCY);
  private readonly recent = new Map<string, { at: number; capture: Promise<FaultCapture> }>();
  private readonly processes: ApiProcessSource;

  constructor(private readonly docker: Docker, private readonly opts: Config['collector']['capture']) {
    this.processes = new ApiProcessSource(docker, opts.timeout);
  }

  /** Starts reading now; never rejects. */
  capture(id: string, trigger: string, now = Date.now()): Promise<FaultCapture> {
    for (const [k, v] of this.recent) if (now - v.at >= REUSE_MS) this.recent.delete(k);
    const prev = this.recent.get(id);
    if (prev) return prev.capture;
    const capture = this.limiter.run(() => this.read(id, trigger));
    this.recent.set(id, { at: now, capture });
    return capture;
  }

  private async read(id: string, trigger: string): Promise<FaultCapture> {
    const time = Date.now();
    const errors: string[] = [];
    const abortSignal = AbortSignal.timeout(this.opts.timeout);
    const c = this.docker.getContainer(id);
    let info: Docker.ContainerInspectInfo | undefined;
    try {
      info = await c.inspect({ abortSignal });
    } catch (e) {
      errors.push(`inspect: ${reason(e)}`);
    }
    const logs = async () => {
      if (this.opts.logLines === 0) return null;
      try {
        const raw = (await c.logs({ stdout: true, stderr: true, timestamps: true, tail: this.opts.logLines, follow: false, abortSignal })) as unknown as Buffer | string;
        return parseLogTail(Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8'), !!info?.Config?.Tty, this.opts.logLines);
      } catch (e) {
        errors.push(`logs: ${reason(e)}`);
        return null;
      }
    };
    const processes = async () => {
      if (!info?.State?.Running) return null;
      try {
        const list = await this.processes.top(id, time);
        return list ? processRows(list) : null;
      } catch (e) {
        errors.push(`processes: ${reason(e)}`);
        return null;
      }
    };
    const [l, p] = await Promise.all([logs(), processes()]);
    return { time, trigger, logs: l, inspect: info ? inspectFacts(info) : null, processes: p, errors: errors.slice(0, 10).map((e) => e.slice(0, CAPTURE_LIMITS.text)) };
  }
}
