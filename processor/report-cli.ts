/**
 * npm run report -- --from <time> --to <time> [--host <name>] [--out DIR] [--config FILE]
 *
 * Makes a report for any range straight from InfluxDB, as the processors do,
 * without Redis. Times: RFC 3339 (2026-11-28T06:00:00Z), a date (2026-11-28,
 * midnight UTC), ms since epoch, or now. With --out the HTML (its charts as
 * files beside it), the CSV files and report.json are written to DIR;
 * otherwise the summary is printed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../common/config.js';
import { ConfigError } from '../common/errors.js';
import { InfluxQL } from '../common/influx/query.js';
import { REPORT_HTML } from '../common/reports.js';
import { buildReport } from './reports/build.js';

function time(name: string, v: string | undefined, now: number): number {
  if (v === undefined) throw new ConfigError(`--${name} is required`);
  if (v === 'now') return now;
  if (/^\d+$/.test(v)) return Number(v);
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  if (!Number.isFinite(t)) throw new ConfigError(`--${name}: not a time: "${v}" (use e.g. 2026-11-28T06:00:00Z, 2026-11-28, ms since epoch or now)`);
  return t;
}

async function main(): Promise<number> {
  const now = Date.now();
  let args;
  try {
    args = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' }, host: { type: 'string' }, out: { type: 'string' }, config: { type: 'string' } } }).values;
  } catch (e) {
    process.stderr.write(`report: ${(e as Error).message}\n`);
    return 2;
  }
  let cfg;
  let from: number;
  let to: number;
  try {
    cfg = loadConfig({ file: args.config });
    from = time('from', args.from, now);
    to = time('to', args.to, now);
    if (to <= from) throw new ConfigError('--to must be after --from');
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`report: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const stamp = (t: number) => new Date(t).toISOString().replace(/[-:]|\.\d+/g, '');
  const built = await buildReport({ influx: new InfluxQL(cfg.influx), cfg, now }, {
    id: `cli-${stamp(from)}-${stamp(to)}`, kind: 'on-demand', schedule: null, range: { from, to, host: args.host ?? null },
  });
  process.stdout.write(`${built.meta.title}, ${built.meta.period}\n${built.meta.summary}\n`);
  if (args.out) {
    mkdirSync(args.out, { recursive: true });
    for (const f of built.files) {
      // Charts are files beside the page here, not message parts.
      const data = f.name === REPORT_HTML ? Buffer.from(f.data.toString().replace(/src="cid:([a-z0-9-]+\.png)"/g, 'src="$1"')) : f.data;
      writeFileSync(path.join(args.out, f.name), data);
    }
    process.stdout.write(`${built.files.length} files in ${path.resolve(args.out)}: ${built.files.map((f) => f.name).join(', ')}\n`);
  }
  return 0;
}

main().then((code) => process.exit(code), (e) => {
  process.stderr.write(`report: ${(e as Error).message}\n`);
  process.exit(1);
});
