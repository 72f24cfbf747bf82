import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fromApiStats, derive, type ApiStats } from '../../collector/stats.js';
import { fromInspect, parseImage, formatPorts, type ContainerMeta } from '../../collector/container.js';
import { ContainerSeries, statsLines, stateLines, removedLines } from '../../collector/points.js';
import { ROOT } from '../helpers/paths.js';

const dir = path.join(ROOT, 'test/fixtures/stats');
const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
const engine = { host: 'vm', serverVersion: '20.10.24+dfsg1' };

describe('line protocol for containers', () => {
  it('writes the recorded Docker answer as the expected Telegraf-shaped lines', () => {
    const meta = fromInspect(JSON.parse(read('inspect-fx.json'))[0]);
    const s = fromApiStats(JSON.parse(read('api-stats-cgroup1.json')) as ApiStats);
    const series = new ContainerSeries(meta, engine, []);
    const out: string[] = [];
    const t = Date.parse('2026-11-25T12:30:00Z');
    statsLines(series, s, derive(s, { total: s.cpu.total - 5e8, system: s.cpu.system - 2e9 }), t, out);
    stateLines(series, t, out);
    expect(out.join('\n') + '\n').to.equal(read('api-stats-cgroup1.lines'));
  });

  it('uses Telegraf tag keys on every container measurement, and the container ID on status and info', () => {
    const lines = read('api-stats-cgroup1.lines').trim().split('\n');
    for (const l of lines) {
      for (const tag of ['container_image=', 'container_name=', 'container_status=', 'container_version=', 'engine_host=', 'server_version=']) {
        expect(l.split(' ')[0]).to.contain(tag);
      }
    }
    for (const l of lines.filter((x) => /^docker_container_(status|info),/.test(x))) expect(l).to.match(/container_id="[0-9a-f]{64}"/);
  });

  const meta = (over: Partial<ContainerMeta>): ContainerMeta => ({
    id: 'a'.repeat(64), name: 'n', image: 'img:1', imageId: 'sha256:x', state: 'running', created: 0, labels: {}, ips: [],
    networks: [], ports: '', command: '', networkMode: 'bridge', pid: 1, exitCode: 0, oomKilled: false, restartCount: 0,
    startedAt: 1000, finishedAt: 0, hasHealthcheck: false, tty: false, ...over,
  });

  it('escapes names and labels with spaces, commas and equals signs, and flattens newlines in tags', () => {
    const s = new ContainerSeries(meta({ name: 'a b,c=d', labels: { 'com.docker.compose.project': 'x\ny' } }), engine, ['com.docker.compose.project']);
    expect(s.status).to.contain('container_name=a\\ b\\,c\\=d');
    expect(s.status).to.contain('com.docker.compose.project=x\\ y');
    expect(s.status.indexOf('com.docker')).to.be.lessThan(s.status.indexOf('container_image'));
  });

  it('writes health only for containers with a healthcheck, and uptime of a stopped container as run time', () => {
    const out: string[] = [];
    stateLines(new ContainerSeries(meta({ state: 'exited', startedAt: 1000, finishedAt: 4000, exitCode: 3 }), engine, []), 10_000, out);
    expect(out.filter((l) => l.startsWith('docker_container_health'))).to.have.length(0);
    const status = out.find((l) => l.startsWith('docker_container_status'))!;
    expect(status).to.contain('container_status=exited');
    expect(status).to.contain('exitcode=3i');
    expect(status).to.contain('uptime_ns=3000000000i');
    const h: string[] = [];
    stateLines(new ContainerSeries(meta({ health: { status: 'unhealthy', failingStreak: 4 } }), engine, []), 10_000, h);
    expect(h.find((l) => l.startsWith('docker_container_health'))).to.contain('health_status="unhealthy",failing_streak=4i');
  });

  it('marks a removed container with container_status=removed', () => {
    const out: string[] = [];
    removedLines(new ContainerSeries(meta({ state: 'exited', exitCode: 137 }), engine, []), engine, [], 5000, out);
    expect(out[0]).to.match(/^docker_container_status,.*container_status=removed.* .*exitcode=137i/);
    expect(out[1]).to.contain('removed=true');
  });

  it('leaves CPU % out on the first sample', () => {
    const s = fromApiStats(JSON.parse(read('api-stats-cgroup1.json')) as ApiStats);
    const out: string[] = [];
    statsLines(new ContainerSeries(meta({}), engine, []), s, derive(s, undefined), 0, out);
    expect(out[0]).to.not.contain('usage_percent');
  });
});

describe('image references', () => {
  it('splits name and tag as Telegraf does', () => {
    expect(parseImage('redis')).to.deep.equal({ name: 'redis', version: 'unknown' });
    expect(parseImage('redis:7')).to.deep.equal({ name: 'redis', version: '7' });
    expect(parseImage('localhost:5000/team/app:1.2')).to.deep.equal({ name: 'localhost:5000/team/app', version: '1.2' });
    expect(parseImage('registry:5000/app')).to.deep.equal({ name: 'registry:5000/app', version: 'unknown' });
    expect(parseImage('app@sha256:abc')).to.deep.equal({ name: 'app', version: 'unknown' });
  });
  it('formats ports as docker ps does', () => {
    expect(formatPorts([{ IP: '127.0.0.1', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }, { PrivatePort: 443, Type: 'tcp' }]))
      .to.equal('127.0.0.1:8080->80/tcp, 443/tcp');
  });
});
