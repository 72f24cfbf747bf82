import type { ContainerMeta } from '../container.js';
import type { ProcessSample } from './sample.js';

/** Lists the processes of a running container. */
export interface ProcessSource {
  readonly name: 'proc' | 'api';
  /**
   * The container's processes; undefined when it stopped or vanished meanwhile;
   * 'unreadable' when this source cannot see it (another source may).
   */
  list(c: ContainerMeta, nowMs: number): Promise<ProcessSample[] | undefined | 'unreadable'>;
  forget(id: string): void;
}
