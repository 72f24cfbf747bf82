/**
 * The containers of one Docker host: listed every cycle, inspected when new,
 * when their state moved, when an event touched them, when they have a
 * healthcheck, or when the last inspect is older than inspectEvery.
 */
import type Docker from 'dockerode';
import { fromInspect, type ContainerMeta } from './container.js';
import { isGone } from './docker.js';
import { mapLimit } from '../common/pool.js';

interface Entry {
  meta: ContainerMeta;
  listState: string;
  inspectedAt: number;
  dirty: boolean;
}

export interface RegistryChanges {
  appeared: ContainerMeta[];
  gone: ContainerMeta[];
  /** containers whose metadata was re-read this cycle */
  updated: ContainerMeta[];
}

export class ContainerRegistry {
  private entries = new Map<string, Entry>();

  constructor(
    private readonly docker: Docker,
    private readonly opts: { inspectEvery: number; concurrency?: number },
  ) {}

  /** An event touched this container: read it again next refresh. */
  invalidate(id: string): void {
    const e = this.entries.get(id);
    if (e) e.dirty = true;
  }

  /** Events may have been missed: read everything again next refresh. */
  invalidateAll(): void {
    for (const e of this.entries.values()) e.dirty = true;
  }

  get(id: string): ContainerMeta | undefined {
    return this.entries.get(id)?.meta;
  }

  all(): ContainerMeta[] {
    return [...this.entries.values()].map((e) => e.meta);
  }

  /** Lists the host's containers and brings the registry up to date. Throws if Docker is unreachable. */
  async refresh(now = Date.now()): Promise<RegistryChanges> {
    const list = await this.docker.listContainers({ all: true });
    const seen = new Set<string>();
    const toInspect: string[] = [];
    for (const c of list) {
      seen.add(c.Id);
      const e = this.entries.get(c.Id);
      if (!e || e.dirty || e.listState !== c.State || e.meta.hasHealthcheck || now - e.inspectedAt >= this.opts.inspectEvery) {
        toInspect.push(c.Id);
      }
    }
    const changes: RegistryChanges = { appeared: [], gone: [], updated: [] };
    const listed = new Map(list.map((c) => [c.Id, c]));
    await mapLimit(toInspect, this.opts.concurrency ?? 32, async (id) => {
      let info: Docker.ContainerInspectInfo;
      try {
        info = await this.docker.getContainer(id).inspect();
      } catch (e) {
        if (isGone(e)) {
          seen.delete(id);
          return;
        }
        throw e;
      }
      const meta = fromInspect(info);
      const existed = this.entries.has(id);
      this.entries.set(id, { meta, listState: listed.get(id)!.State, inspectedAt: now, dirty: false });
      (existed ? changes.updated : changes.appeared).push(meta);
    });
    for (const [id, e] of this.entries) {
      if (!seen.has(id)) {
        this.entries.delete(id);
        changes.gone.push(e.meta);
      }
    }
    return changes;
  }
}
