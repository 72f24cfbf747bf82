/**
 * InfluxDB access by least privilege: what each component reads and writes,
 * and the set-up that gives each its own credential (run once with the admin's,
 * by common/influx-setup.ts; the admin credential is used nowhere else).
 *
 * - 2.x: one authorization (token) per component, scoped to the buckets it uses:
 *   collector reads and writes the raw bucket (it reads where its event and log
 *   streams stopped), the processor reads and writes it and the rollup bucket
 *   (its reports read the rollups of periods past the raw retention),
 *   the alerter reads and writes it, the agent only writes it, Grafana only reads
 *   both.
 * - 1.x: one user per component with READ, WRITE or ALL on the database
 *   (1.x grants per database, not per retention policy).
 */
import { randomBytes } from 'node:crypto';
import type { InfluxConfig } from '../config.js';
import { InfluxQL, ident, literal } from './query.js';
import { bucketNames, wantedRetention, v2Api } from './retention.js';

export const INFLUX_ROLES = ['collector', 'processor', 'alerter', 'agent', 'grafana'] as const;
export type InfluxRole = (typeof INFLUX_ROLES)[number];

export interface BucketGrant {
  read: string[];
  write: string[];
}

/** The 2.x buckets each role reads and writes (pure). */
export function bucketGrants(cfg: Pick<InfluxConfig, 'bucket' | 'retentionPolicy' | 'rollupRetentionPolicy' | 'retention'>): Record<InfluxRole, BucketGrant> {
  const [raw, rollup] = bucketNames(cfg.bucket, wantedRetention(cfg));
  const both = rollup ? [raw, rollup] : [raw];
  return {
    collector: { read: [raw], write: [raw] },
    processor: { read: both, write: both },
    alerter: { read: [raw], write: [raw] },
    agent: { read: [], write: [raw] },
    grafana: { read: both, write: [] },
  };
}

/** The 1.x privilege of each role on the database (pure). */
export const V1_PRIVILEGE: Record<InfluxRole, 'READ' | 'WRITE' | 'ALL'> = {
  collector: 'ALL',
  processor: 'ALL',
  alerter: 'ALL',
  agent: 'WRITE',
  grafana: 'READ',
};

/** The 1.x user name of a role. */
export const v1User = (role: InfluxRole) => `shipwatch_${role}`;

/** A 2.x authorization's description names its role, so set-up finds it again. */
export const authDescription = (role: InfluxRole) => `shipwatch ${role}`;

/** The permissions of a 2.x authorization from bucket IDs (pure). */
export function v2Permissions(grant: BucketGrant, orgID: string, idOf: (bucket: string) => string) {
  const p = (action: 'read' | 'write', name: string) => ({ action, resource: { type: 'buckets', id: idOf(name), orgID } });
  return [...grant.read.map((b) => p('read', b)), ...grant.write.map((b) => p('write', b))];
}

/**
 * The 1.x statements that make a role's user with this password and exactly its
 * privilege (pure). `exists`: the user is there already.
 */
export function v1UserStatements(db: string, role: InfluxRole, password: string, exists: boolean): string[] {
  const u = ident(v1User(role));
  return [
    exists ? `SET PASSWORD FOR ${u} = ${literal(password)}` : `CREATE USER ${u} WITH PASSWORD ${literal(password)}`,
    `REVOKE ALL PRIVILEGES ON ${ident(db)} FROM ${u}`,
    `GRANT ${V1_PRIVILEGE[role]} ON ${ident(db)} TO ${u}`,
  ];
}

export const newSecret = () => randomBytes(24).toString('hex');

export interface RoleCredential {
  role: InfluxRole;
  /** 2.x: the token; 1.x: the password (user v1User(role)) */
  secret: string;
  /** made now (false: the one given was still valid and kept) */
  created: boolean;
}

/** 1.x: users per role. `known` holds passwords set up before (kept when the user still exists). */
export async function setupV1Users(cfg: InfluxConfig, roles: readonly InfluxRole[], known: Partial<Record<InfluxRole, string>>): Promise<RoleCredential[]> {
  const q = new InfluxQL(cfg);
  const users = new Set((await q.rows('SHOW USERS')).map((r) => String(r.user)));
  const out: RoleCredential[] = [];
  for (const role of roles) {
    const exists = users.has(v1User(role));
    const secret = (exists && known[role]) || newSecret();
    for (const s of v1UserStatements(cfg.bucket, role, secret, exists)) await q.query(s);
    out.push({ role, secret, created: secret !== known[role] });
  }
  return out;
}

interface Authorization {
  id: string;
  token: string;
  description?: string;
  permissions: Array<{ action: string; resource: { type: string; id?: string } }>;
}

const samePermissions = (a: Authorization['permissions'], b: ReturnType<typeof v2Permissions>) => {
  const key = (p: { action: string; resource: { type: string; id?: string } }) => `${p.action}:${p.resource.type}:${p.resource.id}`;
  return JSON.stringify(a.map(key).sort()) === JSON.stringify(b.map(key).sort());
};

/**
 * 2.x: an authorization per role with exactly its bucket permissions. A token
 * given in `known` is kept when it still exists with those permissions; other
 * authorizations of the role are deleted, so old tokens stop working.
 */
export async function setupV2Tokens(cfg: InfluxConfig, roles: readonly InfluxRole[], known: Partial<Record<InfluxRole, string>>): Promise<RoleCredential[]> {
  const org = (await v2Api(cfg, 'GET', `/api/v2/orgs?org=${encodeURIComponent(cfg.org)}`))?.orgs?.[0];
  if (!org) throw new Error(`organisation "${cfg.org}" not found`);
  const grants = bucketGrants(cfg);
  const ids = new Map<string, string>();
  for (const name of new Set(Object.values(grants).flatMap((g) => [...g.read, ...g.write]))) {
    const b = (await v2Api(cfg, 'GET', `/api/v2/buckets?orgID=${org.id}&name=${encodeURIComponent(name)}`))?.buckets?.[0];
    if (!b) throw new Error(`bucket "${name}" not found: set up retention first`);
    ids.set(name, b.id);
  }
  const all: Authorization[] = (await v2Api(cfg, 'GET', `/api/v2/authorizations?orgID=${org.id}`))?.authorizations ?? [];
  const out: RoleCredential[] = [];
  for (const role of roles) {
    const permissions = v2Permissions(grants[role], org.id, (n) => ids.get(n)!);
    const mine = all.filter((a) => a.description === authDescription(role));
    let keep = mine.find((a) => a.token === known[role] && samePermissions(a.permissions, permissions));
    if (!keep) keep = await v2Api(cfg, 'POST', '/api/v2/authorizations', { orgID: org.id, description: authDescription(role), permissions }) as Authorization;
    for (const a of mine) if (a.id !== keep.id) await v2Api(cfg, 'DELETE', `/api/v2/authorizations/${a.id}`);
    out.push({ role, secret: keep.token, created: keep.token !== known[role] });
  }
  return out;
}
