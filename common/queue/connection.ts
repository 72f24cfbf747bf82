/**
 * Redis connections from the configuration: a single server (redis.url) or a
 * Cluster (redis.nodes), with the component's ACL user and password and TLS
 * (rediss:// or redis.tls). The same client type serves BullMQ and the
 * processor's own state keys.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Redis, Cluster, type RedisOptions } from 'ioredis';
import type { Config } from '../config.js';

export type RedisClient = Redis | Cluster;

export interface ConnectOptions {
  /** BullMQ workers need null (commands wait for a reconnect); producers fail fast with a number */
  maxRetriesPerRequest?: number | null;
  /** queue commands while disconnected (false: fail at once, so a producer never piles up memory) */
  enableOfflineQueue?: boolean;
  connectionName?: string;
}

function parseNode(n: string): { host: string; port: number } {
  const s = n.replace(/^redis:\/\//, '');
  const i = s.lastIndexOf(':');
  if (i < 0) return { host: s, port: 6379 };
  return { host: s.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(s.slice(i + 1)) };
}

/** What a connection needs of the redis section: the server, and the ACL user and TLS when given. */
export type RedisConnectConfig = Pick<Config['redis'], 'url' | 'nodes'> & Partial<Pick<Config['redis'], 'prefix' | 'username' | 'password' | 'tls'>>;

const NO_TLS: Config['redis']['tls'] = { enabled: false, ca: '', cert: '', key: '', servername: '' };

/** TLS options: on with rediss:// or redis.tls.enabled, or when a CA or client certificate is given. */
export function tlsOptions(cfg: RedisConnectConfig): ConnectionOptions | undefined {
  const t = cfg.tls ?? NO_TLS;
  const on = t.enabled || t.ca || t.cert || (!cfg.nodes.length && /^rediss:/i.test(cfg.url));
  if (!on) return undefined;
  const read = (f: string) => (f ? readFileSync(f) : undefined);
  return {
    ca: read(t.ca),
    cert: read(t.cert),
    key: read(t.key),
    ...(t.servername && { servername: t.servername }),
  };
}

export function createRedis(cfg: RedisConnectConfig, opts: ConnectOptions = {}): RedisClient {
  const common: RedisOptions = {
    maxRetriesPerRequest: opts.maxRetriesPerRequest === undefined ? null : opts.maxRetriesPerRequest,
    enableOfflineQueue: opts.enableOfflineQueue ?? true,
    connectionName: opts.connectionName,
    retryStrategy: (times) => Math.min(times * 200, 5_000),
    // Set ones win over the URL's user info.
    ...(cfg.username && { username: cfg.username }),
    ...(cfg.password && { password: cfg.password }),
    tls: tlsOptions(cfg),
  };
  if (cfg.nodes.length > 0) {
    return new Cluster(cfg.nodes.map(parseNode), {
      redisOptions: common,
      enableOfflineQueue: common.enableOfflineQueue,
      maxRedirections: 16,
      clusterRetryStrategy: (times) => Math.min(times * 200, 5_000),
    });
  }
  return new Redis(cfg.url, common);
}

/** Resolves when the client is connected (a Cluster: when its slots are known). */
export function whenReady(client: RedisClient, timeoutMs = 30_000): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
    };
    client.on('ready', onReady);
  });
}
