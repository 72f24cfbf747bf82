/**
 * Writes line protocol through @influxdata/influxdb-client (batching, retry with
 * backoff, bounded retry buffer) to any InfluxDB: /write on servers before 1.8,
 * /api/v2/write on 1.8+, 2.x and 3.x.
 */
import { InfluxDB, HttpError, setLogger, type WriteApi } from '@influxdata/influxdb-client';
import type { InfluxConfig } from '../config.js';
import type { Logger } from '../log.js';
import { OnceLogger } from '../log.js';
import { authHeaders } from './auth.js';
import { pingServer, type WriteApiVersion } from './server.js';
import { InfluxQL, ident } from './query.js';
import { redactUrl } from '../config-redact.js';

// We report write failures ourselves, once per outage; silence the client's per-attempt logging.
setLogger({ error() {}, warn() {} });

const YEAR_MS = 365 * 86_400_000;
const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface WriterStats {
  /** lines accepted by InfluxDB */
  written: number;
  /** lines InfluxDB rejected as invalid (4xx): never retried */
  rejected: number;
  /** lines dropped because the buffer was full while InfluxDB was unreachable */
  dropped: number;
  /** lines waiting for the server to be detected */
  pending: number;
  api: WriteApiVersion | 'unknown';
  serverVersion: string;
}

export function writePath(api: WriteApiVersion, cfg: Pick<InfluxConfig, 'bucket' | 'org' | 'retentionPolicy'>): string {
  if (api === 'v1') {
    const q = new URLSearchParams({ db: cfg.bucket, precision: 'ns' });
    if (cfg.retentionPolicy) q.set('rp', cfg.retentionPolicy);
    return `/write?${q}`;
  }
  const bucket = cfg.retentionPolicy ? `${cfg.bucket}/${cfg.retentionPolicy}` : cfg.bucket;
  return `/api/v2/write?${new URLSearchParams({ org: cfg.org, bucket, precision: 'ns' })}`;
}

export class InfluxWriter {
  private readonly api: WriteApi;
  private readonly once: OnceLogger;
  private detected: WriteApiVersion | undefined;
  private detecting: Promise<void> | undefined;
  private pending: string[] = [];
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  readonly query: InfluxQL;
  readonly counters: WriterStats = { written: 0, rejected: 0, dropped: 0, pending: 0, api: 'unknown', serverVersion: '' };

  constructor(private readonly cfg: InfluxConfig, private readonly log: Logger) {
    this.once = new OnceLogger(log);
    this.query = new InfluxQL(cfg);
    const counters = this.counters;
    const once = this.once;
    // The client calls its callbacks with its own `this`.
    const self = this;
    const client = new InfluxDB({ url: cfg.url, timeout: cfg.timeout, headers: authHeaders(cfg) });
    this.api = client.getWriteApi(cfg.org || '-', cfg.bucket, 'ns', {
      batchSize: cfg.batchSize,
      flushInterval: cfg.flushInterval,
      maxBufferLines: cfg.maxBufferLines,
      // Keep retrying while the buffer has room: nothing is dropped for age.
      maxRetries: 1_000_000_000,
      maxRetryTime: 10 * YEAR_MS,
      minRetryDelay: 200,
      maxRetryDelay: 5_000,
      exponentialBase: 2,
      retryJitter: 200,
      gzipThreshold: cfg.gzip ? 1000 : Number.MAX_SAFE_INTEGER,
      writeSuccess(lines) {
        counters.written += lines.length;
        once.clear('influx-write', 'InfluxDB writes succeed again');
      },
      writeFailed(error, lines) {
        // 1.x answers 404 while the database does not exist yet (InfluxDB started empty, or came back
        // before set-up ran): create it and send the lines again instead of losing them.
        if (self.canCreateDatabase() && error instanceof HttpError && error.statusCode === 404 && /database not found/.test(error.body ?? '')) {
          once.raise('influx-database', 'InfluxDB database missing: creating it; points are kept', { bucket: cfg.bucket });
          return self.createDatabase().then(() => self.requeue(lines), () => delay(cfg.flushInterval).then(() => self.requeue(lines)));
        }
        if (error instanceof HttpError && error.statusCode < 429) {
          counters.rejected += lines.length;
          log.error({ status: error.statusCode, body: error.body?.slice(0, 300), lines: lines.length }, 'InfluxDB rejected points');
          return;
        }
        once.raise('influx-write', 'InfluxDB write failed; points are buffered and retried', { error: error.message });
      },
      writeRetrySkipped(entry) {
        counters.dropped += entry.lines.length;
        log.error({ dropped: entry.lines.length, total: counters.dropped, maxBufferLines: cfg.maxBufferLines }, 'InfluxDB write buffer full: oldest points dropped');
      },
    });
    if (cfg.apiVersion !== 'auto') this.useApi(cfg.apiVersion, '');
  }

  private useApi(api: WriteApiVersion, version: string) {
    this.detected = api;
    this.counters.api = api;
    this.counters.serverVersion = version;
    this.api.path = writePath(api, this.cfg);
    const pending = this.pending;
    this.pending = [];
    this.counters.pending = 0;
    if (pending.length) this.api.writeRecords(pending);
  }

  /** Detects the server's write API (unless configured); retries in the background until it answers. */
  ready(): Promise<void> {
    if (this.detected) return Promise.resolve();
    if (!this.detecting) {
      this.detecting = new Promise<void>((resolve) => {
        let delay = 200;
        const attempt = async () => {
          if (this.closed) return resolve();
          try {
            const info = await pingServer(this.cfg);
            this.once.clear('influx-ping', 'InfluxDB reachable');
            this.log.info({ version: info.version, api: info.api }, 'InfluxDB detected');
            this.useApi(info.api, info.version);
            resolve();
          } catch (e) {
            this.once.raise('influx-ping', 'InfluxDB unreachable; retrying', { url: redactUrl(this.cfg.url), error: (e as Error).message });
            this.retryTimer = setTimeout(attempt, delay);
            delay = Math.min(delay * 2, 5_000);
          }
        };
        void attempt();
      });
    }
    return this.detecting;
  }

  private creating: Promise<void> | undefined;

  /** 1.x with set-up managed here: a missing database may be created by the writer itself. */
  private canCreateDatabase(): boolean {
    return this.cfg.retention.manage && (this.detected === 'v1' || this.counters.serverVersion.startsWith('1.'));
  }

  /** CREATE DATABASE, one at a time however many batches found the database missing. */
  private createDatabase(): Promise<void> {
    this.creating ??= this.query
      .query(`CREATE DATABASE ${ident(this.cfg.bucket)}`)
      .then(() => this.once.clear('influx-database', 'InfluxDB database created'))
      .finally(() => (this.creating = undefined));
    return this.creating;
  }

  /** Lines that found the database missing go back into the write queue (or count as lost once closed). */
  private requeue(lines: string[]): void {
    if (this.closed) {
      this.counters.dropped += lines.length;
      return;
    }
    this.api.writeRecords(lines);
  }

  /** On 1.x the database must exist; CREATE DATABASE is a no-op when it does. */
  /** Creates the 1.x database unless someone else manages it (influx.retention.manage: false, e.g. a component with a write-only user). */
  async ensureDatabase(): Promise<void> {
    if (!this.cfg.retention.manage) return;
    await this.ready();
    if (this.detected === 'v1') await this.query.query(`CREATE DATABASE ${ident(this.cfg.bucket)}`);
  }

  /** Queues lines; they are sent in batches in the background. */
  write(lines: string[]): void {
    if (this.closed || lines.length === 0) return;
    if (this.detected) {
      this.api.writeRecords(lines);
      return;
    }
    for (const l of lines) this.pending.push(l);
    const over = this.pending.length - this.cfg.maxBufferLines;
    if (over > 0) {
      this.pending.splice(0, over);
      this.counters.dropped += over;
      this.log.error({ dropped: over }, 'InfluxDB not reachable yet and buffer full: oldest points dropped');
    }
    this.counters.pending = this.pending.length;
    void this.ready();
  }

  /** Sends what is queued now. Failures stay in the retry buffer; this never throws. */
  async flush(): Promise<boolean> {
    if (!this.detected) return false;
    try {
      await this.api.flush();
      return true;
    } catch {
      return false;
    }
  }

  /** Flushes within the time given, then gives up; returns the count of lines not written. */
  async close(timeoutMs = 5_000): Promise<number> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    const res = await Promise.race([this.api.close().then(() => 'ok' as const, () => 'failed' as const), timedOut]);
    clearTimeout(timer);
    const lost = res === 'ok' ? 0 : this.api.dispose();
    return lost + this.pending.length;
  }
}
