/**
 * One validated configuration for every component: a YAML file, overridden by
 * SHIPWATCH_* environment variables (and SHIPWATCH_*_FILE for secrets).
 * Errors name the key and the problem.
 */
import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDuration } from './duration.js';

const duration = (def: string) =>
  z
    .union([z.string(), z.number()])
    .default(def)
    .transform((v, ctx) => {
      try {
        const ms = parseDuration(v);
        if (ms <= 0) throw new Error('must be greater than zero');
        return ms;
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
        return z.NEVER;
      }
    });

const DockerSchema = z.strictObject({
  /** unix socket path; ignored when url is set */
  socketPath: z.string().min(1).default('/var/run/docker.sock'),
  /** tcp://host:port or https://host:port for a remote engine */
  url: z.string().default(''),
  tls: z
    .strictObject({
      ca: z.string().default(''),
      cert: z.string().default(''),
      key: z.string().default(''),
      verify: z.boolean().default(true),
    })
    .prefault({}),
  timeout: duration('10s'),
});

const CollectorSchema = z.strictObject({
  /** container monitoring on/off */
  enabled: z.boolean().default(true),
  /** container-log monitoring on/off */
  logs: z.strictObject({ enabled: z.boolean().default(false) }).prefault({}),
  interval: duration('30s'),
  /** auto: cgroup files when readable, else the Docker API */
  statsSource: z.enum(['auto', 'cgroup', 'api']).default('auto'),
  /** in-flight one-shot stats calls on the API source */
  statsConcurrency: z.number().int().min(1).max(4096).default(256),
  /** where the host's cgroup tree and /proc are visible to the collector */
  cgroupRoot: z.string().default('/sys/fs/cgroup'),
  procRoot: z.string().default('/proc'),
  /** container labels copied into tags; keep the list short (series cardinality) */
  labelTags: z.array(z.string().min(1)).default(['com.docker.compose.project', 'com.docker.compose.service']),
  /** re-inspect every container this often even without an event, to catch what events miss */
  inspectEvery: duration('5m'),
  /** write docker_container_status for stopped containers too */
  includeStopped: z.boolean().default(true),
});

const ProcessorSchema = z.strictObject({
  averageWindow: duration('5m'),
  deltaWindow: duration('1m'),
});

const InfluxSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8086'),
  /** auto: ask /ping; v1: /write (InfluxDB before 1.8); v2: /api/v2/write (1.8+, 2.x, 3.x) */
  apiVersion: z.enum(['auto', 'v1', 'v2']).default('auto'),
  token: z.string().default(''),
  username: z.string().default(''),
  password: z.string().default(''),
  org: z.string().default(''),
  /** bucket on 2.x/3.x, database on 1.x */
  bucket: z.string().min(1).default('shipwatch'),
  /** 1.x retention policy for raw points; empty = the database default */
  retentionPolicy: z.string().default(''),
  batchSize: z.number().int().min(1).default(5000),
  flushInterval: duration('1s'),
  /** points kept while InfluxDB is unreachable; beyond this the oldest are dropped and counted */
  maxBufferLines: z.number().int().min(1000).default(200_000),
  timeout: duration('10s'),
});

const RedisSchema = z.strictObject({
  url: z.string().default('redis://127.0.0.1:6379'),
  /** Redis Cluster nodes as host:port; when set, url is ignored */
  nodes: z.array(z.string()).default([]),
  prefix: z.string().default('{shipwatch}'),
});

const LogSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export const ConfigSchema = z.strictObject({
  /** name of this Docker host in every point; empty = the engine's own name (docker info) */
  host: z.string().default(''),
  docker: DockerSchema.prefault({}),
  collector: CollectorSchema.prefault({}),
  processor: ProcessorSchema.prefault({}),
  influx: InfluxSchema.prefault({}),
  redis: RedisSchema.prefault({}),
  log: LogSchema.prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;

/** The configuration with nothing set: every key and its default. */
export const DEFAULTS: Config = ConfigSchema.parse({});
export type InfluxConfig = Config['influx'];
export type DockerConfig = Config['docker'];

/** Keys whose values are secrets: never logged, may come from *_FILE. */
export const SECRET_KEYS = ['influx.token', 'influx.password', 'redis.url'];

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const toEnvName = (path: string[]) =>
  'SHIPWATCH_' + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');

/** Every leaf key of the configuration with its default, to map env vars onto. */
function leaves(obj: unknown, prefix: string[] = []): Array<{ path: string[]; sample: unknown }> {
  if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
    return Object.entries(obj).flatMap(([k, v]) => leaves(v, [...prefix, k]));
  }
  return [{ path: prefix, sample: obj }];
}

function coerceEnv(name: string, raw: string, sample: unknown): unknown {
  if (Array.isArray(sample)) return raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (typeof sample === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new ConfigError(`config: ${name}: expected true or false, got "${raw}"`);
  }
  if (typeof sample === 'number') {
    // Durations are numbers once parsed but are written as "30s": let the schema judge those.
    const n = Number(raw);
    return raw.trim() !== '' && Number.isFinite(n) ? n : raw;
  }
  return raw;
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown) {
  let cur = obj;
  for (const p of path.slice(0, -1)) {
    if (cur[p] === undefined || cur[p] === null) cur[p] = {};
    if (typeof cur[p] !== 'object') throw new ConfigError(`config: ${path.join('.')}: parent key is not a section`);
    cur = cur[p] as Record<string, unknown>;
  }
  cur[path[path.length - 1]] = value;
}

export interface LoadOptions {
  /** YAML file; default $SHIPWATCH_CONFIG, else ./shipwatch.yaml when present */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** values applied last, for tests and tools */
  overrides?: Record<string, unknown>;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.SHIPWATCH_CONFIG ?? (existsSync('shipwatch.yaml') ? 'shipwatch.yaml' : undefined);
  let raw: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(`config: cannot read ${file}: ${(e as Error).message}`);
    }
    try {
      raw = (parseYaml(text) as Record<string, unknown>) ?? {};
    } catch (e) {
      throw new ConfigError(`config: ${file} is not valid YAML: ${(e as Error).message}`);
    }
    if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`config: ${file}: top level must be a mapping`);
  }
  for (const { path, sample } of leaves(DEFAULTS)) {
    const name = toEnvName(path);
    const key = path.join('.');
    const fileVar = env[`${name}_FILE`];
    if (fileVar !== undefined && SECRET_KEYS.includes(key)) {
      try {
        setPath(raw, path, readFileSync(fileVar, 'utf8').trim());
      } catch (e) {
        throw new ConfigError(`config: ${key}: cannot read ${name}_FILE (${fileVar}): ${(e as Error).message}`);
      }
    } else if (env[name] !== undefined) {
      setPath(raw, path, coerceEnv(`${key} (from ${name})`, env[name]!, sample));
    }
  }
  for (const [k, v] of Object.entries(opts.overrides ?? {})) setPath(raw, k.split('.'), v);
  return parseConfig(raw);
}

export function parseConfig(raw: unknown): Config {
  const res = ConfigSchema.safeParse(raw);
  if (!res.success) {
    const lines = res.error.issues.map((i) => {
      const unknownKeys = i.code === 'unrecognized_keys' ? (i as { keys: string[] }).keys : [];
      const base = i.path.map(String).join('.');
      if (unknownKeys.length) {
        return unknownKeys.map((k) => `config: ${base ? base + '.' : ''}${k}: unknown key`).join('\n');
      }
      return `config: ${base || '(top level)'}: ${i.message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  return res.data;
}

/** The configuration with secrets replaced, safe to log. */
export function redactConfig(cfg: Config): Config {
  const copy = structuredClone(cfg);
  if (copy.influx.token) copy.influx.token = '[redacted]';
  if (copy.influx.password) copy.influx.password = '[redacted]';
  copy.redis.url = copy.redis.url.replace(/\/\/([^@/]*)@/, '//[redacted]@');
  return copy;
}

/** Exported for docs and tests: the env var that sets a config key. */
export const envNameFor = (key: string) => toEnvName(key.split('.'));
