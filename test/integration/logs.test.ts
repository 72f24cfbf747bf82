/**
 * Container logs against the real dockerd and influxd: lines of stdout, stderr
 * and TTY containers with their level; pattern counts; the rate limit and what
 * it drops; a restart of the collector in the middle of a log; text that line
 * protocol must escape, and multi-byte text, read back unchanged.
 */
import { expect } from 'chai';
import type Docker from 'dockerode';
import { services, docker, testConfig, freshDatabase, runContainer, cleanup, uniqueRun, eventually, TEST_LABEL } from '../helpers/services.js';
import { createLogger } from '../../common/log.js';
import { literal, type InfluxQL } from '../../common/influx/query.js';
import { startCollectorParts, type RunningCollector } from '../../collector/service.js';
import { MEASUREMENT } from '../../common/schema.js';

const LONG = '한😀'.repeat(1000);
const ODD = 'quote " back\\slash, comma = equals 한국어 😀 trailing\\';

describe('container logs (real dockerd and influxd)', function () {
  this.timeout(240_000);
  const run = uniqueRun('logs');
  const n = (s: string) => `${run}-${s}`;
  const labels = { 'test.shipwatch.logs': run };
  let d: Docker;
  const cfg = (db: string, over: Record<string, unknown> = {}) =>
    testConfig(db, {
      'collector.interval': '1s',
      'collector.events.enabled': false,
      'collector.processes.enabled': false,
      'collector.disk.enabled': false,
      'collector.images.enabled': false,
      'collector.logs.enabled': true,
      // Only this run's containers: the dockerd is shared.
      'collector.logs.labels': [`test.shipwatch.logs=${run}`],
      ...over,
    });
  const start = async (db: string, over: Record<string, unknown> = {}) => startCollectorParts(cfg(db, over), createLogger('test', 'silent'));
  const linesOf = async (q: InfluxQL, name: string) =>
    q.rows(`SELECT "message", "level", "stream", "container_id" FROM "${MEASUREMENT.log}" WHERE "container_name" = ${literal(name)} ORDER BY time`);
  const sumOf = async (q: InfluxQL, m: string, field: string, name: string, extra = '') =>
    ((await q.rows(`SELECT sum("${field}") AS v FROM "${m}" WHERE "container_name" = ${literal(name)} ${extra}`))[0]?.v as number) ?? 0;

  before(() => {
    services();
    d = docker();
  });

  after(async () => {
    await cleanup(d, run);
  });

  describe('lines, levels, counts', () => {
    const DB = 'test_collector_logs';
    let q: InfluxQL;
    let c: RunningCollector;

    before(async () => {
      q = await freshDatabase(DB);
      c = await start(DB);
    });

    after(async () => {
      await c?.stop();
    });

    it('stdout and stderr lines with level, error counts, odd and multi-byte text intact, the last line without newline', async () => {
      const name = n('printer');
      const script = [
        'echo "hello 안녕하세요 😀"',
        'echo "ERROR something failed"',
        'echo "level=warn msg=careful"',
        'echo "plain stderr line" >&2',
        'echo "[error] lower-case error on stderr" >&2',
        'printf "%s\\n" "$ODD"',
        'printf "%s\\n" "$LONG"',
        'echo "NullPointerException at x"',
        'printf "last line without newline"',
      ].join('; ');
      const ctr = await d.createContainer({
        name, Image: services().testImage, Labels: { [TEST_LABEL]: run, ...labels },
        Env: [`ODD=${ODD}`, `LONG=${LONG}`], Cmd: ['sh', '-c', script],
      });
      await ctr.start();
      const rows = await eventually(async () => {
        const r = await linesOf(q, name);
        return r.some((x) => x.message === 'last line without newline') ? r : undefined;
      });
      const out = rows.filter((r) => r.stream === 'stdout').map((r) => [r.message, r.level]);
      expect(out).to.deep.equal([
        ['hello 안녕하세요 😀', 'unknown'],
        ['ERROR something failed', 'error'],
        ['level=warn msg=careful', 'warn'],
        [ODD, 'unknown'],
        [LONG, 'unknown'],
        ['NullPointerException at x', 'unknown'],
        ['last line without newline', 'unknown'],
      ]);
      const err = rows.filter((r) => r.stream === 'stderr').map((r) => [r.message, r.level]);
      expect(err).to.deep.equal([['plain stderr line', 'unknown'], ['[error] lower-case error on stderr', 'error']]);
      expect(rows[0].container_id).to.equal(ctr.id);
      // Pattern counts per interval: 2 lines hold "error" (any case), 1 "exception".
      await eventually(async () => (await sumOf(q, MEASUREMENT.logMatches, 'count', name, `AND "pattern" = 'error'`)) === 2);
      expect(await sumOf(q, MEASUREMENT.logMatches, 'count', name, `AND "pattern" = 'exception'`)).to.equal(1);
      expect(await sumOf(q, MEASUREMENT.logMatches, 'count', name, `AND "pattern" = 'panic'`)).to.equal(0);
      await eventually(async () => (await sumOf(q, MEASUREMENT.logStats, 'lines', name)) === 9);
      expect(await sumOf(q, MEASUREMENT.logStats, 'dropped', name)).to.equal(0);
    });

    it('a TTY container: raw stream, stream=tty, no carriage returns', async () => {
      const name = n('tty');
      await runContainer(d, run, { name, tty: true, labels, cmd: ['sh', '-c', 'echo "tty line 한국어 😀"; echo "WARN on a terminal"; sleep 3600'] });
      const rows = await eventually(async () => {
        const r = await linesOf(q, name);
        return r.length >= 2 ? r : undefined;
      });
      expect(rows.map((r) => [r.stream, r.message, r.level])).to.deep.equal([
        ['tty', 'tty line 한국어 😀', 'unknown'],
        ['tty', 'WARN on a terminal', 'warn'],
      ]);
    });

    it('a restarted container is read on from where it stopped', async () => {
      const name = n('again');
      const ctr = await runContainer(d, run, { name, labels, cmd: ['sh', '-c', 'echo "run at $(date +%s%N)"'] });
      await eventually(async () => (await linesOf(q, name)).length === 1);
      await ctr.wait();
      await ctr.start();
      await eventually(async () => (await linesOf(q, name)).length === 2);
      await ctr.wait();
      // Read a while more: nothing is written twice.
      await eventually(async () => (await sumOf(q, MEASUREMENT.logStats, 'lines', name)) === 2);
      expect(await linesOf(q, name)).to.have.length(2);
    });

    it('containers the selection leaves out are not read', async () => {
      const name = n('unselected');
      const other = await runContainer(d, run, { name, cmd: ['sh', '-c', 'echo "not for us"; sleep 3600'] });
      // A selected container started after it: once its line is in, the other one had its chance.
      const marker = n('marker');
      await runContainer(d, run, { name: marker, labels, cmd: ['sh', '-c', 'echo marker; sleep 3600'] });
      await eventually(async () => (await linesOf(q, marker)).length === 1);
      await eventually(async () => c.parts.logs!.open.includes((await d.getContainer(marker).inspect()).Id));
      expect(c.parts.logs!.open).not.to.include(other.id);
      expect(await linesOf(q, name)).to.have.length(0);
    });
  });

  describe('rate limit', () => {
    const DB = 'test_collector_logs_rate';
    let q: InfluxQL;
    let c: RunningCollector;

    before(async () => {
      q = await freshDatabase(DB);
      c = await start(DB, { 'collector.logs.rateLimit': 20, 'collector.logs.burst': 50 });
    });

    after(async () => {
      await c?.stop();
    });

    it('a flood is cut to the rate; what is dropped is counted and written; matches count every line', async () => {
      const name = n('flood');
      await runContainer(d, run, { name, labels, cmd: ['sh', '-c', 'i=0; while [ $i -lt 3000 ]; do echo "error line $i"; i=$((i+1)); done; echo done'] });
      await eventually(async () => (await sumOf(q, MEASUREMENT.logStats, 'lines', name)) === 3001, 60_000);
      const written = await sumOf(q, MEASUREMENT.logStats, 'written', name);
      const dropped = await sumOf(q, MEASUREMENT.logStats, 'dropped', name);
      expect(written + dropped).to.equal(3001);
      expect(dropped).to.be.above(2000);
      // The burst, plus the rate for the (short) time the flood lasted.
      expect(written).to.be.at.least(50).and.below(1000);
      const stored = (await q.rows(`SELECT count("message") AS v FROM "${MEASUREMENT.log}" WHERE "container_name" = ${literal(name)}`))[0].v;
      expect(stored).to.equal(written);
      expect(await sumOf(q, MEASUREMENT.logMatches, 'count', name, `AND "pattern" = 'error'`)).to.equal(3000);
    });
  });

  describe('collector restart', () => {
    const DB = 'test_collector_logs_resume';
    let q: InfluxQL;
    let c: RunningCollector | undefined;

    before(async () => {
      q = await freshDatabase(DB);
    });

    after(async () => {
      await c?.stop();
    });

    it('resumes after the last line written: none lost, none twice', async () => {
      const name = n('counter');
      const total = 200;
      c = await start(DB);
      await runContainer(d, run, { name, labels, cmd: ['sh', '-c', `i=1; while [ $i -le ${total} ]; do echo "line $i"; i=$((i+1)); sleep 0.02; done`] });
      await eventually(async () => (await linesOf(q, name)).length >= 20);
      await c.stop();
      c = undefined;
      const atStop = (await linesOf(q, name)).length;
      // Lines go on while the collector is down.
      await eventually(async () => {
        const r = await d.getContainer(name).logs({ stdout: true, tail: 1 });
        return Number(/line (\d+)/.exec(r.toString('latin1'))?.[1]) > atStop + 20;
      });
      c = await start(DB);
      const rows = await eventually(async () => {
        const r = await linesOf(q, name);
        return r.some((x) => x.message === `line ${total}`) ? r : undefined;
      }, 60_000);
      expect(rows.map((r) => r.message)).to.deep.equal(Array.from({ length: total }, (_, i) => `line ${i + 1}`));
      // Docker's since is inclusive: the last line written came back and was left out.
      expect(c.parts.logs!.stats.replayed).to.be.at.least(1);
    });
  });
});
