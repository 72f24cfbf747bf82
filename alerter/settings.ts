/**
 * What a container's labels decide in the alerter (pure): shipwatch.route
 * sends its alerts to the receiver it names (with the grouping and timing of
 * the route the tree chose), shipwatch.recovery names the one recovery rule
 * allowed for it. A name the configuration does not have is a label problem:
 * the route falls back to the tree, no recovery action is taken.
 */
import { CONTAINER_LABEL, NO_RECOVERY, type LabelProblem } from '../common/container-settings.js';
import { matchesAll } from '../common/matchers.js';
import type { ActionRule } from '../common/config-alerter.js';
import type { AlertMessage } from '../common/queue/alerts.js';
import { Router, type RouteMatch } from './routing.js';

export function routesFor(msg: Pick<AlertMessage, 'route'>, tree: RouteMatch[], receivers: ReadonlySet<string>): { routes: RouteMatch[]; problem?: LabelProblem } {
  if (!msg.route) return { routes: tree };
  if (!receivers.has(msg.route)) {
    return {
      routes: tree,
      problem: { label: CONTAINER_LABEL.route, value: msg.route, problem: `no receiver "${msg.route}" in alerter.receivers: routed by alerter.route instead` },
    };
  }
  return { routes: [Router.withReceiver(tree[0], msg.route)] };
}

export function recoveryRuleFor(msg: Pick<AlertMessage, 'recovery'>, labels: Record<string, string>, rules: readonly ActionRule[]): { rule?: ActionRule; problem?: LabelProblem } {
  if (msg.recovery === undefined) return { rule: rules.find((r) => matchesAll(r.matchers, labels)) };
  if (msg.recovery === NO_RECOVERY) return {};
  const rule = rules.find((r) => r.name === msg.recovery);
  if (!rule) {
    return { problem: { label: CONTAINER_LABEL.recovery, value: msg.recovery, problem: `no rule "${msg.recovery}" in alerter.actions.rules: no recovery action is taken` } };
  }
  // The named rule still answers only the alerts its matchers take.
  return matchesAll(rule.matchers, labels) ? { rule } : {};
}
