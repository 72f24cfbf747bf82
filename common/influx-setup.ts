/**
 * InfluxDB set-up, run once with the admin's credential (docker-compose's
 * influxdb-setup service; by hand for a 1.x server): retention (database or
 * buckets and policies, docs/retention.md), then one credential per component
 * (common/influx/access.ts), written to <out>/<role>/token (2.x) or
 * <out>/<role>/password with <out>/<role>/username (1.x). Run again, it keeps
 * credentials that still work and replaces the others. The admin credential
 * stays here: the components get only their own.
 *
 * Usage: node dist/common/influx-setup.js --out DIR [--roles collector,processor,alerter,agent,grafana]
 * InfluxDB from the usual configuration (SHIPWATCH_INFLUX_URL, _ORG, _BUCKET and
 * the admin's SHIPWATCH_INFLUX_TOKEN, or _USERNAME/_PASSWORD on 1.x).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from './config.js';
import { secretValues } from './config-redact.js';
import { ConfigError } from './errors.js';
import { createLogger } from './log.js';
import { ensureRetention } from './influx/retention.js';
import { pingServer } from './influx/server.js';
import { INFLUX_ROLES, setupV1Users, setupV2Tokens, v1User, type InfluxRole } from './influx/access.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const out = arg('--out');
const roles = (arg('--roles')?.split(',') ?? [...INFLUX_ROLES]) as InfluxRole[];
if (!out || roles.some((r) => !INFLUX_ROLES.includes(r))) {
  process.stderr.write(`usage: influx-setup --out DIR [--roles ${INFLUX_ROLES.join(',')}]\n`);
  process.exit(2);
}
let cfg: Config;
try {
  cfg = loadConfig();
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  process.stderr.write(`influx-setup: invalid configuration\n${e.message}\n`);
  process.exit(2);
}
const log = createLogger('influx-setup', cfg.log.level, secretValues(cfg));

// InfluxDB may still be starting: wait for it, then set up.
let major = '';
for (let delay = 500, waited = 0; ; waited += delay, delay = Math.min(delay * 2, 5000)) {
  try {
    major = /^v?(\d+)\./.exec((await pingServer(cfg.influx)).version)?.[1] ?? '';
    await ensureRetention(cfg.influx, log);
    break;
  } catch (e) {
    if (waited > 180_000 || (e as Error).name === 'RetentionError') {
      log.fatal({ err: (e as Error).message }, 'InfluxDB set-up failed');
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}
const fileOf = (role: InfluxRole, name: string) => path.join(out, role, name);
const secretFile = major === '1' ? 'password' : 'token';
const known: Partial<Record<InfluxRole, string>> = {};
for (const role of roles) {
  const f = fileOf(role, secretFile);
  if (existsSync(f)) known[role] = readFileSync(f, 'utf8').trim();
}
try {
  const creds = major === '1' ? await setupV1Users(cfg.influx, roles, known) : await setupV2Tokens(cfg.influx, roles, known);
  for (const c of creds) {
    mkdirSync(path.join(out, c.role), { recursive: true, mode: 0o755 });
    // Readable by the component's user, whichever it is: each folder is mounted into its component only.
    writeFileSync(fileOf(c.role, secretFile), c.secret + '\n', { mode: 0o444 });
    if (major === '1') writeFileSync(fileOf(c.role, 'username'), v1User(c.role) + '\n', { mode: 0o444 });
  }
  log.info({ roles: creds.map((c) => `${c.role}: ${c.created ? 'new' : 'kept'}`), out, server: major === '1' ? '1.x users' : '2.x tokens' }, 'InfluxDB credentials set up');
} catch (e) {
  log.fatal({ err: (e as Error).message }, 'InfluxDB credentials could not be set up');
  process.exit(1);
}
