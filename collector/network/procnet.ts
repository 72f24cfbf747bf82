/**
 * Parser of /proc/<pid>/net/tcp, tcp6, udp and udp6 (pure: bytes in, counts
 * out). A busy container has tens of thousands of lines, so lines are read as
 * bytes by their char codes: no string is made per line, and addresses are
 * kept as numbers. Only ESTABLISHED sockets keep their addresses (for the
 * service map) and only LISTEN sockets their port.
 *
 * Line format (net/ipv4/tcp_ipv4.c, net/ipv6/tcp_ipv6.c):
 *   "%4d: %08X:%04X %08X:%04X %02X ..." (v6: each address is four %08X words)
 * Each 32-bit word is printed as the CPU holds it, so on a little-endian host
 * 10.0.0.1 reads "0100000A".
 */
import { endianness } from 'node:os';

const LE = endianness() === 'LE';
const NL = 10;
const SPACE = 32;
const COLON = 58;

export const TCP_ESTABLISHED = 1;
export const TCP_SYN_RECV = 3;
export const TCP_TIME_WAIT = 6;
export const TCP_CLOSE_WAIT = 8;
export const TCP_LISTEN = 10;
/** highest state code with a field of its own (TCP_CLOSING) */
const LAST_STATE = 11;

/** 0..15 for an ASCII hex digit, -1 otherwise */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

function hexAt(b: Uint8Array, at: number, len: number): number {
  let v = 0;
  for (let i = at; i < at + len; i++) {
    const d = HEX[b[i]];
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** A 32-bit word as printed by the kernel, in network order (a.b.c.d = a*2^24 + ...). */
const netOrder = (w: number) => (LE ? ((w & 0xff) * 0x1000000 + ((w >>> 8) & 0xff) * 0x10000 + ((w >>> 16) & 0xff) * 0x100 + (w >>> 24)) : w);

/** Dotted IPv4 to the key the parser gives its address; undefined if not IPv4. */
export function ipv4Key(ip: string): number | undefined {
  const p = ip.split('.');
  if (p.length !== 4) return undefined;
  let k = 0;
  for (const x of p) {
    const n = Number(x);
    if (!/^\d{1,3}$/.test(x) || n > 255) return undefined;
    k = k * 256 + n;
  }
  return k;
}

/** IPv6 text to the key the parser gives its address: eight 4-digit lower-case groups; undefined if not IPv6. */
export function ipv6Key(ip: string): string | undefined {
  if (!ip.includes(':')) return undefined;
  let text = ip.toLowerCase();
  const pct = text.indexOf('%');
  if (pct >= 0) text = text.slice(0, pct);
  // A dotted tail (::ffff:1.2.3.4) becomes two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const k = ipv4Key(dotted[1]);
    if (k === undefined) return undefined;
    text = text.slice(0, dotted.index) + Math.floor(k / 65536).toString(16) + ':' + (k % 65536).toString(16);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? fill : 0).fill('0'), ...tail];
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => g.padStart(4, '0')).join(':');
}

/** The key of an address in either family, as the parser gives it (IPv4-mapped IPv6 as IPv4). */
export function ipKey(ip: string): number | string | undefined {
  const v4 = ipv4Key(ip);
  if (v4 !== undefined) return v4;
  const v6 = ipv6Key(ip);
  if (v6?.startsWith('0000:0000:0000:0000:0000:ffff:')) return Number.parseInt(v6.slice(30, 34) + v6.slice(35), 16);
  return v6;
}

/**
 * What one read of a network namespace's socket tables found. Reused from
 * cycle to cycle: reset() keeps its arrays.
 */
export class SocketScan {
  /** TCP sockets by state code; [0]: codes without a field (none expected) */
  readonly tcp = new Uint32Array(LAST_STATE + 1);
  udp = 0;
  /** local ports with a listening TCP socket */
  readonly listening = new Set<number>();
  /** established connections recorded: local port, remote port, remote address */
  established = 0;
  localPort = new Uint16Array(256);
  remotePort = new Uint16Array(256);
  /** IPv4 remote address key (ipv4Key), or -1 when the address is IPv6 (remote6) */
  remote = new Float64Array(256);
  readonly remote6 = new Map<number, string>();
  /** established connections beyond maxEstablished: counted by state, left out of the service map */
  skipped = 0;

  constructor(readonly maxEstablished = 65_536) {}

  reset(): void {
    this.tcp.fill(0);
    this.udp = 0;
    this.listening.clear();
    this.established = 0;
    this.remote6.clear();
    this.skipped = 0;
  }

  private grow(): void {
    const n = this.localPort.length * 2;
    const lp = new Uint16Array(n);
    lp.set(this.localPort);
    const rp = new Uint16Array(n);
    rp.set(this.remotePort);
    const ra = new Float64Array(n);
    ra.set(this.remote);
    this.localPort = lp;
    this.remotePort = rp;
    this.remote = ra;
  }

  addEstablished(localPort: number, remotePort: number, remote: number, remote6?: string): void {
    if (this.established >= this.maxEstablished) {
      this.skipped++;
      return;
    }
    if (this.established === this.localPort.length) this.grow();
    const i = this.established++;
    this.localPort[i] = localPort;
    this.remotePort[i] = remotePort;
    this.remote[i] = remote;
    if (remote6 !== undefined) this.remote6.set(i, remote6);
  }

  /** Remote address key of connection i: a number for IPv4, a string for IPv6. */
  remoteKey(i: number): number | string {
    const r = this.remote[i];
    return r >= 0 ? r : this.remote6.get(i)!;
  }

  /** Sockets seen, all families and states. */
  get sockets(): number {
    let n = this.udp;
    for (const c of this.tcp) n += c;
    return n;
  }
}

/** Index just past the next space-delimited run starting at or after i (skips leading spaces). */
function skipSpaces(b: Uint8Array, i: number, end: number): number {
  while (i < end && b[i] === SPACE) i++;
  return i;
}

/** An IPv6 address of four printed words: an IPv4 key when IPv4-mapped, -2 for ::1 and IPv4 loopback, else -1 and the text in out6. */
function v6Address(b: Uint8Array, at: number, out6: { key: string }): number {
  const w0 = hexAt(b, at, 8);
  const w1 = hexAt(b, at + 8, 8);
  const w2 = netOrder(hexAt(b, at + 16, 8));
  const w3 = netOrder(hexAt(b, at + 24, 8));
  if (w0 === 0 && w1 === 0) {
    if (w2 === 0xffff) return w3;
    if (w2 === 0 && w3 === 1) return -2;
  }
  const words = [netOrder(w0), netOrder(w1), w2, w3];
  let s = '';
  for (const w of words) {
    const hi = Math.floor(w / 65536).toString(16).padStart(4, '0');
    const lo = (w % 65536).toString(16).padStart(4, '0');
    s += (s ? ':' : '') + hi + ':' + lo;
  }
  out6.key = s;
  return -1;
}

const isLoopback4 = (k: number) => k >= 0x7f000000 && k <= 0x7fffffff;

/**
 * Parses the complete lines of /proc/net/tcp (v6: tcp6) in b[start, end) into
 * scan. Returns the index where the unparsed rest (a partial last line)
 * starts. Connections to loopback addresses are counted but not recorded:
 * they stay inside the container.
 */
export function scanTcp(b: Uint8Array, start: number, end: number, v6: boolean, scan: SocketScan): number {
  const addrLen = v6 ? 32 : 8;
  const out6 = { key: '' };
  let i = start;
  for (;;) {
    const nl = b.indexOf(NL, i);
    if (nl < 0 || nl >= end) return i;
    let p = skipSpaces(b, i, nl);
    // "sl" header line or anything not starting with a slot number
    if (p < nl && HEX[b[p]] >= 0 && b[p] <= 57) {
      while (p < nl && b[p] !== COLON) p++;
      p = skipSpaces(b, p + 1, nl);
      const local = p;
      const remote = local + addrLen + 6;
      const st = remote + addrLen + 6;
      if (st + 2 <= nl) {
        const state = hexAt(b, st, 2);
        scan.tcp[state >= 1 && state <= LAST_STATE ? state : 0]++;
        if (state === TCP_LISTEN) scan.listening.add(hexAt(b, local + addrLen + 1, 4));
        else if (state === TCP_ESTABLISHED) {
          const lport = hexAt(b, local + addrLen + 1, 4);
          const rport = hexAt(b, remote + addrLen + 1, 4);
          if (v6) {
            const k = v6Address(b, remote, out6);
            if (k === -1) scan.addEstablished(lport, rport, -1, out6.key);
            else if (k >= 0 && !isLoopback4(k)) scan.addEstablished(lport, rport, k);
          } else {
            const k = netOrder(hexAt(b, remote, 8));
            if (!isLoopback4(k)) scan.addEstablished(lport, rport, k);
          }
        }
      }
    }
    i = nl + 1;
  }
}

/** Counts the sockets of /proc/net/udp or udp6 in b[start, end); returns where the partial last line starts. */
export function scanUdp(b: Uint8Array, start: number, end: number, scan: SocketScan): number {
  let i = start;
  for (;;) {
    const nl = b.indexOf(NL, i);
    if (nl < 0 || nl >= end) return i;
    const p = skipSpaces(b, i, nl);
    if (p < nl && b[p] >= 48 && b[p] <= 57) scan.udp++;
    i = nl + 1;
  }
}

/** In-use counts of a network namespace's sockets, from /proc/<pid>/net/sockstat and sockstat6 (constant time to read). */
export interface Sockstat {
  tcp: number;
  tcp6: number;
  /** TIME_WAIT sockets of both families */
  tw: number;
  udp: number;
  udp6: number;
}

/** "TCP: inuse 3 orphan 0 tw 0 ..." and "TCP6: inuse 5" lines into counts; undefined when a count is missing. */
export function parseSockstat(v4: string, v6: string): Sockstat | undefined {
  const num = (text: string, re: RegExp) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : NaN;
  };
  const s: Sockstat = {
    tcp: num(v4, /^TCP: inuse (\d+)/m),
    tw: num(v4, /^TCP: .*\btw (\d+)/m),
    udp: num(v4, /^UDP: inuse (\d+)/m),
    tcp6: num(v6, /^TCP6: inuse (\d+)/m),
    udp6: num(v6, /^UDP6: inuse (\d+)/m),
  };
  return Object.values(s).every(Number.isFinite) ? s : undefined;
}

/**
 * Which socket tables hold anything. Reading /proc/net/tcp walks the kernel's
 * whole connection hash, shared by every namespace unless the host sets
 * net.ipv4.tcp_child_ehash_entries, so an empty table is worth not reading.
 * In-use counts cover listening and connected sockets (a SYN_RECV one hangs
 * off its listener); TIME_WAIT is counted for both families together.
 */
export function tablesToRead(s: Sockstat): { tcp: boolean; tcp6: boolean; udp: boolean; udp6: boolean } {
  return { tcp: s.tcp > 0 || s.tw > 0, tcp6: s.tcp6 > 0 || s.tw > 0, udp: s.udp > 0, udp6: s.udp6 > 0 };
}
