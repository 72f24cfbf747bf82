import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fromApiStats, fromCgroupV2, parseProcStatSystem, type ApiStats, type HostFacts } from '../../collector/stats.js';
import { fromInspect, type ContainerMeta } from '../../collector/container.js';
import { ExpositionRenderer, sanitizeLabelName, formatValue } from '../../collector/prometheus/exposition.js';
import { PROM_METRIC } from '../../common/schema.js';
import { LatestSamples } from '../../collector/prometheus/server.js';
import { ROOT } from '../helpers/paths.js';

const dir = path.join(ROOT, 'test/fixtures/stats');
const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
const host: HostFacts = { system: parseProcStatSystem(read('cgroup1/proc-stat')), onlineCpus: 2, memTotal: 25276510208, clockTicks: 100 };

/** A second container on a cgroup v2 host, with a compose label, a health check and a CPU quota. */
function v2Container(): { meta: ContainerMeta; sample: ReturnType<typeof fromCgroupV2> } {
  const meta: ContainerMeta = {
    ...fromInspect(JSON.parse(read('inspect-fx.json'))[0]),
    id: 'c2'.repeat(32),
    name: 'web-1',
    image: 'registry:5000/web:2.1',
    labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' },
    health: { status: 'healthy', failingStreak: 0 },
    startedAt: Date.parse('2026-11-25T12:00:00.500Z'),
    memLimit: 268435456,
  };
  const sample = fromCgroupV2({
    cpuStat: read('cgroup2/cpu.stat'), memCurrent: read('cgroup2/memory.current'), memMax: read('cgroup2/memory.max'),
    memStat: read('cgroup2/memory.stat'), ioStat: read('cgroup2/io.stat'), pidsCurrent: read('cgroup2/pids.current'),
    pidsMax: read('cgroup2/pids.max'),
  }, host, Date.parse('2026-11-25T12:30:00.250Z'), {
    eth0: { rx_bytes: 1000, rx_packets: 10, rx_errors: 0, rx_dropped: 1, tx_bytes: 2000, tx_packets: 20, tx_errors: 0, tx_dropped: 0 },
    eth1: { rx_bytes: 5, rx_packets: 1, rx_errors: 0, rx_dropped: 0, tx_bytes: 6, tx_packets: 1, tx_errors: 0, tx_dropped: 0 },
  });
  sample.cgroup = `/system.slice/docker-${meta.id}.scope`;
  return { meta, sample };
}

describe('Prometheus exposition (cAdvisor names)', () => {
  it('renders the recorded Docker answer as the expected exposition', () => {
    const meta = fromInspect(JSON.parse(read('inspect-fx.json'))[0]);
    const sample = fromApiStats(JSON.parse(read('api-stats-cgroup1.json')) as ApiStats);
    expect(new ExpositionRenderer([]).render([{ meta, sample }])).to.equal(read('api-stats-cgroup1.prom'));
  });

  it('renders two containers, one on cgroup v2 with labels, health, quota and two interfaces, family by family', () => {
    const meta = fromInspect(JSON.parse(read('inspect-fx.json'))[0]);
    const sample = fromApiStats(JSON.parse(read('api-stats-cgroup1.json')) as ApiStats);
    const r = new ExpositionRenderer(['com.docker.compose.project', 'com.docker.compose.service', 'absent.label']);
    const text = r.render([{ meta, sample, processes: 1 }, v2Container()]);
    expect(text).to.equal(read('two-containers.prom'));
    // Every family appears once, its HELP and TYPE before its samples.
    const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
    expect(new Set(families).size).to.equal(families.length);
    for (const f of families) {
      const lines = text.split('\n').filter((l) => l.startsWith(f + '{'));
      const at = text.indexOf(`# TYPE ${f} `);
      for (const l of lines) expect(text.indexOf(l)).to.be.greaterThan(at);
    }
  });

  it('takes the values a cAdvisor user expects: seconds, raw usage, working set, v2 anon and file, limit 0 when none', () => {
    const { meta, sample } = v2Container();
    const text = new ExpositionRenderer([]).render([{ meta: { ...meta, memLimit: 0 }, sample }]);
    const value = (name: string, extra = '') => Number(new RegExp(`^${name}\\{[^}]*${extra}[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value(PROM_METRIC.cpuUsage.name, 'cpu="total"')).to.equal(8.123456);
    expect(value(PROM_METRIC.cfsThrottledSeconds.name)).to.equal(0.35);
    expect(value(PROM_METRIC.memUsage.name)).to.equal(104857600);
    expect(value(PROM_METRIC.memWorkingSet.name)).to.equal(104857600 - 31457280);
    expect(value(PROM_METRIC.memRss.name)).to.equal(62914560);
    expect(value(PROM_METRIC.memCache.name)).to.equal(41943040);
    expect(value(PROM_METRIC.memLimit.name)).to.equal(0);
    expect(value(PROM_METRIC.threadsMax.name)).to.equal(0);
    expect(value(PROM_METRIC.healthState.name)).to.equal(1);
    expect(value(PROM_METRIC.netRxDropped.name, 'interface="eth0"')).to.equal(1);
  });

  it('escapes label values, sanitizes label names as cAdvisor does and leaves out empty labels', () => {
    const { meta, sample } = v2Container();
    const odd = { ...meta, name: 'a"b\\c\nd', labels: { 'com.example/x-y': 'v"1', 'com.example.x.y': 'second', empty: '' } };
    const text = new ExpositionRenderer(['com.example/x-y', 'com.example.x.y', 'empty']).render([{ meta: odd, sample }]);
    expect(sanitizeLabelName('com.docker.compose.project')).to.equal('com_docker_compose_project');
    expect(text).to.contain('name="a\\"b\\\\c\\nd"');
    // Two labels that sanitize alike: the first configured wins.
    expect(text).to.contain('container_label_com_example_x_y="v\\"1"');
    expect(text).to.not.contain('="second"');
    expect(text).to.not.contain('container_label_empty');
  });

  it('writes nothing for no containers, and Go-style special floats', () => {
    expect(new ExpositionRenderer([]).render([])).to.equal('');
    expect([formatValue(NaN), formatValue(Infinity), formatValue(-Infinity), formatValue(1e-9)]).to.deep.equal(['NaN', '+Inf', '-Inf', '1e-9']);
  });

  it('serves the last cycle, and drops a container at its die event until a cycle reads it alive again', () => {
    const { meta, sample } = v2Container();
    const latest = new LatestSamples([]);
    const cycle = (readAt: number) => ({ time: readAt, host: 'h', containers: [{ meta, sample: { ...sample, readAt } }] });
    latest.cycle(cycle(1000));
    expect(latest.exposition()).to.contain('name="web-1"');
    latest.ended(meta.id, 1500);
    expect(latest.exposition()).to.not.contain('name="web-1"');
    // A cycle that read the container before it died does not bring it back...
    latest.cycle(cycle(1400));
    expect(latest.exposition()).to.equal('');
    // ...one that read it after (it was started again) does.
    latest.cycle(cycle(2000));
    expect(latest.exposition()).to.contain('name="web-1"');
  });
});
