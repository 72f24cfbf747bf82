/** Which queue shard a host's jobs go to: a stable hash of the host name. */

/** 32-bit FNV-1a of the UTF-16 code units: fast, stable across processes and versions. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function shardOf(host: string, shards: number): number {
  return shards <= 1 ? 0 : fnv1a(host) % shards;
}
