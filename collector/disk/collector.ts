/**
 * Disk usage and mounts from one /system/df call per interval. Docker computes
 * every container's writable layer for it, which is slow on a busy host: it
 * runs on its own scheduler so the metrics cycle never waits for it.
 */
import { statfs } from 'node:fs/promises';
import type Docker from 'dockerode';
import type { Logger } from '../../common/log.js';
import { OnceLogger } from '../../common/log.js';
import type { LineSink } from '../../common/influx/sink.js';
import type { EngineInfo } from '../../common/docker.js';
import { containerFsUsage, type FsUsage } from './fsusage.js';
import { diskLines, type DfAnswer, type DiskLineOptions } from './lines.js';

export class DiskCollector {
  private readonly outage: OnceLogger;
  /** the last pass's writable-layer usage per container, for the processor's exhaustion prediction */
  private fs = new Map<string, FsUsage>();
  private dataRoot: string | undefined | null;

  constructor(
    private readonly docker: Docker,
    private readonly sink: LineSink,
    private readonly engine: EngineInfo,
    private readonly opts: DiskLineOptions & { timeout: number },
    private readonly log: Logger,
  ) {
    this.outage = new OnceLogger(log);
  }

  fsOf(id: string): FsUsage | undefined {
    return this.fs.get(id);
  }

  /** Free bytes of Docker's data filesystem, when this process can see it (on the host). */
  private async dataRootAvailable(): Promise<number | undefined> {
    try {
      this.dataRoot ??= ((await this.docker.info()) as { DockerRootDir?: string }).DockerRootDir ?? null;
      if (!this.dataRoot) return undefined;
      const st = await statfs(this.dataRoot);
      return st.bavail * st.bsize;
    } catch {
      return undefined; // a collector in a container does not see the host's data root
    }
  }

  /** One pass stamped `time` (ms). Never throws. */
  async poll(time: number): Promise<{ lines: number; tookMs: number } | undefined> {
    const started = Date.now();
    let df: DfAnswer;
    try {
      df = (await (this.docker.df as (o: object) => Promise<unknown>).call(this.docker, { abortSignal: AbortSignal.timeout(this.opts.timeout) })) as DfAnswer;
      this.outage.clear('df', 'Docker disk usage readable again');
    } catch (e) {
      this.outage.raise('df', 'Docker disk usage (/system/df) failed; retrying next interval', { error: (e as Error).message });
      return undefined;
    }
    this.fs = containerFsUsage(df, await this.dataRootAvailable());
    const lines: string[] = [];
    diskLines(df, this.engine, this.opts, time, lines);
    const out = lines.filter(Boolean);
    this.sink.write(out);
    await this.sink.flush();
    return { lines: out.length, tookMs: Date.now() - started };
  }
}
