/**
 * One validated configuration for every component: a YAML file, overridden by
 * SHIPWATCH_* environment variables (and SHIPWATCH_*_FILE for secrets).
 * Errors name the key and the problem.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { duration, durationOrZero } from './config-duration.js';
import { PROCESSOR_METRICS } from './schema.js';
import { AlerterSchema } from './config-alerter.js';
import { ReportsSchema } from './config-reports.js';
import { ConfigError } from './errors.js';
import { SEVERITIES } from './severity.js';
import { issuePath } from './validation.js';

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

/** A case-insensitive regular expression, checked when the config loads. */
const pattern = z.string().min(1).refine(
  (v) => {
    try {
      new RegExp(v, 'i');
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

const LogsSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** follow only containers with one of these labels ("key" or "key=value"); with names empty too: all containers */
  labels: z.array(z.string().min(1)).default([]),
  /** follow only containers whose name matches one of these globs (* and ?) */
  names: z.array(z.string().min(1)).default([]),
  /** lines counted per container and interval in docker_log_matches, by name (the tag value) */
  patterns: z
    .record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'pattern names: letters, digits, _ . - only'), pattern)
    .default({ error: 'error', fatal: 'fatal', panic: 'panic', exception: 'exception' }),
  /** lines per second and container written to docker_log; the excess is dropped and counted */
  rateLimit: z.number().positive().default(100),
  /** lines a container may write at once above the rate */
  burst: z.number().int().min(1).default(1000),
  /** longer lines are cut (InfluxDB 1.x keeps string fields up to 64 KiB) */
  maxLineBytes: z.number().int().min(256).max(65_536).default(16_384),
  /** how far back the log of a container not read before is read */
  backfill: duration('5m'),
});

const CollectorSchema = z.strictObject({
  /** container monitoring on/off */
  enabled: z.boolean().default(true),
  /** container-log monitoring on/off */
  logs: LogsSchema.prefault({}),
  /** Docker events written to docker_event as they happen */
  events: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** actions written (detail after ":" ignored, e.g. health_status); container and image events */
      actions: z.array(z.string().min(1)).default([
        'create', 'start', 'restart', 'die', 'kill', 'oom', 'stop', 'pause', 'unpause', 'health_status', 'destroy',
        'rename', 'update', 'pull', 'push', 'tag', 'untag', 'delete', 'import', 'load', 'save',
      ]),
    })
    .prefault({}),
  /** processes inside running containers (docker top) */
  processes: z
    .strictObject({
      enabled: z.boolean().default(true),
      interval: duration('30s'),
      /** auto: /proc and cgroup files when readable, else the Docker API (which runs ps on the host per container) */
      source: z.enum(['auto', 'proc', 'api']).default('auto'),
      /** processes written per container and poll (series cardinality): the busiest by CPU and by memory */
      max: z.number().int().min(1).max(1000).default(20),
    })
    .prefault({}),
  /** mounts and disk usage (/system/df): expensive for Docker, so on a slow interval of its own */
  disk: z.strictObject({ enabled: z.boolean().default(true), interval: duration('5m') }).prefault({}),
  /** the host's images; also refreshed when Docker reports an image event */
  images: z.strictObject({ enabled: z.boolean().default(true), interval: duration('5m') }).prefault({}),
  /**
   * TCP states and UDP sockets of each container, and the service map, from /proc/<pid>/net under procRoot; every
   * interval. Off by default, as cAdvisor's tcp/udp metrics are: every read of a socket table walks the kernel's
   * connection hash, which all namespaces share (docs/performance.md)
   */
  network: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** reading one container's socket tables stops after this long; its point then says incomplete=true */
      budget: duration('100ms'),
      /** peers kept per container on the service map; the rest are folded into one "(others)" node */
      maxPeers: z.number().int().min(1).max(1000).default(20),
      /** established connections per container looked at for the service map (state counts are always whole) */
      maxConnections: z.number().int().min(100).max(10_000_000).default(65_536),
      /** addresses of this Docker host besides its Docker networks' gateways (found by itself when the collector runs in the host's network) */
      hostAddresses: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  /** each container's security posture (CIS Docker Benchmark runtime checks), written when it appears or changes */
  posture: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
  /**
   * at a container's die, oom and unhealthy events, its last log lines, inspect facts and processes are read
   * from Docker and sent with the event: the processor, which has no Docker access, puts them in the fault snapshot
   */
  capture: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** last lines of the container's log (stdout and stderr), read whether or not collector.logs is on */
      logLines: z.number().int().min(0).max(500).default(50),
      /** a capture still reading after this is sent with what it has, so the event is not held up */
      timeout: duration('5s'),
    })
    .prefault({}),
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
  /**
   * re-inspect every container this often even without an event, to catch what events miss (events name
   * every change the collector shows, and a full list every listEvery catches state changes they lost)
   */
  inspectEvery: duration('1h'),
  /** while the event stream is live, list all containers only this often; events name the rest */
  listEvery: duration('1m'),
  /** docker_container_info (image, IP, ports, labels...) is written on change and at least this often */
  infoEvery: duration('5m'),
  /** write docker_container_status for stopped containers too */
  includeStopped: z.boolean().default(true),
  /**
   * GET /metrics: each cycle's samples with cAdvisor's metric names (docs/schema.md), beside the
   * collector's own process metrics. Off by default: it opens a port; loopback unless you mean it
   */
  prometheus: z
    .strictObject({
      enabled: z.boolean().default(false),
      host: z.string().min(1).default('127.0.0.1'),
      /** 0: any free port */
      port: z.number().int().min(0).max(65_535).default(9096),
    })
    .prefault({}),
});

const severity = z.enum(SEVERITIES);
const processorMetric = z.enum(Object.values(PROCESSOR_METRICS) as [string, ...string[]]);
const KiB = 1024;
const MiB = 1024 * KiB;

/** A static threshold: fires when `aggregate` of `metric` compares true against `value` for `for`. */
const StaticRuleSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'rule names: letters, digits, _ . - only'),
  metric: processorMetric,
  /** value: the sample itself; avg, min, max, delta: its rollup */
  aggregate: z.enum(['value', 'avg', 'min', 'max', 'delta']).default('value'),
  op: z.enum(['>', '>=', '<', '<=', '==', '!=']),
  value: z.number(),
  for: durationOrZero('0s'),
  severity: severity.default('warning'),
  labels: z.record(z.string(), z.string()).default({}),
  /** only containers whose name matches this glob (* and ?) */
  containers: z.string().min(1).default('*'),
});

const fault = (sev: z.infer<typeof severity>) => ({ enabled: z.boolean().default(true), severity: severity.default(sev) });

const ProcessorSchema = z.strictObject({
  averageWindow: duration('5m'),
  deltaWindow: duration('1m'),
  /** jobs one worker process runs at once; the jobs of one host always run one after another */
  concurrency: z.number().int().min(1).max(1024).default(8),
  /** a job waits this long for its host's previous job; then it is applied and the late one skipped */
  orderWait: duration('15s'),
  /** a longer silence between two samples of a container breaks its rates, for-durations and trends */
  maxGap: duration('5m'),
  /** a host's state (windows, baselines, alerts) is dropped after this long without a job */
  stateTtl: duration('7d'),
  /** the dynamic-threshold detector (docs/thresholds.md); every default here is what `npm run eval:thresholds` scores */
  thresholds: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** metrics fed to the dynamic-threshold detector (each costs a point per sample in InfluxDB) */
      metrics: z.array(processorMetric).default(['cpu_percent', 'mem_usage']),
      /** no anomaly before a metric has been learned this long (and after a gap, this long again) */
      warmup: duration('1h'),
      /** the value must stay outside the band this long before an anomaly; 0 = the first sample outside */
      for: durationOrZero('0s'),
      /** no new anomaly of the same metric within this time of one */
      refractory: durationOrZero('1h'),
      /** a deviation that stays on one side of the band this long becomes the new normal */
      newNormal: duration('4h'),
      /** alarmed excursions are remembered (a repeat of one raises nothing); the memory halves in this time; 0 = off */
      memory: durationOrZero('28d'),
      /** a silence longer than this is a gap: the metric warms up again */
      gap: duration('6h'),
      /** half-width of the band, in robust scales (mean absolute deviations of the residuals) */
      bandWidth: z.number().min(1).max(100).default(10),
      /** an excursion must exceed the remembered one by this factor to raise an anomaly */
      repeatMargin: z.number().min(1).max(10).default(1.25),
      /** per metric, in its unit: a change smaller than this never raises an anomaly (each side of the band is at least this wide) */
      minChange: z
        .strictObject({
          /** percentage points of one core */
          [PROCESSOR_METRICS.cpuPercent]: z.number().min(0).default(2),
          /** bytes */
          [PROCESSOR_METRICS.memUsage]: z.number().min(0).default(16 * MiB),
          [PROCESSOR_METRICS.memPercent]: z.number().min(0).default(1),
          /** bytes/s */
          [PROCESSOR_METRICS.netRxRate]: z.number().min(0).default(10 * KiB),
          [PROCESSOR_METRICS.netTxRate]: z.number().min(0).default(10 * KiB),
          [PROCESSOR_METRICS.blkioReadRate]: z.number().min(0).default(100 * KiB),
          [PROCESSOR_METRICS.blkioWriteRate]: z.number().min(0).default(100 * KiB),
          [PROCESSOR_METRICS.pids]: z.number().min(0).default(2),
          /** bytes */
          [PROCESSOR_METRICS.fsUsage]: z.number().min(0).default(64 * MiB),
        })
        .prefault({}),
      /** seasonal profile, e.g. period 1d with 24 buckets; period 0 = none */
      seasonality: z
        .strictObject({ period: durationOrZero('1d'), buckets: z.number().int().min(1).max(10_000).default(24) })
        .prefault({}),
    })
    .prefault({}),
  prediction: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** the trend is fitted on this much history */
      window: duration('30m'),
      /** warn when the limit will be reached within this time */
      horizon: duration('1h'),
      /** samples needed before a trend is trusted */
      minSamples: z.number().int().min(3).default(10),
    })
    .prefault({}),
  rules: z.array(StaticRuleSchema).default([]),
  faults: z
    .strictObject({
      /** exited non-zero or was killed, and no stop or removal followed within stopGrace */
      died: z.strictObject({ ...fault('critical'), stopGrace: duration('10s') }).prefault({}),
      oom: z.strictObject(fault('critical')).prefault({}),
      /** count restarts (restart_count increments) within window */
      restartLoop: z
        .strictObject({ ...fault('critical'), count: z.number().int().min(1).default(3), window: duration('10m') })
        .prefault({}),
      unhealthy: z.strictObject({ ...fault('warning'), for: durationOrZero('0s') }).prefault({}),
      /** the dynamic-threshold detector raised an anomaly; resolves when the value is back in its band */
      anomaly: z.strictObject(fault('warning')).prefault({}),
      /** the trend reaches the limit within prediction.horizon */
      exhaustion: z.strictObject(fault('warning')).prefault({}),
      /** CLOSE_WAIT sockets piling up (the application does not close connections its peers closed): at least min for `for` */
      closeWait: z
        .strictObject({ ...fault('warning'), min: z.number().int().min(1).default(20), for: durationOrZero('5m') })
        .prefault({}),
      /** TIME_WAIT sockets near the container's ephemeral port range: at least ratio x its size for `for` */
      timeWait: z
        .strictObject({ ...fault('warning'), ratio: z.number().gt(0).max(1).default(0.5), for: durationOrZero('1m') })
        .prefault({}),
      /** SYN_RECV surge: above the band the dynamic threshold learned for the container, and at least min */
      synRecv: z.strictObject({ ...fault('warning'), min: z.number().int().min(1).default(20) }).prefault({}),
      /** a running container has a critical security posture finding (off by default) */
      posture: z.strictObject({ enabled: z.boolean().default(false), severity: severity.default('critical') }).prefault({}),
      /** matching log lines per minute above `rate`, averaged over `window` (counts from the collector's measurement) */
      logErrors: z
        .strictObject({
          ...fault('warning'),
          /** the collector.logs pattern counted (its name); empty: all patterns */
          pattern: z.string().default('error'),
          /** matching lines per minute over the window above which the alert fires */
          rate: z.number().positive().default(10),
          window: duration('5m'),
        })
        .prefault({}),
    })
    .prefault({}),
  snapshot: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** log lines and processes read from InfluxDB into a snapshot */
      logLines: z.number().int().min(0).max(1000).default(50),
      processes: z.number().int().min(0).max(1000).default(20),
      /** how far back logs and processes are looked for */
      lookback: duration('10m'),
    })
    .prefault({}),
});

const QueueSchema = z.strictObject({
  /** the collector publishes its samples and Docker events for the processor */
  enabled: z.boolean().default(true),
  /** queue shards; a host always goes to the same one. Change only with the queues drained */
  shards: z.number().int().min(1).max(1024).default(8),
  /** tries of a failing job, waiting backoff, 2 x backoff, ... in between */
  attempts: z.number().int().min(1).max(100).default(5),
  backoff: duration('1s'),
  /** failed jobs kept per queue for inspection */
  keepFailed: z.number().int().min(0).default(10_000),
  /** completed jobs kept per queue (0: removed at once) */
  keepCompleted: z.number().int().min(0).default(0),
  /**
   * while Redis does not answer, the collector keeps each job and tries again, in order, for this long
   * after the job was made; older ones are dropped (logged). 0: never retried
   */
  publishRetry: durationOrZero('10m'),
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
  /**
   * where the processor writes its rollups: a 1.x retention policy of the database, on 2.x/3.x the
   * bucket "<bucket>/<name>" (which InfluxQL sees as that retention policy); empty = with the raw points
   */
  rollupRetentionPolicy: z.string().default('rollup'),
  /** how long points are kept, set up on start (docs/retention.md) */
  retention: z
    .strictObject({
      /** create the database or buckets and set their retention; off when someone else manages them */
      manage: z.boolean().default(true),
      /** raw points (0 = forever) */
      raw: durationOrZero('7d'),
      /** the processor's rollups (0 = forever) */
      rollup: durationOrZero('400d'),
    })
    .prefault({}),
  batchSize: z.number().int().min(1).default(5000),
  flushInterval: duration('1s'),
  /** points kept while InfluxDB is unreachable; beyond this the oldest are dropped and counted */
  maxBufferLines: z.number().int().min(1000).default(200_000),
  timeout: duration('10s'),
  /** gzip write bodies: saves bandwidth to a remote InfluxDB, costs CPU on the collector */
  gzip: z.boolean().default(false),
});

const RedisSchema = z.strictObject({
  /** redis://[user:password@]host:port, or rediss:// for TLS */
  url: z.string().regex(/^rediss?:\/\//, 'use redis://host:port or rediss://host:port').default('redis://127.0.0.1:6379'),
  /** Redis Cluster nodes as host:port; when set, url is ignored */
  nodes: z.array(z.string()).default([]),
  prefix: z.string().default('{shipwatch}'),
  /** ACL user of this component (deploy/redis/README.md); empty: the URL's, else the default user */
  username: z.string().default(''),
  /** its password; empty: the URL's */
  password: z.string().default(''),
  tls: z
    .strictObject({
      /** TLS even with a redis:// URL (rediss:// turns it on by itself) */
      enabled: z.boolean().default(false),
      /** PEM file of the CA that signed the server's certificate; empty: the system's CAs */
      ca: z.string().default(''),
      /** client certificate and key (PEM files), when the server asks for one */
      cert: z.string().default(''),
      key: z.string().default(''),
      /** name checked against the server's certificate; empty: the host connected to */
      servername: z.string().default(''),
    })
    .prefault({}),
});

/** GET /healthz for container health checks; port 0 = off */
const HealthSchema = z.strictObject({
  port: z.number().int().min(0).max(65_535).default(0),
  /** loopback by default: a container health check runs inside the container */
  host: z.string().min(1).default('127.0.0.1'),
});

const LogSchema = z.strictObject({
  /** debug also logs the whole configuration (secrets redacted) at start */
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
  queue: QueueSchema.prefault({}),
  log: LogSchema.prefault({}),
  health: HealthSchema.prefault({}),
  /** on SIGTERM or SIGINT, work under way gets this long to finish (points flushed, jobs acknowledged); then the component exits anyway */
  shutdownTimeout: duration('30s'),
  /** routing, notifications, silences, recovery actions, API (docs/alerter.md) */
  alerter: AlerterSchema.prefault({}),
  /** scheduled and on-demand reports (docs/reports.md) */
  reports: ReportsSchema.prefault({}),
}).superRefine((c, ctx) => {
  const receivers = new Map(c.alerter.receivers.map((r) => [r.name, r]));
  c.reports.receivers.forEach((name, i) => {
    const r = receivers.get(name);
    if (!r) ctx.addIssue({ code: 'custom', path: ['reports', 'receivers', i], message: `unknown receiver "${name}" (alerter.receivers)` });
    else if (!r.email) ctx.addIssue({ code: 'custom', path: ['reports', 'receivers', i], message: `receiver "${name}" has no email channel: reports go by email` });
  });
});

export type Config = z.infer<typeof ConfigSchema>;

/** The configuration with nothing set: every key and its default. */
export const DEFAULTS: Config = ConfigSchema.parse({});
export type InfluxConfig = Config['influx'];
export type DockerConfig = Config['docker'];

/** Keys whose values are secrets: never logged, may come from *_FILE. */
export const SECRET_KEYS = [
  'influx.token', 'influx.password', 'redis.url', 'redis.password', 'alerter.smtp.password', 'alerter.api.token', 'alerter.actions.signingKey',
];

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
  dockerFromEnv(raw, env);
  return parseConfig(raw);
}

/**
 * As the Docker CLI does: with no docker.socketPath or docker.url set (file,
 * SHIPWATCH_* variable or override), DOCKER_HOST names the engine
 * (unix:///path or tcp://host:port), and DOCKER_CERT_PATH the directory of
 * ca.pem, cert.pem and key.pem for TLS.
 */
function dockerFromEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  const d = raw.docker as Record<string, unknown> | undefined;
  if (d && typeof d === 'object' && (d.socketPath !== undefined || d.url !== undefined)) return;
  const host = env.DOCKER_HOST?.trim();
  if (!host) return;
  if (host.startsWith('unix://')) {
    setPath(raw, ['docker', 'socketPath'], host.slice('unix://'.length));
  } else if (/^(tcp|https?):\/\//.test(host)) {
    setPath(raw, ['docker', 'url'], host);
    const certs = env.DOCKER_CERT_PATH?.trim();
    if (certs && (d as { tls?: unknown } | undefined)?.tls === undefined) {
      setPath(raw, ['docker', 'tls'], { ca: joinPath(certs, 'ca.pem'), cert: joinPath(certs, 'cert.pem'), key: joinPath(certs, 'key.pem') });
    }
  } else {
    throw new ConfigError(`config: docker (from DOCKER_HOST): unsupported address "${host}" (use unix:///path or tcp://host:port)`);
  }
}

/** Where the Docker engine is, as the configuration says it. */
export function dockerEndpoint(cfg: DockerConfig): string {
  return cfg.url ? cfg.url : `unix://${cfg.socketPath}`;
}

export function parseConfig(raw: unknown): Config {
  const res = ConfigSchema.safeParse(raw);
  if (!res.success) {
    const lines = res.error.issues.map((i) => {
      const unknownKeys = i.code === 'unrecognized_keys' ? (i as { keys: string[] }).keys : [];
      const base = issuePath(i, '');
      if (unknownKeys.length) {
        return unknownKeys.map((k) => `config: ${base ? base + '.' : ''}${k}: unknown key`).join('\n');
      }
      return `config: ${base || '(top level)'}: ${i.message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  return res.data;
}

/** Exported for docs and tests: the env var that sets a config key. */
export const envNameFor = (key: string) => toEnvName(key.split('.'));
