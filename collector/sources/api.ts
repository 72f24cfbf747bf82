/**
 * Stats from the Docker API: one-shot calls (no 1 s precpu wait) with bounded
 * concurrency; CPU % comes from the collector's own previous sample.
 */
import type Docker from 'dockerode';
import { mapLimit } from '../../common/pool.js';
import type { ContainerMeta } from '../container.js';
import { isGone } from '../../common/docker.js';
import { fromApiStats, isEmptyApiStats, type ApiStats, type StatsSample } from '../stats.js';
import type { StatsSource } from './source.js';

export class ApiStatsSource implements StatsSource {
  readonly name = 'api' as const;
  constructor(private readonly docker: Docker, private readonly opts: { concurrency: number; timeout: number }) {}

  async read(containers: ContainerMeta[]) {
    const samples = new Map<string, StatsSample>();
    const unreadable: ContainerMeta[] = [];
    await mapLimit(containers, this.opts.concurrency, async (c) => {
      try {
        const body = (await this.docker.getContainer(c.id).stats({
          stream: false,
          'one-shot': true,
          abortSignal: AbortSignal.timeout(this.opts.timeout),
        } as { stream: false })) as unknown as ApiStats;
        if (!body || isEmptyApiStats(body)) return; // stopped between list and read
        const s = fromApiStats(body);
        // On cgroup v1 Docker reports limit = host memory when none is set; keep as is.
        samples.set(c.id, s);
      } catch (e) {
        if (isGone(e)) return;
        unreadable.push(c);
      }
    });
    return { samples, unreadable };
  }

  forget(): void {}
  close(): void {}
}
