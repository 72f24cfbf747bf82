import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import type { DockerConfig } from '../common/config.js';

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
