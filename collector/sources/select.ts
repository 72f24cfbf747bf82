import type Docker from 'dockerode';
import type { Config } from '../../common/config.js';
import type { Logger } from '../../common/log.js';
import type { ContainerMeta } from '../container.js';
import type { StatsSample } from '../stats.js';
import { ApiStatsSource } from './api.js';
import { CgroupStatsSource, detectCgroup } from './cgroup.js';
import type { StatsSource } from './source.js';

/**
 * cgroup files first; a container the fast path cannot read (its cgroup is not
 * visible here) is read through the Docker API in the same cycle.
 */
export class FallbackSource implements StatsSource {
  readonly name = 'cgroup' as const;
  constructor(private readonly fast: CgroupStatsSource, private readonly api: ApiStatsSource, private readonly log: Logger) {}
  private warned = new Set<string>();

  async read(containers: ContainerMeta[]) {
    const first = await this.fast.read(containers);
    if (first.unreadable.length === 0) return first;
    for (const c of first.unreadable) {
      if (!this.warned.has(c.id)) {
        this.warned.add(c.id);
        this.log.info({ container: c.name }, 'cgroup files not found for container; reading it through the Docker API');
      }
    }
    const second = await this.api.read(first.unreadable);
    const samples = new Map<string, StatsSample>([...first.samples, ...second.samples]);
    return { samples, unreadable: second.unreadable };
  }

  forget(id: string) {
    this.fast.forget(id);
    this.warned.delete(id);
  }

  close() {
    this.fast.close();
  }
}

/** Picks the stats source the config asks for; "auto" takes cgroup files when this host's tree is readable. */
export function selectSource(cfg: Config, docker: Docker, log: Logger): StatsSource {
  const api = new ApiStatsSource(docker, { concurrency: cfg.collector.statsConcurrency, timeout: cfg.docker.timeout });
  const choice = cfg.collector.statsSource;
  if (choice === 'api') return api;
  const version = cfg.docker.url ? undefined : detectCgroup(cfg.collector.cgroupRoot);
  if (version === undefined) {
    if (choice === 'cgroup') {
      throw new Error(`collector.statsSource: cgroup files not readable under ${cfg.collector.cgroupRoot}`);
    }
    log.info({ cgroupRoot: cfg.collector.cgroupRoot }, 'cgroup tree not visible; reading stats through the Docker API');
    return api;
  }
  log.info({ cgroupVersion: version }, 'reading stats from cgroup files');
  return new FallbackSource(new CgroupStatsSource(version, cfg.collector), api, log);
}
