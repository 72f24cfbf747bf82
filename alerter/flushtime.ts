/**
 * When a group flushes after an alert transition (pure). With `immediate` a
 * new firing alert goes out at once when its group announced no new alert for
 * groupWait, else groupWait after the group's last such notification: a
 * burst is one notification for its first alert and one for the rest, and a
 * crash never waits for the groupInterval tick. Resolves keep to the ticks.
 * Otherwise, as in Alertmanager: groupWait after a new group's first alert,
 * then on the groupInterval ticks.
 */
import type { AlertMessage } from '../common/queue/alerts.js';
import type { RouteMatch } from './routing.js';
import type { GroupState } from './store/groups.js';

/**
 * The time the group must flush for this transition, and whether it may bring
 * a later pending flush forward; undefined: a pending flush covers it.
 */
export function flushAt(
  route: Pick<RouteMatch, 'groupWait' | 'groupInterval' | 'immediate'>,
  group: Pick<GroupState, 'pending' | 'flushed' | 'newAt'>,
  status: AlertMessage['status'],
  now: number,
): { at: number; advance: boolean } | undefined {
  if (route.immediate && status === 'firing') {
    const last = group.newAt;
    const at = !last || now - last >= route.groupWait ? now : last + route.groupWait;
    return group.pending && group.pending <= at ? undefined : { at, advance: true };
  }
  if (group.pending) return undefined;
  return { at: now + (group.flushed ? route.groupInterval : route.groupWait), advance: false };
}
