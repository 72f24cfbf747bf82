/**
 * Redis ACL users, one per component, from the key names of its queues
 * (pure). BullMQ keeps a queue in keys `<prefix>:<queue>:<part>` and runs its
 * Lua scripts with EVALSHA (loaded with SCRIPT LOAD for pipelines); Redis
 * checks every command a script runs against the caller's ACL, keys included.
 * So each user gets the data-structure commands, scripting and its
 * connection's own commands, none of the @dangerous or @admin ones, and only
 * the key patterns of the queues it uses:
 *
 * - collector: publishes samples and Docker events (the shard queues);
 * - processor: consumes those, keeps each host's state and lock and each
 *   container's fault capture in the shard's hash tag, publishes alerts;
 *   makes the reports (their queue and store) and announces them to the alerter;
 * - alerter: consumes alerts, keeps its own state and queues, publishes each
 *   host's actions and takes their results; reads the reports and asks for them;
 * - agent of host H: consumes H's actions only, marks the runs it took, reports results.
 *
 * Redis cannot tell "add a job" from "remove a job" (both are scripts over the
 * same keys): a user may do anything to the queues it may use, nothing to others.
 */
import { createHash } from 'node:crypto';
import { prefixBase } from './names.js';
import { ALERTS_QUEUE, SAMPLES_QUEUE, SHARD_KEY } from './names.js';
import { ACTIONS_QUEUE, RESULTS_QUEUE } from './actions.js';
import { REPORT_READY_QUEUE } from '../reports.js';

export type AclRole = 'collector' | 'processor' | 'alerter' | 'agent';

/** Commands every component user gets. */
export const ACL_COMMANDS = [
  '-@all', '+@connection', '+@read', '+@write', '+@scripting', '+@transaction',
  '-@dangerous', '-@admin', '-function', '-script|flush', '-script|kill', '-scan', '-randomkey',
  // BullMQ reads the server's version and eviction policy once per connection.
  '+info',
].join(' ');

/** A glob that matches the text literally. */
const lit = (s: string) => s.replace(/[*?[\]\\]/g, '\\$&');

/** The shard hash tags {p:s0} .. {p:s1023}: one pattern per number of digits, so no other tag matches. */
const shardTags = (b: string) => [1, 2, 3, 4].map((n) => `{${b}:s${'[0-9]'.repeat(n)}}`);

/** Key patterns of a role (without the leading ~). */
export function aclKeys(role: AclRole, prefix: string, host = ''): string[] {
  const b = lit(prefixBase(prefix));
  const alerts = `{${b}:alerts}`;
  const reports = `{${b}:reports}:*`;
  const samples = shardTags(b).map((t) => `${t}:${SAMPLES_QUEUE}:*`);
  switch (role) {
    case 'collector':
      return samples;
    case 'processor':
      return [
        ...samples, ...shardTags(b).flatMap((t) => Object.values(SHARD_KEY).map((part) => `${t}:${part}:*`)), `${alerts}:${ALERTS_QUEUE}:*`,
        reports, `${alerts}:${REPORT_READY_QUEUE}:*`,
      ];
    case 'alerter':
      return [`${alerts}:${ALERTS_QUEUE}:*`, `${alerts}:alerter:*`, `${alerts}:alerter-*`, `{${b}:agent:*}:${ACTIONS_QUEUE}:*`, reports];
    case 'agent': {
      if (!host) throw new Error('an agent user is for one host: give its name');
      // The same replacement agentPrefix() makes.
      const tag = `{${b}:agent:${lit(host.replace(/[{}]/g, '_'))}}`;
      return [`${tag}:${ACTIONS_QUEUE}:*`, `${tag}:ran:*`, `${alerts}:${RESULTS_QUEUE}:*`];
    }
  }
}

/** The user's name: the role, and the host for an agent. */
export const aclUserName = (role: AclRole, host = '') => (role === 'agent' ? `agent-${host}` : role);

/** Rules of a role's user, after `user <name> on <password>`. */
export const aclRules = (role: AclRole, prefix: string, host = '') =>
  ['resetkeys', 'resetchannels', ...aclKeys(role, prefix, host).map((k) => `~${k}`), ACL_COMMANDS].join(' ');

/** A password as the ACL file keeps it: its SHA-256, never the text. */
export const aclPassword = (password: string) => `#${createHash('sha256').update(password).digest('hex')}`;

export interface AclUser {
  role: AclRole;
  host?: string;
  password: string;
}

/** An ACL file (redis-server --aclfile): the default user off, a PING-only health user, an admin, one user per component. */
export function aclFile(prefix: string, admin: string, users: AclUser[]): string {
  const lines = [
    'user default off',
    'user health on nopass resetkeys resetchannels -@all +ping',
    `user admin on ${aclPassword(admin)} ~* &* +@all`,
    ...users.map((u) => `user ${aclUserName(u.role, u.host)} on ${aclPassword(u.password)} ${aclRules(u.role, prefix, u.host)}`),
  ];
  return lines.join('\n') + '\n';
}
