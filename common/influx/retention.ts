/**
 * Retention set up on start (docs/retention.md): raw points in the database's
 * default retention policy (2.x: the bucket), the processor's rollups in a
 * retention policy of their own (2.x: the bucket "<bucket>/<rp>", which the
 * virtual DBRP mapping shows to InfluxQL as that retention policy), so the
 * same InfluxQL reads both on every version.
 */
import type { InfluxConfig } from '../config.js';
import type { Logger } from '../log.js';
import { authHeaders } from './auth.js';
import { InfluxQL, ident } from './query.js';
import { InfluxQueryError, RetentionError } from '../errors.js';
import { pingServer } from './server.js';
import type { LineSink } from './sink.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A retention policy as SHOW RETENTION POLICIES lists it. */
export interface ExistingPolicy {
  name: string;
  /** 0 = forever */
  durationMs: number;
  isDefault: boolean;
}

export interface WantedRetention {
  /** the raw points' policy; empty = the database's default one */
  rawPolicy: string;
  rawMs: number;
  /** empty = rollups stay with the raw points */
  rollupPolicy: string;
  rollupMs: number;
}

export function wantedRetention(cfg: Pick<InfluxConfig, 'retentionPolicy' | 'rollupRetentionPolicy' | 'retention'>): WantedRetention {
  return {
    rawPolicy: cfg.retentionPolicy,
    rawMs: cfg.retention.raw,
    rollupPolicy: cfg.rollupRetentionPolicy === cfg.retentionPolicy ? '' : cfg.rollupRetentionPolicy,
    rollupMs: cfg.retention.rollup,
  };
}

/** Parses Go durations as InfluxDB 1.x prints them ("168h0m0s", "0s"). */
export function parseGoDuration(s: string): number {
  const units: Record<string, number> = { h: HOUR, m: 60_000, s: 1000, ms: 1, us: 1e-3, 'µs': 1e-3, ns: 1e-6 };
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)/g)) total += Number(m[1]) * units[m[2]];
  return Math.round(total);
}

/** InfluxQL duration literal; 0 = INF. */
export function influxDuration(ms: number): string {
  if (ms === 0) return 'INF';
  if (ms % HOUR === 0) return `${ms / HOUR}h`;
  return `${Math.ceil(ms / 1000)}s`;
}

/** InfluxDB 1.x's own default shard group duration for a retention duration. */
export function shardDuration(ms: number): string {
  if (ms === 0 || ms > 183 * DAY) return '7d';
  if (ms >= 2 * DAY) return '1d';
  return '1h';
}

const policySpec = (ms: number) => `DURATION ${influxDuration(ms)} REPLICATION 1 SHARD DURATION ${shardDuration(ms)}`;

/**
 * The InfluxQL statements that bring a 1.x database to the wanted retention (pure).
 * `existing` undefined: the database does not exist.
 */
export function v1Statements(db: string, existing: ExistingPolicy[] | undefined, want: WantedRetention): string[] {
  const out: string[] = [];
  const on = `ON ${ident(db)}`;
  if (!existing) {
    out.push(`CREATE DATABASE ${ident(db)} WITH ${policySpec(want.rawMs)} NAME ${ident(want.rawPolicy || 'autogen')}`);
  } else {
    const raw = want.rawPolicy ? existing.find((p) => p.name === want.rawPolicy) : existing.find((p) => p.isDefault);
    if (!raw) {
      // Dashboards read the default policy: a configured raw policy becomes the default.
      out.push(`CREATE RETENTION POLICY ${ident(want.rawPolicy || 'autogen')} ${on} ${policySpec(want.rawMs)} DEFAULT`);
    } else if (raw.durationMs !== want.rawMs || !raw.isDefault) {
      out.push(`ALTER RETENTION POLICY ${ident(raw.name)} ${on} ${policySpec(want.rawMs)}${raw.isDefault ? '' : ' DEFAULT'}`);
    }
  }
  if (want.rollupPolicy) {
    const rollup = existing?.find((p) => p.name === want.rollupPolicy);
    if (!rollup) out.push(`CREATE RETENTION POLICY ${ident(want.rollupPolicy)} ${on} ${policySpec(want.rollupMs)}`);
    else if (rollup.durationMs !== want.rollupMs) out.push(`ALTER RETENTION POLICY ${ident(want.rollupPolicy)} ${on} ${policySpec(want.rollupMs)}`);
  }
  return out;
}

/** A 2.x bucket as /api/v2/buckets returns it (the parts used). */
export interface Bucket {
  id: string;
  name: string;
  retentionRules?: Array<{ type: string; everySeconds: number }>;
}

export type BucketChange =
  | { op: 'create'; name: string; everySeconds: number }
  | { op: 'update'; id: string; name: string; everySeconds: number };

const everySeconds = (b: Bucket) => b.retentionRules?.find((r) => r.type === 'expire')?.everySeconds ?? 0;

/** What to create or change so the 2.x buckets keep points as wanted (pure). */
/** The raw points' bucket, then the rollups' (when they have their own). */
export function bucketNames(bucket: string, want: WantedRetention): string[] {
  const raw = want.rawPolicy ? `${bucket}/${want.rawPolicy}` : bucket;
  return want.rollupPolicy ? [raw, `${bucket}/${want.rollupPolicy}`] : [raw];
}

export function bucketChanges(bucket: string, existing: Bucket[], want: WantedRetention): BucketChange[] {
  const [raw, rollup] = bucketNames(bucket, want);
  const wanted = [{ name: raw, ms: want.rawMs }];
  if (rollup) wanted.push({ name: rollup, ms: want.rollupMs });
  const out: BucketChange[] = [];
  for (const w of wanted) {
    const secs = Math.ceil(w.ms / 1000);
    const b = existing.find((x) => x.name === w.name);
    if (!b) out.push({ op: 'create', name: w.name, everySeconds: secs });
    else if (everySeconds(b) !== secs) out.push({ op: 'update', id: b.id, name: w.name, everySeconds: secs });
  }
  return out;
}


async function v1Policies(q: InfluxQL, db: string): Promise<ExistingPolicy[] | undefined> {
  const dbs = await q.rows('SHOW DATABASES');
  if (!dbs.some((r) => r.name === db)) return undefined;
  return (await q.rows(`SHOW RETENTION POLICIES ON ${ident(db)}`)).map((r) => ({
    name: String(r.name),
    durationMs: parseGoDuration(String(r.duration)),
    isDefault: r.default === true,
  }));
}

async function setupV1(cfg: InfluxConfig, want: WantedRetention, log: Logger): Promise<string[]> {
  const q = new InfluxQL(cfg);
  const done: string[] = [];
  // Another component may set up the same database at the same time: plan again on a conflict.
  for (let attempt = 0; ; attempt++) {
    const statements = v1Statements(cfg.bucket, await v1Policies(q, cfg.bucket), want);
    try {
      for (const s of statements) {
        await q.query(s);
        done.push(s);
      }
      break;
    } catch (e) {
      if (!(e instanceof InfluxQueryError)) throw e;
      if (attempt >= 2) throw new RetentionError(e.message);
      log.debug({ err: e.message }, 'retention set-up raced another; planning again');
    }
  }
  return done;
}

/** One request to the 2.x HTTP API; a 4xx answer is a RetentionError (retrying will not help). */
export async function v2Api(cfg: InfluxConfig, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(new URL(path, cfg.url), {
    method,
    headers: { ...authHeaders(cfg), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(cfg.timeout),
  });
  const text = await res.text();
  if (res.status >= 400 && res.status < 500) throw new RetentionError(`${method} ${path} answered ${res.status}: ${text.slice(0, 200)}`);
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}`);
  return text ? JSON.parse(text) : undefined;
}

async function setupV2(cfg: InfluxConfig, want: WantedRetention): Promise<string[]> {
  if (!cfg.org) throw new RetentionError('influx.org is needed to set up buckets on InfluxDB 2.x');
  const org = encodeURIComponent(cfg.org);
  const existing: Bucket[] = [];
  for (const name of bucketNames(cfg.bucket, want)) {
    existing.push(...((await v2Api(cfg, 'GET', `/api/v2/buckets?org=${org}&name=${encodeURIComponent(name)}`))?.buckets ?? []));
  }
  const changes = bucketChanges(cfg.bucket, existing, want);
  let orgID: string | undefined;
  const done: string[] = [];
  for (const c of changes) {
    const retentionRules = c.everySeconds ? [{ type: 'expire', everySeconds: c.everySeconds }] : [];
    if (c.op === 'create') {
      orgID ??= (await v2Api(cfg, 'GET', `/api/v2/orgs?org=${org}`))?.orgs?.[0]?.id;
      if (!orgID) throw new RetentionError(`organisation "${cfg.org}" not found`);
      await v2Api(cfg, 'POST', '/api/v2/buckets', { orgID, name: c.name, retentionRules });
    } else {
      await v2Api(cfg, 'PATCH', `/api/v2/buckets/${c.id}`, { retentionRules });
    }
    done.push(`${c.op} bucket ${c.name} (${c.everySeconds ? c.everySeconds + ' s' : 'forever'})`);
  }
  return done;
}

export interface RetentionResult {
  /** false when the rollup policy could not be made: rollups then go with the raw points */
  rollupReady: boolean;
  changes: string[];
}

/** One attempt; throws when InfluxDB cannot be reached, RetentionError when retrying will not help. */
export async function ensureRetention(cfg: InfluxConfig, log: Logger): Promise<RetentionResult> {
  const want = wantedRetention(cfg);
  const { version } = await pingServer(cfg);
  const major = /^v?(\d+)\./.exec(version)?.[1];
  let changes: string[];
  if (major === '1') changes = await setupV1(cfg, want, log);
  else if (major === '2') changes = await setupV2(cfg, want);
  else {
    log.info({ version }, 'retention is not managed on this InfluxDB; set it up there (docs/retention.md)');
    return { rollupReady: true, changes: [] };
  }
  if (changes.length) log.info({ changes }, 'InfluxDB retention set up');
  return { rollupReady: true, changes };
}

/**
 * Sets retention up, retrying while InfluxDB is unreachable. Never throws: on a
 * permanent failure it logs and reports the rollup policy as missing.
 */
export async function setupRetention(cfg: InfluxConfig, log: Logger, signal?: AbortSignal): Promise<RetentionResult> {
  let delay = 500;
  let warned = false;
  for (;;) {
    try {
      return await ensureRetention(cfg, log);
    } catch (e) {
      if (e instanceof RetentionError) {
        log.error({ err: e.message }, 'could not set up InfluxDB retention; rollups are written with the raw points');
        return { rollupReady: false, changes: [] };
      }
      if (!warned) log.warn({ err: (e as Error).message }, 'InfluxDB unreachable; retention set-up retried');
      warned = true;
      if (signal?.aborted) return { rollupReady: false, changes: [] };
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  }
}

/**
 * Sends the lines of some measurements to a second sink (the rollup retention
 * policy), the rest to the main one. Until `target` settles those lines wait
 * here (bounded), so none reach a policy that does not exist yet.
 */
export class MeasurementRouter implements LineSink {
  private other: LineSink | undefined;
  private held: string[] = [];
  private readonly prefixes: string[];

  constructor(private readonly main: LineSink, measurements: string[], target: Promise<LineSink>, private readonly maxHeld = 200_000) {
    this.prefixes = measurements.flatMap((m) => [m + ',', m + ' ']);
    void target.then((t) => {
      this.other = t;
      const held = this.held;
      this.held = [];
      t.write(held);
    });
  }

  write(lines: string[]): void {
    const mine: string[] = [];
    const rest: string[] = [];
    for (const l of lines) (this.prefixes.some((p) => l.startsWith(p)) ? mine : rest).push(l);
    this.main.write(rest);
    if (!mine.length) return;
    if (this.other) this.other.write(mine);
    else {
      for (const l of mine) this.held.push(l);
      if (this.held.length > this.maxHeld) this.held.splice(0, this.held.length - this.maxHeld);
    }
  }

  async flush(): Promise<boolean> {
    const [a, b] = await Promise.all([this.main.flush(), this.other ? this.other.flush() : Promise.resolve(this.held.length === 0)]);
    return a && b;
  }
}
