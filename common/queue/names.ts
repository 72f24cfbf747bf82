/**
 * Names of the queues between collector, processor and alerter, and the Redis
 * key prefixes they live under. Every prefix is a Redis Cluster hash tag, so
 * the keys of one queue share a slot and the shards spread over the nodes.
 */

/** Samples and Docker events, collector → processor; one queue per shard. */
export const SAMPLES_QUEUE = 'samples';
/** Alert transitions, processor → alerter. */
export const ALERTS_QUEUE = 'alerts';

/** Job names on the samples queues. */
export const JOB = {
  samples: 'samples',
  event: 'event',
} as const;

/** "{shipwatch}" → "shipwatch": the configured prefix without its hash-tag braces. */
export function prefixBase(prefix: string): string {
  const m = /^\{([^}]*)\}$/.exec(prefix.trim());
  return (m ? m[1] : prefix.trim()) || 'shipwatch';
}

/** Prefix of shard i: its own hash tag, so each shard (queue and host state) may sit on another node. */
export const shardPrefix = (prefix: string, shard: number) => `{${prefixBase(prefix)}:s${shard}}`;

/**
 * The processor's own keys in a shard's hash tag, `<shard prefix>:<part>:...`: each host's state,
 * its lock, and each container's latest fault capture. Named once: the Redis ACL (common/queue/acl.ts) grants them.
 */
export const SHARD_KEY = { state: 'host', lock: 'lock', capture: 'capture', spill: 'spill' } as const;

/** Prefix of the alerter's queue. */
export const alertsPrefix = (prefix: string) => `{${prefixBase(prefix)}:alerts}`;

/** Prefix of the processor's fleet-wide keys (leases of periodic tasks). */
export const globalPrefix = (prefix: string) => `{${prefixBase(prefix)}}`;

/** BullMQ refuses ":" in custom job IDs; keep IDs readable otherwise. */
export const jobIdPart = (s: string) => s.replace(/:/g, '_');
