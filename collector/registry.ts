/**
 * The containers of one Docker host. While the event stream is live, events
 * say which containers appeared, changed or were destroyed, and the full list
 * is only re-read every listEvery to reconcile; without events it is listed
 * every cycle. A container is inspected when new, when its state moved, when
 * an event touched it, when it has a healthcheck (its failing streak moves
 * without events), or when its last inspect is older than inspectEvery.
 */
import type Docker from 'dockerode';
import { fromInspect, type ContainerMeta } from './container.js';
import { isGone } from '../common/docker.js';
import { mapLimit } from '../common/pool.js';
import { monitored } from './settings.js';

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

  /** containers events named since the last refresh */
  private touched = new Set<string>();
  private destroyed = new Set<string>();
  private lastList = -Infinity;
  /** containers labelled shipwatch.enable=false: never inspected again */
  private excluded = new Set<string>();
  /** the event stream is connected: events are trusted between full lists */
  eventsLive = false;

  constructor(
    private readonly docker: Docker,
    private readonly opts: { inspectEvery: number; listEvery?: number; concurrency?: number },
  ) {}

  /** An event touched this container (it may be new): read it again next refresh. */
  invalidate(id: string): void {
    const e = this.entries.get(id);
    if (e) e.dirty = true;
    this.touched.add(id);
  }

  /** The container was destroyed. */
  destroy(id: string): void {
    this.destroyed.add(id);
    this.excluded.delete(id);
  }

  /** Events may have been missed: list and read everything again next refresh. */
  invalidateAll(): void {
    for (const e of this.entries.values()) e.dirty = true;
    this.lastList = -Infinity;
  }

  get(id: string): ContainerMeta | undefined {
    return this.entries.get(id)?.meta;
  }

  all(): ContainerMeta[] {
    return [...this.entries.values()].map((e) => e.meta);
  }

  /** Brings the registry up to date. Throws if Docker is unreachable. */
  async refresh(now = Date.now()): Promise<RegistryChanges> {
    if (this.eventsLive && now - this.lastList < (this.opts.listEvery ?? 0)) return this.refreshFromEvents(now);
    // A full list covers what events named so far; events arriving during it wait for the next refresh.
    this.touched.clear();
    this.destroyed.clear();
    const list = await this.docker.listContainers({ all: true });
    this.lastList = now;
    const seen = new Set<string>();
    const toInspect: string[] = [];
    for (const c of list) {
      if (!monitored(c.Labels)) continue;
      seen.add(c.Id);
      const e = this.entries.get(c.Id);
      if (!e || e.dirty || e.listState !== c.State || e.meta.hasHealthcheck || now - e.inspectedAt >= this.opts.inspectEvery) {
        toInspect.push(c.Id);
      }
    }
    const changes: RegistryChanges = { appeared: [], gone: [], updated: [] };
    await this.inspectAll(toInspect, now, changes, seen);
    for (const [id, e] of this.entries) {
      if (!seen.has(id)) {
        this.entries.delete(id);
        changes.gone.push(e.meta);
      }
    }
    return changes;
  }

  private takeTouched(): Set<string> {
    const t = this.touched;
    this.touched = new Set();
    return t;
  }

  /** Between full lists: inspect only what events named, plus healthchecked and stale entries. */
  private async refreshFromEvents(now: number): Promise<RegistryChanges> {
    const changes: RegistryChanges = { appeared: [], gone: [], updated: [] };
    const toInspect = new Set(this.takeTouched());
    for (const [id, e] of this.entries) {
      if (e.dirty || e.meta.hasHealthcheck || now - e.inspectedAt >= this.opts.inspectEvery) toInspect.add(id);
    }
    for (const id of this.destroyed) toInspect.delete(id);
    for (const id of this.excluded) toInspect.delete(id);
    const alive = new Set(this.entries.keys());
    await this.inspectAll([...toInspect], now, changes, alive);
    for (const id of this.destroyed) alive.delete(id);
    this.destroyed.clear();
    for (const [id, e] of this.entries) {
      if (!alive.has(id)) {
        this.entries.delete(id);
        changes.gone.push(e.meta);
      }
    }
    return changes;
  }

  /** Inspects containers; one that is gone is removed from `alive`. */
  private async inspectAll(ids: string[], now: number, changes: RegistryChanges, alive: Set<string>) {
    await mapLimit(ids, this.opts.concurrency ?? 32, async (id) => {
      let info: Docker.ContainerInspectInfo;
      try {
        info = await this.docker.getContainer(id).inspect();
      } catch (e) {
        if (isGone(e)) {
          alive.delete(id);
          return;
        }
        throw e;
      }
      const meta = fromInspect(info);
      if (!monitored(meta.labels)) {
        this.excluded.add(id);
        alive.delete(id);
        return;
      }
      alive.add(id);
      const existed = this.entries.has(id);
      this.entries.set(id, { meta, listState: meta.state, inspectedAt: now, dirty: false });
      (existed ? changes.updated : changes.appeared).push(meta);
    });
  }
}
