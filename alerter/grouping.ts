/** Group identity (pure): the route plus the values of its groupBy labels. */
import { createHash } from 'node:crypto';
import type { RouteMatch } from './routing.js';

export interface GroupId {
  /** short and safe for Redis keys and job IDs */
  id: string;
  routeId: string;
  /** the groupBy labels and their values */
  labels: Record<string, string>;
}

/** groupBy ["..."] groups by every label: one group per distinct label set. */
export function groupOf(route: RouteMatch, labels: Record<string, string>): GroupId {
  const keys = route.groupBy.includes('...') ? Object.keys(labels).sort() : [...route.groupBy].sort();
  const gl: Record<string, string> = {};
  for (const k of keys) gl[k] = labels[k] ?? '';
  const id = createHash('sha1').update(JSON.stringify([route.id, route.receiver, gl])).digest('hex').slice(0, 20);
  return { id, routeId: route.id, labels: gl };
}
