/** The Docker engine client, for the collector and the recovery agent. */
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import type { Config, DockerConfig } from './config.js';
import type { Logger } from './log.js';

export interface EngineInfo {
  /** the host name written as engine_host, and which alerts and recovery actions carry */
  host: string;
  serverVersion: string;
  /** Docker, or Podman through its Docker-compatible API; absent: Docker */
  kind?: 'docker' | 'podman';
}

/** A Docker client for a unix socket, or TCP with TLS when docker.url is set. */
export function createDocker(cfg: DockerConfig): Docker {
  if (!cfg.url) return new Docker({ socketPath: cfg.socketPath, timeout: cfg.timeout });
  const u = new URL(cfg.url.replace(/^tcp:/, cfg.tls.cert ? 'https:' : 'http:'));
  const tls = cfg.tls.cert
    ? { ca: cfg.tls.ca ? readFileSync(cfg.tls.ca) : undefined, cert: readFileSync(cfg.tls.cert), key: readFileSync(cfg.tls.key) }
    : {};
  return new Docker({
    protocol: u.protocol === 'https:' ? 'https' : 'http',
    host: u.hostname,
    port: Number(u.port || (u.protocol === 'https:' ? 2376 : 2375)),
    timeout: cfg.timeout,
    ...tls,
  } as Docker.DockerOptions);
}

/** HTTP status of a Docker API error, if it has one. */
export const dockerStatus = (e: unknown): number | undefined => (e as { statusCode?: number })?.statusCode;

/** 404 and 409 mean the container is gone or not running: skip it quietly. */
export const isGone = (e: unknown) => {
  const s = dockerStatus(e);
  return s === 404 || s === 409;
};

/** Waits until Docker answers, retrying with backoff; returns the engine's name and version. */
export async function engineInfo(docker: Docker, cfg: Config, log: Logger, signal?: AbortSignal): Promise<EngineInfo> {
  let delay = 500;
  let warned = false;
  for (;;) {
    try {
      const info = await docker.info();
      // Podman answers the Docker API but names itself among the version's components.
      const version = (await docker.version().catch(() => undefined)) as { Components?: Array<{ Name?: string }> } | undefined;
      const kind = version?.Components?.some((c) => /podman/i.test(c.Name ?? '')) ? 'podman' : 'docker';
      if (warned) log.info('Docker reachable');
      return { host: cfg.host || info.Name, serverVersion: info.ServerVersion, kind };
    } catch (e) {
      if (!warned) log.warn({ error: (e as Error).message }, 'Docker unreachable; retrying');
      warned = true;
      if (signal?.aborted) throw e;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  }
}
