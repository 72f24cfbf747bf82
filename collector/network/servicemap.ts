/**
 * The service map of one Docker host (pure): each container's established
 * connections, with remote addresses mapped to containers (their IPs on Docker
 * networks, and ports published on this host), to the host itself, or to
 * "outside" (every other address, one node: no series per peer IP).
 *
 * An address on a Docker network that no listed container has belongs to a
 * container started since the last list: its connections wait for the next
 * pass rather than being drawn as from the outside.
 *
 * A connection is counted once: by the container that opened it (its local
 * port is not one it listens on), or, when the peer is not a container read
 * this cycle (the host, the outside), by the container that accepted it.
 * A container's peers beyond maxPeers are folded into one "(others)" node, so
 * the edges written per host stay under containers x (maxPeers + 1) x 2.
 */
import { SERVICE_NODE } from '../../common/schema.js';
import { ipKey, type SocketScan } from './procnet.js';

export type AddressKey = number | string;

export interface AddressIndex {
  /** container addresses on Docker networks → container name */
  containers: Map<AddressKey, string>;
  /** this Docker host's own addresses (the gateways of its Docker networks, its interfaces) */
  host: Set<AddressKey>;
  /** TCP port published on this host → container name */
  published: Map<number, string>;
  /** the host's node name */
  hostNode: string;
  /** IPv4 Docker networks as [first address key, size]: an unknown address there is a container not listed yet */
  subnets: Array<[number, number]>;
}

/** What the index needs of a container. */
export interface IndexedContainer {
  name: string;
  /** its addresses on Docker networks (IPv4 and IPv6) */
  addresses: string[];
  /** the gateways of its networks: addresses of this host */
  gateways: string[];
  /** TCP host ports published to it */
  published: number[];
  /** its IPv4 networks as address/prefix length */
  subnets?: string[];
}

export const hostNode = (engineHost: string) => SERVICE_NODE.hostPrefix + engineHost;

export function addressIndex(containers: IndexedContainer[], hostAddresses: string[], engineHost: string): AddressIndex {
  const idx: AddressIndex = { containers: new Map(), host: new Set(), published: new Map(), hostNode: hostNode(engineHost), subnets: [] };
  const nets = new Set<string>();
  for (const a of hostAddresses) {
    const k = ipKey(a);
    if (k !== undefined) idx.host.add(k);
  }
  for (const c of containers) {
    for (const a of c.gateways) {
      const k = ipKey(a);
      if (k !== undefined) idx.host.add(k);
    }
    for (const a of c.addresses) {
      const k = ipKey(a);
      if (k !== undefined) idx.containers.set(k, c.name);
    }
    for (const p of c.published) if (!idx.published.has(p)) idx.published.set(p, c.name);
    for (const n of c.subnets ?? []) {
      const [ip, len] = n.split('/');
      const k = ipKey(ip);
      const bits = Number(len);
      if (typeof k !== 'number' || !(bits >= 8 && bits <= 32)) continue;
      const size = 2 ** (32 - bits);
      const first = Math.floor(k / size) * size;
      if (!nets.has(`${first}/${size}`)) idx.subnets.push([first, size]);
      nets.add(`${first}/${size}`);
    }
  }
  return idx;
}

export interface ScannedContainer {
  name: string;
  scan: SocketScan;
}

export interface Edge {
  source: string;
  target: string;
  connections: number;
  /** the busiest server ports, most connections first: "5432,6379" */
  ports: string;
}

export interface EdgeOptions {
  /** peers kept per container; the rest become "(others)" */
  maxPeers: number;
  /** server ports listed per edge */
  maxPorts: number;
}

interface PeerAgg {
  peer: string;
  inbound: boolean;
  connections: number;
  ports: Map<number, number>;
}

/** The peer's node; undefined for an address on a Docker network that no listed container has (one started since the list). */
function resolve(idx: AddressIndex, key: AddressKey, outboundPort: number | undefined): string | undefined {
  const c = idx.containers.get(key);
  if (c !== undefined) return c;
  if (idx.host.has(key)) return (outboundPort !== undefined && idx.published.get(outboundPort)) || idx.hostNode;
  if (typeof key === 'number') for (const [first, size] of idx.subnets) if (key >= first && key < first + size) return undefined;
  return SERVICE_NODE.outside;
}

const topPorts = (ports: Map<number, number>, n: number) =>
  [...ports].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, n).map(([p]) => p).join(',');

/** The peers of one container, busiest first, folded beyond maxPeers. */
function peersOf(c: ScannedContainer, idx: AddressIndex, scanned: Set<string>, maxPeers: number): PeerAgg[] {
  const s = c.scan;
  const byPeer = new Map<string, PeerAgg>();
  for (let i = 0; i < s.established; i++) {
    const inbound = s.listening.has(s.localPort[i]);
    const peer = resolve(idx, s.remoteKey(i), inbound ? undefined : s.remotePort[i]);
    if (peer === undefined || peer === c.name) continue;
    // The peer container reports this connection as one it opened.
    if (inbound && scanned.has(peer)) continue;
    const key = (inbound ? '<' : '>') + peer;
    let a = byPeer.get(key);
    if (!a) byPeer.set(key, (a = { peer, inbound, connections: 0, ports: new Map() }));
    a.connections++;
    const port = inbound ? s.localPort[i] : s.remotePort[i];
    a.ports.set(port, (a.ports.get(port) ?? 0) + 1);
  }
  const list = [...byPeer.values()].sort((a, b) => b.connections - a.connections || (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0));
  if (list.length <= maxPeers) return list;
  const kept = list.slice(0, maxPeers);
  for (const inbound of [false, true]) {
    const rest = list.slice(maxPeers).filter((a) => a.inbound === inbound);
    if (!rest.length) continue;
    const other: PeerAgg = { peer: SERVICE_NODE.others, inbound, connections: 0, ports: new Map() };
    for (const a of rest) {
      other.connections += a.connections;
      for (const [p, n] of a.ports) other.ports.set(p, (other.ports.get(p) ?? 0) + n);
    }
    kept.push(other);
  }
  return kept;
}

/** The edges of this host's service map, sorted by source then target. */
export function serviceEdges(containers: ScannedContainer[], idx: AddressIndex, o: EdgeOptions): Edge[] {
  const scanned = new Set(containers.map((c) => c.name));
  const edges = new Map<string, { e: Edge; ports: Map<number, number> }>();
  for (const c of containers) {
    for (const a of peersOf(c, idx, scanned, o.maxPeers)) {
      const source = a.inbound ? a.peer : c.name;
      const target = a.inbound ? c.name : a.peer;
      const key = source + '\n' + target;
      const cur = edges.get(key);
      if (!cur) {
        edges.set(key, { e: { source, target, connections: a.connections, ports: '' }, ports: a.ports });
        continue;
      }
      cur.e.connections += a.connections;
      for (const [p, n] of a.ports) cur.ports.set(p, (cur.ports.get(p) ?? 0) + n);
    }
  }
  return [...edges.values()]
    .map(({ e, ports }) => ({ ...e, ports: topPorts(ports, o.maxPorts) }))
    .sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}
