/**
 * Completes snapshots with what InfluxDB holds about the container (its top
 * processes and last log lines, when the collector wrote them) and stores them
 * in shipwatch_snapshot (common/snapshot.ts reads them back by ID).
 */
import type { InfluxQL } from '../common/influx/query.js';
import { ident, literal } from '../common/influx/query.js';
import { MEASUREMENT, TAG, LOG_FIELDS, PROCESS_FIELDS } from '../common/schema.js';
import type { Config } from '../common/config.js';
import type { SnapshotBody } from '../common/snapshot.js';
import { snapshotLine } from './lines.js';

/** InfluxDB 1.x keeps string fields up to 64 KiB. */
const MAX_BODY = 60_000;
const MAX_LOG_LINE = 1_000;

export class SnapshotStore {
  constructor(private readonly query: InfluxQL, private readonly cfg: Config['processor']['snapshot']) {}

  private where(body: SnapshotBody): string {
    const from = body.time - this.cfg.lookback;
    // A little past the fault too: the collector's last poll may land just after it.
    const to = body.time + 60_000;
    return `${ident(TAG.engineHost)} = ${literal(body.host)} AND ${ident(TAG.containerName)} = ${literal(body.container.name)} AND time >= ${from}ms AND time <= ${to}ms`;
  }

  /**
   * Adds the processes and logs the collector wrote to InfluxDB, where the
   * capture at the fault gave none; a measurement that does not exist (yet)
   * leaves null and a note.
   */
  async enrich(body: SnapshotBody): Promise<void> {
    const where = this.where(body);
    if (this.cfg.processes > 0 && body.processes === null) {
      try {
        const rows = await this.query.rows(
          `SELECT * FROM ${ident(MEASUREMENT.process)} WHERE ${where} ORDER BY time DESC LIMIT ${this.cfg.processes * 4}`,
        );
        if (rows.length) {
          // The latest poll only: every row of it carries the same time.
          const latest = rows[0].time;
          body.processes = rows
            .filter((r) => r.time === latest)
            .sort((a, b) => Number(b[PROCESS_FIELDS.cpuPercent] ?? 0) - Number(a[PROCESS_FIELDS.cpuPercent] ?? 0))
            .slice(0, this.cfg.processes);
          body.sources.processes = 'influxdb';
        } else body.notes.push(`no ${MEASUREMENT.process} points for the container`);
      } catch (e) {
        body.notes.push(`processes not read: ${(e as Error).message}`);
      }
    }
    if (this.cfg.logLines > 0 && body.logs === null) {
      try {
        const rows = await this.query.rows(
          `SELECT ${ident(LOG_FIELDS.message)}, ${ident(TAG.stream)} FROM ${ident(MEASUREMENT.log)} WHERE ${where} AND time <= ${body.time + 1000}ms ORDER BY time DESC LIMIT ${this.cfg.logLines}`,
        );
        if (rows.length) {
          body.logs = rows.reverse().map((r) => ({
            time: Number(r.time),
            stream: String(r[TAG.stream] ?? ''),
            message: String(r[LOG_FIELDS.message] ?? '').slice(0, MAX_LOG_LINE),
          }));
          body.sources.logs = 'influxdb';
        } else body.notes.push(`no ${MEASUREMENT.log} points for the container (logs are read from Docker at die, oom and unhealthy events; collector.logs for other rules)`);
      } catch (e) {
        body.notes.push(`logs not read: ${(e as Error).message}`);
      }
    }
  }

  /** The line that stores the snapshot; the body is trimmed (oldest logs first) to fit a string field. */
  line(body: SnapshotBody): string {
    let json = JSON.stringify(body);
    while (json.length > MAX_BODY && body.logs && body.logs.length > 0) {
      body.logs.splice(0, Math.max(1, body.logs.length >> 2));
      if (!body.notes.includes('logs trimmed to fit')) body.notes.push('logs trimmed to fit');
      json = JSON.stringify(body);
    }
    if (json.length > MAX_BODY) {
      body.samples = {};
      body.processes = body.processes?.slice(0, 5) ?? null;
      body.notes.push('samples left out to fit');
      json = JSON.stringify(body);
    }
    return snapshotLine(body, json);
  }
}
