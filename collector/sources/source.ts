import type { ContainerMeta } from '../container.js';
import type { StatsSample } from '../stats.js';

/** Reads the performance counters of running containers. */
export interface StatsSource {
  readonly name: 'cgroup' | 'api';
  /**
   * One sample per container it could read. A container that vanished is left
   * out quietly; one this source cannot read goes to `unreadable`.
   */
  read(containers: ContainerMeta[]): Promise<{ samples: Map<string, StatsSample>; unreadable: ContainerMeta[] }>;
  /** A container is gone: release what is kept for it. */
  forget(id: string): void;
  close(): void;
}
