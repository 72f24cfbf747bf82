/**
 * The route tree (pure), as in Alertmanager: an alert descends into the first
 * child route whose matchers all match, or into every matching child up to
 * and including the first without `continue`. The deepest matching routes are
 * the result; the root matches everything. Unset settings are inherited.
 */
import { matchesAll, type Matcher } from '../common/matchers.js';
import type { ChildRoute, RootRoute } from '../common/config-alerter.js';

export interface RouteMatch {
  /** position in the tree, e.g. "root.0.1": part of the group key */
  id: string;
  receiver: string;
  groupBy: string[];
  groupWait: number;
  immediate: boolean;
  groupInterval: number;
  repeatInterval: number;
}

interface Node {
  settings: RouteMatch;
  matchers: Matcher[];
  continue: boolean;
  children: Node[];
}

/** Separates a route's ID from the receiver a container's label put in its place. */
const OVERRIDE = '>';

export class Router {
  private readonly root: Node;

  /** The route with another receiver (a container's shipwatch.route): the tree's grouping and timing, that receiver. */
  static withReceiver(r: RouteMatch, receiver: string): RouteMatch {
    return { ...r, id: `${r.id.split(OVERRIDE)[0]}${OVERRIDE}${receiver}`, receiver };
  }

  constructor(route: RootRoute) {
    const settings: RouteMatch = {
      id: 'root',
      receiver: route.receiver,
      groupBy: route.groupBy,
      groupWait: route.groupWait,
      immediate: route.immediate,
      groupInterval: route.groupInterval,
      repeatInterval: route.repeatInterval,
    };
    this.root = { settings, matchers: [], continue: false, children: route.routes.map((r, i) => this.build(r, settings, `root.${i}`)) };
  }

  private build(r: ChildRoute, parent: RouteMatch, id: string): Node {
    const settings: RouteMatch = {
      id,
      receiver: r.receiver ?? parent.receiver,
      groupBy: r.groupBy ?? parent.groupBy,
      groupWait: r.groupWait ?? parent.groupWait,
      immediate: r.immediate ?? parent.immediate,
      groupInterval: r.groupInterval ?? parent.groupInterval,
      repeatInterval: r.repeatInterval ?? parent.repeatInterval,
    };
    return { settings, matchers: r.matchers, continue: r.continue, children: r.routes.map((c, i) => this.build(c, settings, `${id}.${i}`)) };
  }

  /** The routes an alert with these labels goes to (at least the root's). */
  match(labels: Record<string, string>): RouteMatch[] {
    return this.walk(this.root, labels);
  }

  private walk(n: Node, labels: Record<string, string>): RouteMatch[] {
    const out: RouteMatch[] = [];
    for (const c of n.children) {
      if (!matchesAll(c.matchers, labels)) continue;
      out.push(...this.walk(c, labels));
      if (!c.continue) break;
    }
    return out.length ? out : [n.settings];
  }

  /** A route by its ID (for a flush job), or undefined when the configuration changed. */
  byId(id: string): RouteMatch | undefined {
    const [treeId, receiver] = id.split(OVERRIDE);
    const find = (n: Node): RouteMatch | undefined => (n.settings.id === treeId ? n.settings : n.children.map(find).find(Boolean));
    const r = find(this.root);
    return r && receiver !== undefined ? Router.withReceiver(r, receiver) : r;
  }
}
