import type { InfluxConfig } from '../config.js';

/** Authorization header for InfluxDB: a token (2.x/3.x, and 1.8+ as "user:password"), or basic auth for 1.x users. */
export function authHeaders(cfg: Pick<InfluxConfig, 'token' | 'username' | 'password'>): Record<string, string> {
  if (cfg.token) return { Authorization: `Token ${cfg.token}` };
  if (cfg.username) {
    return { Authorization: 'Basic ' + Buffer.from(`${cfg.username}:${cfg.password}`).toString('base64') };
  }
  return {};
}
