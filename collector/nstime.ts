/** Nanosecond timestamps as bigint: JavaScript numbers cannot hold them exactly. */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** "2024-05-07T21:09:36.123456789Z" (Docker's and InfluxDB's form) to ns since epoch; undefined when not that form. */
export function parseRfc3339Nano(s: string): bigint | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  if (!Number.isFinite(ms)) return undefined;
  let ns = BigInt(ms) * 1_000_000n + BigInt((m[7] ?? '').padEnd(9, '0') || '0');
  if (m[8] !== 'Z') {
    const sign = m[8][0] === '-' ? -1n : 1n;
    const offMin = BigInt(Number(m[8].slice(1, 3)) * 60 + Number(m[8].slice(4, 6)));
    ns -= sign * offMin * 60_000_000_000n;
  }
  return ns;
}

/** ns since epoch to RFC 3339 with 9 fraction digits, for InfluxQL time literals. */
export function formatRfc3339Nano(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString(); // ...T..:..:..mmmZ
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return iso.slice(0, 19) + '.' + frac + 'Z';
}

export const msToNs = (ms: number): bigint => BigInt(Math.round(ms)) * 1_000_000n;
