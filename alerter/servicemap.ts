/**
 * The service map as JSON for GET /api/service-map: the latest edges the
 * collectors wrote (docker_service_edge), per host or for the fleet. Node IDs
 * are qualified by host ("h1/web") so that containers of the same name on two
 * hosts stay apart; the outside is one node for the whole fleet.
 */
import type { InfluxQL } from '../common/influx/query.js';
import { ident, literal } from '../common/influx/query.js';
import { MEASUREMENT, TAG, EDGE_FIELDS, SERVICE_NODE } from '../common/schema.js';

export interface ServiceMapNode {
  id: string;
  /** container name, host name, or "(outside)" */
  title: string;
  kind: 'container' | 'host' | 'outside' | 'others';
  host: string | null;
  /** established connections on edges into and out of it */
  connectionsIn: number;
  connectionsOut: number;
}

export interface ServiceMapEdge {
  id: string;
  host: string;
  source: string;
  target: string;
  connections: number;
  ports: number[];
}

export interface ServiceMap {
  hosts: string[];
  nodes: ServiceMapNode[];
  edges: ServiceMapEdge[];
}

/** One edge as InfluxDB answers it. */
export interface EdgeRow {
  host: string;
  source: string;
  target: string;
  connections: number;
  ports: string;
}

function node(host: string, name: string): Omit<ServiceMapNode, 'connectionsIn' | 'connectionsOut'> {
  if (name === SERVICE_NODE.outside) return { id: name, title: name, kind: 'outside', host: null };
  if (name.startsWith(SERVICE_NODE.hostPrefix)) return { id: name, title: name.slice(SERVICE_NODE.hostPrefix.length), kind: 'host', host };
  if (name === SERVICE_NODE.others) return { id: `${host}/${name}`, title: name, kind: 'others', host };
  return { id: `${host}/${name}`, title: name, kind: 'container', host };
}

/** Nodes and edges from edge rows (pure). */
export function assembleServiceMap(rows: EdgeRow[]): ServiceMap {
  const nodes = new Map<string, ServiceMapNode>();
  const edges: ServiceMapEdge[] = [];
  const touch = (host: string, name: string) => {
    const n = node(host, name);
    let cur = nodes.get(n.id);
    if (!cur) nodes.set(n.id, (cur = { ...n, connectionsIn: 0, connectionsOut: 0 }));
    return cur;
  };
  for (const r of rows) {
    const s = touch(r.host, r.source);
    const t = touch(r.host, r.target);
    s.connectionsOut += r.connections;
    t.connectionsIn += r.connections;
    edges.push({
      id: `${s.id}->${t.id}`, host: r.host, source: s.id, target: t.id, connections: r.connections,
      ports: r.ports ? r.ports.split(',').map(Number).filter(Number.isFinite) : [],
    });
  }
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return { hosts: [...new Set(rows.map((r) => r.host))].sort(), nodes: [...nodes.values()].sort(byId), edges: edges.sort(byId) };
}

/** The edges written within `windowMs` before now, for one host or all. */
export async function readServiceMap(query: InfluxQL, o: { host?: string; windowMs: number }): Promise<ServiceMap> {
  const where = [`time > now() - ${Math.ceil(o.windowMs / 1000)}s`, o.host ? `${ident(TAG.engineHost)} = ${literal(o.host)}` : ''].filter(Boolean);
  const sql = `SELECT last(${ident(EDGE_FIELDS.connections)}) AS "connections", last(${ident(EDGE_FIELDS.ports)}) AS "ports" ` +
    `FROM ${ident(MEASUREMENT.serviceEdge)} WHERE ${where.join(' AND ')} GROUP BY ${ident(TAG.engineHost)}, ${ident(TAG.source)}, ${ident(TAG.target)}`;
  const found = await query.rows(sql).catch((e: Error) => {
    // Nothing written yet: the measurement does not exist.
    if (/not found|does not exist/i.test(e.message)) return [];
    throw e;
  });
  const rows: EdgeRow[] = found.map((r) => ({
    host: String(r[TAG.engineHost] ?? ''), source: String(r[TAG.source] ?? ''), target: String(r[TAG.target] ?? ''),
    connections: Number(r.connections) || 0, ports: r.ports == null ? '' : String(r.ports),
  }));
  return assembleServiceMap(rows);
}
