/**
 * Log error rates come from the collector's log-match counts in InfluxDB, not
 * through the queue. Once per period one processor process (whichever takes
 * the period's lease in Redis) sums the counts per container over the window
 * and publishes one logs job per host, which is then applied in order like any
 * other job of the host. Hosts that had counts last time get a job too, so
 * their rates return to zero and their alerts resolve.
 */
import type { Config } from '../common/config.js';
import type { Logger } from '../common/log.js';
import type { InfluxQL } from '../common/influx/query.js';
import { ident, literal } from '../common/influx/query.js';
import { TAG } from '../common/schema.js';
import type { RedisClient } from '../common/queue/connection.js';
import { globalPrefix } from '../common/queue/names.js';
import { IntervalScheduler } from '../common/scheduler.js';
import type { SamplesPublisher } from '../common/queue/publisher.js';

export class LogRateScanner {
  private readonly scheduler: IntervalScheduler;
  private readonly leaseKey: string;
  private readonly hostsKey: string;

  constructor(
    private readonly cfg: Config['processor']['faults']['logErrors'],
    prefix: string,
    private readonly redis: RedisClient,
    private readonly query: InfluxQL,
    private readonly publisher: SamplesPublisher,
    private readonly log: Logger,
  ) {
    this.leaseKey = `${globalPrefix(prefix)}:logscan:lease`;
    this.hostsKey = `${globalPrefix(prefix)}:logscan:hosts`;
    this.scheduler = new IntervalScheduler(cfg.every, (t) =>
      this.scan(t).catch((e) => this.log.warn({ err: (e as Error).message }, 'log-rate scan failed')), log);
  }

  start(): void {
    this.scheduler.start();
  }

  /** Runs the scan of the period ending at `time` if this process holds its lease. */
  async scan(time: number): Promise<number> {
    const lease = await this.redis.set(`${this.leaseKey}:${time}`, '1', 'PX', this.cfg.every * 2, 'NX');
    if (lease !== 'OK') return 0;
    const pattern = this.cfg.pattern ? ` AND ${ident('pattern')} = ${literal(this.cfg.pattern)}` : '';
    const rows = await this.query.rows(
      `SELECT sum(${ident(this.cfg.field)}) AS n FROM ${ident(this.cfg.measurement)} WHERE time > ${time - this.cfg.window}ms AND time <= ${time}ms${pattern} GROUP BY ${ident(TAG.engineHost)}, ${ident(TAG.containerName)}`,
    );
    const perHost = new Map<string, Record<string, number>>();
    for (const r of rows) {
      const host = String(r[TAG.engineHost] ?? '');
      const name = String(r[TAG.containerName] ?? '');
      const n = Number(r.n);
      if (!host || !name || !Number.isFinite(n)) continue;
      let m = perHost.get(host);
      if (!m) perHost.set(host, (m = {}));
      m[name] = n;
    }
    const before = await this.redis.smembers(this.hostsKey);
    for (const h of before) if (!perHost.has(h)) perHost.set(h, {});
    for (const [host, counts] of perHost) {
      await this.publisher.publishLogs({ host, time, windowMs: this.cfg.window, counts });
    }
    const now = [...perHost].filter(([, c]) => Object.keys(c).length > 0).map(([h]) => h);
    const tx = this.redis.multi().del(this.hostsKey);
    if (now.length) tx.sadd(this.hostsKey, ...now);
    await tx.exec();
    return perHost.size;
  }

  async stop(): Promise<void> {
    await this.scheduler.stop();
  }
}
