/**
 * Container metadata from what an event, a list entry or /system/df says of a
 * container, for building its series keys when no inspect answer is at hand.
 */
import type { ContainerMeta } from './container.js';

export interface PartialMeta {
  id: string;
  name: string;
  image: string;
  labels?: Record<string, string>;
  state?: string;
  tty?: boolean;
}

export function partialMeta(p: PartialMeta): ContainerMeta {
  return {
    id: p.id,
    name: p.name.replace(/^\//, ''),
    image: p.image,
    imageId: '',
    state: p.state ?? '',
    created: 0,
    labels: p.labels ?? {},
    ips: [],
    networks: [],
    ports: '',
    command: '',
    networkMode: '',
    pid: 0,
    exitCode: 0,
    oomKilled: false,
    restartCount: 0,
    startedAt: 0,
    finishedAt: 0,
    hasHealthcheck: false,
    tty: p.tty ?? false,
  };
}

/** The name Docker lists first without a slash inside (links add "/other/alias" names). */
export function listName(names: string[] | string | undefined): string {
  const all = Array.isArray(names) ? names : names ? [names] : [];
  for (const n of all) {
    const t = n.replace(/^\//, '');
    if (!t.includes('/')) return t;
  }
  return (all[0] ?? '').replace(/^\//, '');
}
