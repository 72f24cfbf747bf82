/**
 * The network part: each running container's TCP states and UDP sockets
 * (docker_container_netstat) and the host's service map (docker_service_edge),
 * on its own schedule so the metrics cycle never waits for it. Every
 * container's in-use counts are read first (constant time each); then the
 * tables, fewest sockets first, each within a time budget: a container with
 * a huge socket table is read last and cut short rather than delaying the
 * others, and the event loop gets a turn between containers.
 */
import { readlinkSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldLoop } from 'node:timers/promises';
import type { Logger } from '../../common/log.js';
import { OnceLogger } from '../../common/log.js';
import { MEASUREMENT } from '../../common/schema.js';
import type { LineSink } from '../../common/influx/sink.js';
import type { ContainerMeta } from '../container.js';
import { DEFAULT_PORT_RANGE } from '../container.js';
import type { EngineInfo } from '../../common/docker.js';
import { ContainerSeries } from '../points.js';
import { SocketScan, TCP_ESTABLISHED, TCP_SYN_RECV, TCP_TIME_WAIT, TCP_CLOSE_WAIT } from './procnet.js';
import { NetnsReader, type ReadOutcome } from './reader.js';
import { addressIndex, serviceEdges, type ScannedContainer } from './servicemap.js';
import { netstatLine, edgeLines } from './lines.js';

/** TCP counts the processor's rules need, per container. */
export interface TcpSummary {
  established: number;
  synRecv: number;
  timeWait: number;
  closeWait: number;
  /** size of the container's ephemeral port range */
  portRange: number;
}

export interface NetworkOptions {
  procRoot: string;
  labelTags: string[];
  /** ms one container's tables may take */
  budget: number;
  maxPeers: number;
  maxConnections: number;
  /** this host's addresses besides its Docker networks' gateways */
  hostAddresses: string[];
}

export interface NetworkPass {
  read: number;
  cut: number;
  edges: number;
  tookMs: number;
  /** each container in the order read: how long it took and when it was done, ms since the pass began */
  reads: Array<{ name: string; ms: number; doneAt: number; outcome: ReadOutcome }>;
}

/** Server ports listed per edge. */
const MAX_PORTS = 5;
/** Work done between two turns of the event loop, ms. */
const SLICE_MS = 5;

/** Containers with a network namespace of their own: host mode has the host's, container:<id> another container's. */
export const ownNetns = (c: ContainerMeta) => c.pid > 0 && c.networkMode !== 'host' && !c.networkMode.startsWith('container:');

/** This process's addresses, when it runs in the host's network namespace (a collector in a container sees its own). */
function ownHostAddresses(procRoot: string): string[] {
  try {
    if (readlinkSync('/proc/self/ns/net') !== readlinkSync(path.join(procRoot, '1/ns/net'))) return [];
  } catch {
    return [];
  }
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => !a.internal).map((a) => a.address));
}

export class NetworkCollector {
  private readonly reader: NetnsReader;
  private readonly scans = new Map<string, SocketScan>();
  private readonly latest = new Map<string, TcpSummary>();
  private readonly keys = new Map<string, { meta: ContainerMeta; key: string }>();
  private readonly cutWarned = new Set<string>();
  private readonly hostAddresses: string[];
  private readonly outage: OnceLogger;

  constructor(
    private readonly containers: () => ContainerMeta[],
    private readonly sink: LineSink,
    private readonly engine: EngineInfo,
    private readonly opts: NetworkOptions,
    private readonly log: Logger,
  ) {
    this.reader = new NetnsReader(opts.procRoot);
    this.outage = new OnceLogger(log);
    this.hostAddresses = [...new Set([...opts.hostAddresses, ...ownHostAddresses(opts.procRoot)])];
  }

  /** The last pass's TCP counts of a container. */
  tcpOf(id: string): TcpSummary | undefined {
    return this.latest.get(id);
  }

  private keyOf(meta: ContainerMeta): string {
    const k = this.keys.get(meta.id);
    if (k && k.meta === meta) return k.key;
    const key = new ContainerSeries(meta, this.engine, this.opts.labelTags).key(MEASUREMENT.netstat);
    this.keys.set(meta.id, { meta, key });
    return key;
  }

  /** One pass stamped `time` (ms). Never throws. */
  async poll(time: number): Promise<NetworkPass> {
    const started = performance.now();
    const all = this.containers();
    const running = all.filter((c) => c.state === 'running' && ownNetns(c));
    const probed = running.map((c) => ({ c, probe: this.reader.probe(c.id, c.pid) }));
    probed.sort((a, b) => (a.probe?.sockets ?? 0) - (b.probe?.sockets ?? 0));
    const lines: string[] = [];
    const scanned: ScannedContainer[] = [];
    const reads: NetworkPass['reads'] = [];
    const seen = new Set<string>();
    let cut = 0;
    let gone = 0;
    let slice = performance.now();
    for (const { c, probe } of probed) {
      seen.add(c.id);
      let scan = this.scans.get(c.id);
      if (!scan) this.scans.set(c.id, (scan = new SocketScan(this.opts.maxConnections)));
      const t0 = performance.now();
      const outcome = probe ? this.reader.read(c.id, c.pid, scan, this.opts.budget, probe) : 'gone';
      const t1 = performance.now();
      reads.push({ name: c.name, ms: t1 - t0, doneAt: t1 - started, outcome });
      if (outcome === 'gone') {
        gone++;
        this.latest.delete(c.id);
        continue;
      }
      if (outcome === 'cut') {
        cut++;
        if (!this.cutWarned.has(c.id)) {
          this.cutWarned.add(c.id);
          this.log.warn({ container: c.name, budgetMs: this.opts.budget, sockets: scan.sockets }, 'socket tables not read within collector.network.budget: counts are partial (written with incomplete=true)');
        }
      }
      lines.push(netstatLine(this.keyOf(c), scan, outcome === 'cut', time));
      const range = c.net?.portRange ?? DEFAULT_PORT_RANGE;
      this.latest.set(c.id, {
        established: scan.tcp[TCP_ESTABLISHED], synRecv: scan.tcp[TCP_SYN_RECV], timeWait: scan.tcp[TCP_TIME_WAIT], closeWait: scan.tcp[TCP_CLOSE_WAIT],
        portRange: range[1] - range[0] + 1,
      });
      scanned.push({ name: c.name, scan });
      if (t1 - slice > SLICE_MS) {
        await yieldLoop();
        slice = performance.now();
      }
    }
    // Every container unreadable: this process does not see the host's processes under procRoot.
    if (running.length && gone === running.length) {
      this.outage.raise('proc', 'containers\' /proc/<pid>/net not readable under collector.procRoot: mount the host\'s /proc (and run in its PID namespace or set collector.procRoot)', { procRoot: this.opts.procRoot });
    } else if (scanned.length) this.outage.clear('proc', 'containers\' socket tables readable again');
    for (const id of [...this.scans.keys()]) {
      if (seen.has(id)) continue;
      this.reader.forget(id);
      this.scans.delete(id);
      this.latest.delete(id);
      this.keys.delete(id);
      this.cutWarned.delete(id);
    }
    const idx = addressIndex(
      all.filter((c) => c.net).map((c) => ({ name: c.name, ...c.net! })),
      this.hostAddresses,
      this.engine.host,
    );
    const edges = serviceEdges(scanned, idx, { maxPeers: this.opts.maxPeers, maxPorts: MAX_PORTS });
    edgeLines(this.engine.host, edges, time, lines);
    this.sink.write(lines);
    await this.sink.flush();
    return { read: scanned.length, cut, edges: edges.length, tookMs: performance.now() - started, reads };
  }

  close(): void {
    this.reader.close();
  }
}
