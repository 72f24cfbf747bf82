/**
 * Faults the collector must ride out: InfluxDB down or restarting, a full
 * write buffer, Docker unreachable, a broken configuration.
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { services, docker, testConfig, runContainer, cleanup, uniqueRun, ROOT } from '../helpers/services.js';
import { createLogger } from '../../common/log.js';
import { parseConfig } from '../../common/config.js';
import { InfluxWriter } from '../../common/influx/writer.js';
import { InfluxQL } from '../../common/influx/query.js';
import { createDocker } from '../../common/docker.js';
import { Collector } from '../../collector/collector.js';
import { ApiStatsSource } from '../../collector/sources/api.js';
import { ContainerRegistry } from '../../collector/registry.js';

// A port of its own beside the shared influxd (SHIPWATCH_INFLUX_PORT + 10000 by default).
const PORT = Number(process.env.SHIPWATCH_PRIVATE_INFLUX_PORT ?? Number(process.env.SHIPWATCH_INFLUX_PORT ?? 8086) + 10_000);
const silent = createLogger('test', 'silent');

describe('faults', function () {
  this.timeout(180_000);

  describe('InfluxDB down or restarting (a private influxd)', () => {
    const runDir = mkdtempSync(path.join(tmpdir(), 'shipwatch-influx-'));
    const env = { ...process.env, SHIPWATCH_RUN_DIR: runDir, SHIPWATCH_INFLUX_PORT: String(PORT) };
    const influxd = (cmd: 'start' | 'stop') =>
      execFileSync(path.join(ROOT, 'scripts/services.sh'), [cmd, 'influxdb'], { env, stdio: ['ignore', 'ignore', 'ignore'] });
    const cfg = parseConfig({ influx: { url: `http://127.0.0.1:${PORT}`, bucket: 'faults', flushInterval: '100ms', maxBufferLines: 1000, timeout: '30s' } });
    const q = new InfluxQL(cfg.influx);
    const lines = (from: number, count: number, t0: number) =>
      Array.from({ length: count }, (_, i) => `fault,series=s${(from + i) % 10} n=${from + i}i ${t0 + from + i}000000`);
    /** Flushes until the writer's counters say so; the client's retry timer is not an event to await. */
    const until = async (done: () => boolean, w: InfluxWriter) => {
      const deadline = Date.now() + 90_000;
      while (!done() && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        await w.flush();
      }
    };
    const count = async () => (await q.rows('SELECT count("n") AS c FROM "fault"'))[0]?.c ?? 0;

    before(() => services());
    after(() => {
      influxd('stop');
      rmSync(runDir, { recursive: true, force: true });
    });

    it('buffers points while InfluxDB is unreachable and writes them all once it is back', async () => {
      const w = new InfluxWriter(cfg.influx, silent);
      const t0 = Date.now() - 60_000;
      w.write(lines(0, 500, t0)); // nobody listens yet: the server is not even detected
      expect(await w.flush()).to.equal(false);
      expect(w.counters.pending).to.equal(500);
      influxd('start');
      await w.ensureDatabase();
      await until(() => w.counters.written >= 500, w);
      expect(w.counters).to.include({ written: 500, rejected: 0 });

      influxd('stop'); // restart mid-stream: writes fail and go to the retry buffer
      w.write(lines(500, 400, t0));
      expect(await w.flush()).to.equal(false);
      influxd('start');
      await until(() => w.counters.written >= 900, w);
      expect(w.counters).to.include({ written: 900, dropped: 0, rejected: 0 });
      expect(await count()).to.equal(900);
      await w.close();
    });

    it('drops the oldest points beyond the buffer, counts them, and writes the rest', async () => {
      influxd('stop');
      const w = new InfluxWriter({ ...cfg.influx, apiVersion: 'v1', bucket: 'faults2' }, silent);
      const t0 = Date.now() - 30_000;
      for (let i = 0; i < 3; i++) {
        w.write(lines(i * 1000, 1000, t0));
        await w.flush();
      }
      expect(w.counters.dropped).to.be.greaterThan(0);
      // Back empty: the writer creates the database itself when a write finds it missing.
      influxd('start');
      await until(() => w.counters.written + w.counters.dropped >= 3000, w);
      expect(w.counters.written + w.counters.dropped).to.equal(3000);
      expect(w.counters.written).to.be.at.most(1000);
      expect(w.counters.rejected).to.equal(0);
      await w.close();
    });
  });

  it('keeps cycling while Docker is unreachable and resumes by itself', async () => {
    const e = services();
    const dir = mkdtempSync(path.join(tmpdir(), 'shipwatch-sock-'));
    const sock = path.join(dir, 'docker.sock');
    const d = createDocker(testConfig('unused', { 'docker.socketPath': sock }).docker);
    const lines: string[][] = [];
    const sink = { write: (l: string[]) => void lines.push(l), flush: async () => true };
    const opts = { labelTags: [], includeStopped: true, inspectEvery: 60_000 };
    const c = new Collector({
      registry: new ContainerRegistry(d, opts), source: new ApiStatsSource(d, { concurrency: 256, timeout: 30_000 }), sink,
      engine: { host: 'h', serverVersion: 'v' }, opts, log: silent,
    });
    const run = uniqueRun('unreachable');
    const real = docker();
    try {
      await runContainer(real, run, { name: `${run}-x`, cmd: ['sh', '-c', 'while :; do sleep 3600; done'] });
      expect(await c.cycle(Date.now())).to.equal(undefined); // no socket: skipped, no throw
      expect(await c.cycle(Date.now())).to.equal(undefined);
      symlinkSync(e.dockerHost.replace(/^unix:\/\//, ''), sock); // Docker "comes back"
      const r = await c.cycle(Date.now());
      expect(r?.containers).to.be.greaterThan(0);
      expect(lines.flat().some((l) => l.includes(`container_name=${run}-x`))).to.equal(true);
    } finally {
      await cleanup(real, run);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits non-zero on a broken configuration, naming the key', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'collector/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, SHIPWATCH_COLLECTOR_INTERVAL: 'often', SHIPWATCH_INFLUX_URL: 'nope' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain('collector.interval: not a duration');
    expect(r.stderr).to.contain('influx.url');
  });
});
