/** Report figures, periods, CSV, HTML and email (pure), on hand-made data with the expected figures beside it. */
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { computeReport, median, busiest, hourOf, hourProfile, changes, thin, type ReportOptions, type Previous } from '../../processor/reports/figures.js';
import { bucketFor, trendBucketFor } from '../../processor/reports/queries.js';
import { scheduledPeriod } from '../../processor/reports/worker.js';
import { scheduledReportId } from '../../processor/reports/build.js';
import { reportCsv, toCsv, FIGURE_COLUMNS } from '../../processor/reports/csv.js';
import { reportHtml } from '../../processor/reports/html.js';
import { formatBytes, formatDuration, formatPeriod } from '../../processor/reports/format.js';
import type { ContainerData, ReportData } from '../../processor/reports/model.js';
import { reportMail, reportSignature, reportUrl, verifySignature } from '../../alerter/report-mail.js';
import type { ReportMeta } from '../../common/reports.js';

const T = Date.UTC(2026, 10, 28, 6, 0, 0);
const MIN = 60_000;
const MiB = 1024 * 1024;

const container = (host: string, name: string, over: Partial<ContainerData> = {}): ContainerData => ({
  host, container: name,
  cpu: { mean: null, peak: null }, mem: { mean: null, peak: null, limit: null, peakPercent: null }, pids: { mean: null, peak: null, limit: null },
  rx: { bytes: 0, peakRate: null }, tx: { bytes: 0, peakRate: null }, read: { bytes: 0, peakRate: null }, write: { bytes: 0, peakRate: null },
  memSeries: [], pidsSeries: [], restarts: 0, ooms: 0, ...over,
});

/** Two hosts, three containers over an hour of 5-minute buckets; CPU steps up halfway on h1. */
function data(): ReportData {
  const buckets = Array.from({ length: 12 }, (_, i) => T + i * 5 * MIN);
  return {
    from: T, to: T + 60 * MIN, bucketMs: 5 * MIN, source: 'raw',
    inventory: [
      { host: 'h1', container: 'web', image: 'web:2', imageId: 'sha256:w2' },
      { host: 'h1', container: 'db', image: 'db:1', imageId: null },
      { host: 'h2', container: 'cache', image: 'redis:7', imageId: null },
    ],
    images: [{ host: 'h1', image: 'web:2', id: 'sha256:w2' }],
    containers: [
      container('h1', 'web', {
        cpu: { mean: 20, peak: 30 }, mem: { mean: 100 * MiB, peak: 100 * MiB, limit: 1024 * MiB, peakPercent: 100 / 1024 * 100 },
        rx: { bytes: 60_000, peakRate: 1000 / 60 }, tx: { bytes: 120_000, peakRate: 2000 / 60 }, restarts: 2,
      }),
      container('h1', 'db', {
        cpu: { mean: 5, peak: 5 }, mem: { mean: 530 * MiB, peak: 555 * MiB, limit: 1024 * MiB, peakPercent: 555 / 1024 * 100 },
        pids: { mean: 130, peak: 155, limit: 190 },
        // 1 MiB and 1 process more a minute
        memSeries: buckets.map((t, i) => [t, (502 + 5 * i) * MiB]), pidsSeries: buckets.map((t, i) => [t, 102 + 5 * i]),
      }),
      container('h2', 'cache', { cpu: { mean: 50, peak: 50 }, mem: { mean: 900 * MiB, peak: 900 * MiB, limit: 1024 * MiB, peakPercent: 900 / 1024 * 100 }, ooms: 1 }),
    ],
    hostSeries: {
      h1: { cpu: buckets.map((t, i) => [t, i < 6 ? 15 : 35]), mem: buckets.map((t, i) => [t, (602 + 5 * i) * MiB]), rx: buckets.map((t) => [t, 1000 / 60]), tx: buckets.map((t) => [t, 2000 / 60]), read: [], write: [] },
      h2: { cpu: buckets.map((t) => [t, 50]), mem: buckets.map((t) => [t, 900 * MiB]), rx: [], tx: [], read: [], write: [] },
    },
    alerts: [
      { host: 'h1', container: 'db', rule: 'died', status: 'firing', time: T + 10 * MIN, startsAt: T + 10 * MIN },
      { host: 'h1', container: 'db', rule: 'died', status: 'resolved', time: T + 25 * MIN, startsAt: T + 10 * MIN },
      { host: 'h2', container: 'cache', rule: 'oom', status: 'firing', time: T + 20 * MIN, startsAt: T + 20 * MIN },
      { host: 'h2', container: 'cache', rule: 'oom', status: 'resolved', time: T + 50 * MIN, startsAt: T + 20 * MIN },
      // resolved in this period, fired in the previous one
      { host: 'h2', container: 'cache', rule: 'threshold.cpu_percent', status: 'resolved', time: T + 5 * MIN, startsAt: T - 55 * MIN },
    ],
    acks: [{ host: 'h1', container: 'db', rule: 'died', timeToAckS: 120 }],
    recovery: [{ host: 'h2', container: 'cache', outcome: 'ok', recovered: true }, { host: 'h1', container: 'db', outcome: 'failed', recovered: null }],
  };
}

const opts: ReportOptions = {
  id: 'daily-20261128T070000Z', title: 'Shipwatch daily report', kind: 'scheduled', schedule: 'daily', host: null, timezone: 'Europe/Berlin',
  generatedAt: T + 61 * MIN, topN: 2, nearLimit: 0.8, horizon: 90 * 86_400_000,
};
const prev: Previous = {
  from: T - 60 * MIN, to: T, report: 'daily-20261128T060000Z',
  inventory: [
    { host: 'h1', container: 'web', image: 'web:2', imageId: 'sha256:w1' },
    { host: 'h1', container: 'db', image: 'db:1', imageId: null },
    { host: 'h1', container: 'old', image: 'old:1', imageId: null },
  ],
  images: [{ host: 'h1', image: 'web:2', id: 'sha256:w1' }, { host: 'h1', image: 'old:1', id: 'sha256:o1' }],
};

describe('reports', () => {
  describe('periods and buckets', () => {
    it('a scheduled run reports on the time since the schedule\'s previous run, in the report time zone', () => {
      const at = Date.UTC(2026, 10, 29, 5, 0, 0); // 06:00 in Berlin
      expect(scheduledPeriod('0 6 * * *', 'Europe/Berlin', at)).to.deep.equal({ from: at - 86_400_000, to: at });
      // Monday 30 Nov 2026 06:00 Berlin: the week since the Monday before
      const mon = Date.UTC(2026, 10, 30, 5, 0, 0);
      expect(scheduledPeriod('0 6 * * 1', 'Europe/Berlin', mon)).to.deep.equal({ from: mon - 7 * 86_400_000, to: mon });
      expect(scheduledReportId('daily', at)).to.equal('daily-20261129T050000Z');
    });

    it('buckets: at most 300 per period and an hour each, never finer than the rollups; about 48 for trends', () => {
      expect([bucketFor(3_600_000), bucketFor(86_400_000), bucketFor(7 * 86_400_000), bucketFor(30 * 86_400_000)]).to.deep.equal([60_000, 300_000, 3_600_000, 3_600_000]);
      expect(bucketFor(3_600_000, 300_000)).to.equal(300_000);
      expect([trendBucketFor(3_600_000), trendBucketFor(86_400_000), trendBucketFor(7 * 86_400_000)]).to.deep.equal([300_000, 1_800_000, 6 * 3_600_000]);
    });
  });

  describe('figures', () => {
    const r = computeReport(data(), opts, prev);

    it('per container: as the queries gave them, with traffic over the period\'s seconds', () => {
      const web = r.containers.find((c) => c.container === 'web')!;
      expect(web).to.deep.include({ host: 'h1', image: 'web:2', cpu: { mean: 20, peak: 30 }, restarts: 2, ooms: 0 });
      expect(web.rx).to.deep.equal({ bytes: 60_000, meanRate: 60_000 / 3600, peakRate: 1000 / 60 });
      expect(r.containers.map((c) => `${c.host}/${c.container}`)).to.deep.equal(['h1/db', 'h1/web', 'h2/cache']);
    });

    it('per host and fleet: gauges from the summed series, traffic and counts summed', () => {
      expect(r.fleet.containers).to.equal(3);
      // per bucket: 65 for the first half hour, 85 for the second
      expect(r.fleet.cpu).to.deep.equal({ mean: 75, peak: 85 });
      expect(r.fleet.mem.mean).to.equal(((602 + 27.5) + 900) * MiB);
      expect(r.fleet.mem.peak).to.equal((657 + 900) * MiB);
      expect(r.fleet.rx).to.deep.equal({ bytes: 60_000, meanRate: 60_000 / 3600, peakRate: 1000 / 60 });
      expect(r.hosts.map((h) => [h.host, h.containers, h.cpu.mean, h.cpu.peak, h.restarts, h.ooms])).to.deep.equal([['h1', 2, 25, 35, 2, 0], ['h2', 1, 50, 50, 0, 1]]);
    });

    it('alerts fired and resolved with time to resolve, acknowledgements, recovery outcomes', () => {
      expect(r.fleet.alerts).to.deep.equal({
        fired: 2, resolved: 3, resolveMeanS: (900 + 1800 + 3600) / 3, resolveMedianS: 1800, resolveMaxS: 3600, acknowledged: 1, ackMedianS: 120,
      });
      expect(r.fleet.recovery).to.deep.equal({ runs: 2, outcomes: { ok: 1, failed: 1 }, recovered: 1 });
      expect(r.containers.find((c) => c.container === 'db')!.alerts).to.deep.include({ fired: 1, resolved: 1, resolveMedianS: 900 });
    });

    it('busiest hours in the report\'s time zone', () => {
      // 06:00-07:00 UTC is 07:00-08:00 in Berlin (CET)
      expect(r.hours.fleet[7]).to.equal(75);
      expect(r.hours.fleet.filter((v) => v !== null)).to.have.length(1);
      expect(r.hours.busiest).to.deep.equal([7]);
      expect(busiest([1, null, 3, 3, 2, ...Array(19).fill(null)], 3)).to.deep.equal([2, 3, 4]);
    });

    it('top N by each resource', () => {
      expect(r.top.cpu.map((e) => [e.container, e.value])).to.deep.equal([['cache', 50], ['web', 20]]);
      expect(r.top.memory.map((e) => e.container)).to.deep.equal(['cache', 'db']);
      expect(r.top.network.map((e) => [e.container, e.value])).to.deep.equal([['web', 180_000]]);
      expect(r.top.blockIo).to.deep.equal([]);
    });

    it('capacity: peaks within 20 % of a limit, trends, and when a limit is reached', () => {
      expect(r.capacity.nearLimit.map((n) => [n.container, n.resource, n.ratio])).to.deep.equal([['cache', 'memory', 900 / 1024], ['db', 'pids', 155 / 190]]);
      const mem = r.capacity.trends.find((t) => t.resource === 'memory')!;
      // h1's memory rises 1 MiB a minute
      expect(mem.perDay).to.be.closeTo(1440 * MiB, 1e-6);
      expect(r.capacity.trends.find((t) => t.resource === 'block_read')).to.deep.equal({ resource: 'block_read', perDay: null, mean: null });
      // db: 562 MiB at the end, limit 1024 MiB at 1 MiB a minute: 462 minutes; pids 162 → 190: 28 minutes.
      expect(r.capacity.predictions.map((p) => [p.container, p.resource, p.reachesAt - r.to])).to.deep.equal([['db', 'pids', 28 * MIN], ['db', 'memory', 462 * MIN]]);
      expect(r.capacity.predictions[1].value).to.be.closeTo(562 * MiB, 1e-3);
    });

    it('what changed: new, removed and rebuilt containers and images', () => {
      expect(r.changes.previous).to.deep.equal({ from: prev.from, to: prev.to, report: prev.report });
      expect(r.changes.containers).to.deep.equal([
        { change: 'changed', host: 'h1', name: 'web', before: 'web:2 (sha256:w1)', after: 'web:2 (sha256:w2)' },
        { change: 'new', host: 'h2', name: 'cache', before: null, after: 'redis:7' },
        { change: 'removed', host: 'h1', name: 'old', before: 'old:1', after: null },
      ]);
      expect(r.changes.images).to.deep.equal([
        { change: 'changed', host: 'h1', name: 'web:2', before: 'sha256:w1', after: 'sha256:w2' },
        { change: 'removed', host: 'h1', name: 'old:1', before: 'sha256:o1', after: null },
      ]);
      expect(changes({ inventory: [], images: [] }, { inventory: [], images: [] })).to.deep.equal({ containers: [], images: [] });
    });

    it('an empty period is empty', () => {
      const e = computeReport({ ...data(), inventory: [], images: [], containers: [], hostSeries: {}, alerts: [], acks: [], recovery: [] }, opts, prev);
      expect(e.empty).to.equal(true);
      expect(e.fleet.cpu).to.deep.equal({ mean: null, peak: null });
      expect(reportHtml(e, [])).to.contain('No container data in this period: Shipwatch recorded no container between 2026-11-28 07:00 and 2026-11-28 08:00. Nothing to report.');
    });

    it('helpers: median, hour of day across a DST change, thinning keeps a line a line', () => {
      expect([median([]), median([3, 1, 2]), median([4, 1, 3, 2])]).to.deep.equal([null, 2, 2.5]);
      const h = hourOf('Europe/Berlin');
      expect([h(Date.UTC(2026, 2, 29, 0, 30)), h(Date.UTC(2026, 2, 29, 1, 30))]).to.deep.equal([1, 3]);
      expect(hourProfile([[Date.UTC(2026, 0, 1, 5), 2], [Date.UTC(2026, 0, 2, 5), 4]], hourOf('UTC'))[5]).to.equal(3);
      const line = Array.from({ length: 100 }, (_, i) => [i * 1000, 2 * i] as [number, number]);
      for (const [t, v] of thin(line, 48)) expect(v).to.be.closeTo(t / 500, 1e-9);
    });
  });

  describe('CSV, HTML and email', () => {
    const r = computeReport(data(), opts, prev);
    const files = reportCsv(r);

    it('CSV cells are quoted where needed and numbers are exact', () => {
      expect(toCsv(['a', 'b'], [['x,y', 'say "hi"'], [0.1 + 0.2, null], [' pad', true]])).to.equal('a,b\r\n"x,y","say ""hi"""\r\n0.30000000000000004,\r\n" pad",true\r\n');
    });

    it('containers.csv and summary.csv parse back to the same figures', () => {
      const rows = parse(files['containers.csv'], { columns: true }) as Array<Record<string, string>>;
      expect(rows).to.have.length(3);
      for (const c of r.containers) {
        const row = rows.find((x) => x.host === c.host && x.container === c.container)!;
        expect(row.image).to.equal(c.image);
        for (const [name, get] of FIGURE_COLUMNS) {
          const v = get(c);
          expect(row[name], `${c.container} ${name}`).to.equal(v === null || v === undefined ? '' : String(v));
        }
      }
      const web = rows.find((x) => x.container === 'web')!;
      expect(Number(web.network_rx_mean_bytes_per_s)).to.equal(60_000 / 3600);
      expect(Number(web.memory_peak_percent_of_limit)).to.equal(100 / 1024 * 100);
      const summary = parse(files['summary.csv'], { columns: true }) as Array<Record<string, string>>;
      expect(summary.map((s) => [s.scope, s.host, Number(s.cpu_mean_percent), Number(s.alerts_fired), Number(s.time_to_resolve_mean_s)])).to.deep.equal([
        ['fleet', '', 75, 2, 2100], ['host', 'h1', 25, 1, 900], ['host', 'h2', 50, 1, 2700],
      ]);
      const pred = parse(files['predictions.csv'], { columns: true }) as Array<Record<string, string>>;
      expect(pred.map((p) => p.reaches_at)).to.deep.equal([new Date(r.to + 28 * MIN).toISOString(), new Date(r.to + 462 * MIN).toISOString()]);
      expect((parse(files['hours.csv'], { columns: true }) as unknown[]).length).to.equal(24 * 3);
    });

    it('the HTML escapes what containers are called and points at the charts by Content-ID', () => {
      const evil = computeReport({ ...data(), inventory: [{ host: 'h1', container: '<script>x</script>', image: 'a"b', imageId: null }] }, opts, prev);
      const html = reportHtml(evil, [{ name: 'cpu.png', title: 'CPU', png: Buffer.from('x') }]);
      expect(html).to.not.contain('<script>');
      expect(html).to.contain('&lt;script&gt;x&lt;/script&gt;');
      expect(html).to.contain('<img src="cid:cpu.png"');
      expect(reportHtml(r, [])).to.contain('Peaks within 20 % of a limit');
    });

    it('the email: report as the body, charts inline, CSV attached; a signed link opens only its report', () => {
      const meta: ReportMeta = {
        v: 1, id: r.id, title: r.title, period: formatPeriod(r.from, r.to, r.timezone), kind: 'scheduled', schedule: 'daily', from: r.from, to: r.to, host: null,
        timezone: r.timezone, createdAt: 1, empty: false, summary: 'sum',
        files: [{ name: 'report.html', type: 'text/html', bytes: 1 }, { name: 'cpu.png', type: 'image/png', bytes: 1 }, { name: 'summary.csv', type: 'text/csv', bytes: 1 }, { name: 'report.json', type: 'application/json', bytes: 1 }],
      };
      const files2 = new Map([['report.html', Buffer.from('<h1>t</h1><img src="cid:cpu.png">')], ['cpu.png', Buffer.from('png')], ['summary.csv', Buffer.from('a\r\n')], ['report.json', Buffer.from('{}')]]);
      const url = reportUrl('http://a.example:9095/', 'tok', r.id);
      expect(url).to.equal(`http://a.example:9095/api/reports/${r.id}/report.html?sig=${reportSignature('tok', r.id)}`);
      const m = reportMail(meta, files2, url);
      expect(m.subject).to.equal('[REPORT] Shipwatch daily report, 2026-11-28 07:00 to 2026-11-28 08:00 (Europe/Berlin)');
      expect(m.attachments.map((a) => [a.filename, a.cid])).to.deep.equal([['cpu.png', 'cpu.png'], ['summary.csv', undefined]]);
      expect(m.html).to.contain(`<a href="${url}">Read it online</a>`);
      expect(reportMail({ ...meta, empty: true }, files2, '').subject).to.match(/\(no data\)$/);
      expect(verifySignature('tok', r.id, reportSignature('tok', r.id))).to.equal(true);
      expect(verifySignature('tok', 'other', reportSignature('tok', r.id))).to.equal(false);
      expect(verifySignature('', r.id, reportSignature('', r.id))).to.equal(false);
      expect(reportUrl('http://a', '', r.id)).to.equal('');
    });

    it('formats sizes and durations for people', () => {
      expect([formatBytes(512), formatBytes(1536), formatBytes(555 * MiB), formatBytes(null)]).to.deep.equal(['512 B', '1.5 KiB', '555.0 MiB', '–']);
      expect([formatDuration(30), formatDuration(900), formatDuration(9000), formatDuration(3 * 86_400)]).to.deep.equal(['30 s', '15 min', '2.5 h', '3.0 d']);
    });
  });
});
