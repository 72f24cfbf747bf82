/**
 * GET /healthz for container health checks (health.port; 0 = off). Answers 200
 * with the component's status while its check passes, 503 otherwise.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import type { Logger } from './log.js';

export interface HealthStatus {
  ok: boolean;
  /** shown in the answer, e.g. the last cycle's time */
  [detail: string]: unknown;
}

export type HealthCheck = () => HealthStatus | Promise<HealthStatus>;

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(cfg: Config['health'], component: string, check: HealthCheck, log: Logger): Promise<HealthServer | undefined> {
  if (!cfg.port) return undefined;
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/healthz') {
      res.writeHead(404).end();
      return;
    }
    Promise.resolve()
      .then(check)
      .catch((e: Error) => ({ ok: false, error: e.message }))
      .then((s) => {
        res.writeHead(s.ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ component, status: s.ok ? 'ok' : 'failing', ...s }));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host: cfg.host, port }, 'health endpoint on /healthz');
  return {
    port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Healthy while the last success is recent: at most `maxAgeMs` ago, counting from start. */
export function freshness(maxAgeMs: number, now = () => Date.now()) {
  const started = now();
  let last = 0;
  return {
    mark(t = now()) {
      last = t;
    },
    check(): HealthStatus {
      const since = last || started;
      const age = now() - since;
      return { ok: age <= maxAgeMs, last: last ? new Date(last).toISOString() : null, ageMs: age };
    },
  };
}
