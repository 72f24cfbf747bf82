/**
 * Serves GET /metrics (collector.prometheus): the container samples of the
 * last cycle, rendered on the first scrape after the cycle (no second read
 * of any counter), followed by the collector's own process metrics.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../../common/config.js';
import type { Logger } from '../../common/log.js';
import { PROM_COLLECTOR_PREFIX } from '../../common/schema.js';
import type { CycleSamples, SamplesSink } from '../collector.js';
import type { DockerEventStream } from '../events.js';
import { ExpositionRenderer, type ExposedContainer } from './exposition.js';

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The last cycle's samples and their exposition, rendered once per cycle and
 * only when scraped. A container that dies or is removed leaves the
 * exposition at its event, not at the next cycle, so a scrape right after a
 * crash already misses its series.
 */
export class LatestSamples implements SamplesSink {
  private containers: ExposedContainer[] = [];
  private text: string | undefined = '';
  private readonly renderer: ExpositionRenderer;
  /** containers that died or went since the cycle, with the event's time (ms) */
  private gone = new Map<string, number>();

  constructor(labelTags: string[], private readonly processesOf: (id: string) => number | undefined = () => undefined) {
    this.renderer = new ExpositionRenderer(labelTags);
  }

  /** Takes a cycle: its containers with a sample (running or paused) replace the previous cycle's. */
  cycle(cycle: CycleSamples): void {
    const out: ExposedContainer[] = [];
    for (const c of cycle.containers) {
      if (!c.sample) continue;
      const goneAt = this.gone.get(c.meta.id);
      // Read before its death (a cycle under way when the event came): still gone.
      if (goneAt !== undefined && goneAt >= c.sample.readAt) continue;
      this.gone.delete(c.meta.id);
      out.push({ meta: c.meta, sample: c.sample, processes: this.processesOf(c.meta.id) });
    }
    for (const id of this.gone.keys()) if (!cycle.containers.some((c) => c.meta.id === id)) this.gone.delete(id);
    this.containers = out;
    this.text = undefined;
  }

  /** A container died or was removed (Docker's die or destroy event). */
  ended(id: string, at: number): void {
    this.gone.set(id, at);
    const before = this.containers.length;
    this.containers = this.containers.filter((c) => c.meta.id !== id);
    if (this.containers.length !== before) this.text = undefined;
  }

  follow(events: DockerEventStream): void {
    events.on('event', (e) => {
      if (e.Type === 'container' && (e.Action === 'die' || e.Action === 'destroy')) this.ended(e.Actor.ID, Math.floor(e.timeNano / 1e6) || e.time * 1000);
    });
  }

  exposition(): string {
    return (this.text ??= this.renderer.render(this.containers));
  }
}

export interface ExpositionServer {
  port: number;
  close(): Promise<void>;
}

export async function startExpositionServer(
  cfg: Config['collector']['prometheus'], latest: LatestSamples, log: Logger,
): Promise<ExpositionServer> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: PROM_COLLECTOR_PREFIX });
  // prom-client names these gauges *_total, which promtool rejects: leave them out.
  for (const m of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(PROM_COLLECTOR_PREFIX + m);
  }
  const server: Server = createServer((req, res) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (own) => {
        res.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE });
        res.end(req.method === 'HEAD' ? undefined : latest.exposition() + own);
      },
      (e: Error) => {
        log.warn({ error: e.message }, 'process metrics failed; exposition not served');
        res.writeHead(500).end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(`collector.prometheus: cannot listen on ${cfg.host}:${cfg.port}: ${e.code ?? e.message}`)));
    server.listen(cfg.port, cfg.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host: cfg.host, port }, 'Prometheus exposition on /metrics');
  return {
    port,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
