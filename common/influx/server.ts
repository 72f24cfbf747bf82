import type { InfluxConfig } from '../config.js';
import { authHeaders } from './auth.js';

export type WriteApiVersion = 'v1' | 'v2';

export interface ServerInfo {
  /** what the server said in X-Influxdb-Version, '' when it did not say */
  version: string;
  /** the write endpoint this server takes */
  api: WriteApiVersion;
}

/**
 * InfluxDB before 1.8 only has /write; 1.8+, 2.x and 3.x all take /api/v2/write.
 * Pure: decides from the version string /ping reported.
 */
export function writeApiFor(version: string): WriteApiVersion {
  const m = /^v?(\d+)\.(\d+)/.exec(version.trim());
  if (!m) return 'v2';
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major < 1 || (major === 1 && minor < 8) ? 'v1' : 'v2';
}

/** Asks /ping which server this is. Throws when it cannot be reached. */
export async function pingServer(cfg: Pick<InfluxConfig, 'url' | 'token' | 'username' | 'password' | 'timeout'>): Promise<ServerInfo> {
  const res = await fetch(new URL('/ping', cfg.url), {
    headers: authHeaders(cfg),
    signal: AbortSignal.timeout(cfg.timeout),
  });
  await res.arrayBuffer();
  if (res.status >= 500) throw new Error(`InfluxDB /ping answered ${res.status}`);
  const version = res.headers.get('x-influxdb-version') ?? '';
  return { version, api: writeApiFor(version) };
}
