/** Line protocol of docker_container_netstat and docker_service_edge (pure). */
import { MEASUREMENT, TAG, TCP_STATE_FIELDS, NETSTAT_FIELDS, EDGE_FIELDS } from '../../common/schema.js';
import { seriesKey, intField, nsTime, fieldSet } from '../../common/lineprotocol.js';
import type { SocketScan } from './procnet.js';
import type { Edge } from './servicemap.js';

/** The counts under Telegraf's inputs.netstat field names. */
export function netstatCounts(scan: SocketScan): Record<string, number> {
  const out: Record<string, number> = {};
  TCP_STATE_FIELDS.forEach((f, code) => (out[f] = scan.tcp[code]));
  out[NETSTAT_FIELDS.udpSocket] = scan.udp;
  return out;
}

/** One docker_container_netstat line after the container's series key; `incomplete` when reading was cut short. */
export function netstatLine(key: string, scan: SocketScan, incomplete: boolean, timeMs: number): string {
  let f = '';
  for (let code = 0; code < TCP_STATE_FIELDS.length; code++) f += intField(TCP_STATE_FIELDS[code], scan.tcp[code]);
  f += intField(NETSTAT_FIELDS.udpSocket, scan.udp);
  if (incomplete) f += ',' + NETSTAT_FIELDS.incomplete + '=true';
  return key + ' ' + f.slice(1) + ' ' + nsTime(timeMs);
}

export const edgeId = (source: string, target: string) => `${source}->${target}`;

export function edgeLines(engineHost: string, edges: Edge[], timeMs: number, out: string[]): void {
  for (const e of edges) {
    const key = seriesKey(MEASUREMENT.serviceEdge, {
      [TAG.engineHost]: engineHost, [TAG.source]: e.source, [TAG.target]: e.target, [TAG.edge]: edgeId(e.source, e.target),
    });
    const fields = fieldSet({ [EDGE_FIELDS.connections]: { int: e.connections }, [EDGE_FIELDS.ports]: e.ports || undefined });
    out.push(key + ' ' + fields + ' ' + nsTime(timeMs));
  }
}
