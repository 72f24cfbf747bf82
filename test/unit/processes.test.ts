import { expect } from 'chai';
import { parseProcStat, parseProcStatus, parseCmdline, parsePasswd, parseBtime } from '../../collector/processes/procfs.js';
import { parseTop, parseClock } from '../../collector/processes/ps.js';
import { ProcessTracker, selectTop, cpuPercentBetween, type RatedProcess } from '../../collector/processes/tracker.js';
import { processLines, goneLines } from '../../collector/processes/lines.js';
import { ContainerSeries } from '../../collector/points.js';
import { partialMeta } from '../../collector/meta.js';
import type { ProcessSample } from '../../collector/processes/sample.js';

describe('/proc parsing', () => {
  it('stat with spaces and parentheses in the command name', () => {
    const text = '4570 (my (odd) proc) S 4549 4570 4570 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 123456 2322432 395 18446744073709551615';
    const s = parseProcStat(text)!;
    expect(s).to.deep.include({ comm: 'my (odd) proc', state: 'S', ppid: 4549, ticks: 300, threads: 3, startTicks: 123456, vsize: 2322432, rssPages: 395 });
  });

  it('status: uid, NSpid, VmRSS, VmSize', () => {
    const s = parseProcStatus('Name:\tsh\nUid:\t1000\t1000\t1000\t1000\nNSpid:\t4570\t1\nVmSize:\t    2268 kB\nVmRSS:\t    1580 kB\n');
    expect(s).to.deep.equal({ uid: 1000, nsPids: [4570, 1], rssBytes: 1580 * 1024, vszBytes: 2268 * 1024 });
    expect(parseProcStatus('Name:\tkthread\n')).to.deep.equal({ nsPids: [] });
  });

  it('cmdline, passwd, btime', () => {
    expect(parseCmdline(Buffer.from('sleep\u00001000\u0000'))).to.equal('sleep 1000');
    expect(parseCmdline(Buffer.alloc(0))).to.equal('');
    expect(parsePasswd('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\nbad line\n').get(65534)).to.equal('nobody');
    expect(parseBtime('cpu 1 2 3\nbtime 1715000000\n')).to.equal(1715000000);
  });
});

describe('docker top parsing', () => {
  it('our -o columns', () => {
    const top = {
      Titles: ['PID', 'PPID', 'USER', 'STAT', 'RSS', 'VSZ', '%CPU', '%MEM', 'ELAPSED', 'TIME', 'COMMAND'],
      Processes: [['4570', '4549', 'root', 'Rs', '1580', '2268', '98.7', '0.0', '635', '627', 'sh -c while true; do :; done']],
    };
    const [p] = parseTop(top, 1_000_000);
    expect(p).to.deep.include({ pid: 4570, ppid: 4549, user: 'root', state: 'Rs', rss: 1580 * 1024, cpuPercentHint: 98.7, cpuTimeNs: 627e9, startedAt: 1_000_000 - 635_000 });
    expect(p.command).to.equal('sh -c while true; do :; done');
  });

  it('the default -ef columns', () => {
    const top = {
      Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
      Processes: [['root', '12', '1', '0', '12:13', '?', '01:02:03', 'sleep 1000']],
    };
    const [p] = parseTop(top, 0);
    expect(p).to.deep.include({ pid: 12, user: 'root', cpuTimeNs: 3723e9, command: 'sleep 1000' });
    expect(parseClock('2-01:00:00')).to.equal(2 * 86400 + 3600);
    expect(parseTop({ Titles: ['X'], Processes: [['1']] }, 0)).to.deep.equal([]);
  });
});

describe('process tracking', () => {
  const p = (pid: number, cpuNs: number, rss = 0, command = `cmd${pid}`): ProcessSample => ({ key: `${pid}|0`, pid, user: 'root', state: 'S', cpuTimeNs: cpuNs, rss, command });

  it('CPU % between polls: one core for the whole interval is 100', () => {
    expect(cpuPercentBetween(0, 0, 1e9, 1000)).to.equal(100);
    expect(cpuPercentBetween(5, 10, 4, 20)).to.equal(undefined);
  });

  it('rates processes from the second poll on and reports the ones that disappeared', () => {
    const t = new ProcessTracker(10);
    t.poll([p(1, 0), p(2, 0), p(3, 0)], 0);
    const r = t.poll([p(1, 0.5e9), p(3, 2e9)], 1000);
    expect(r.top.map((x) => [x.pid, x.cpuPercent])).to.deep.equal([[3, 200], [1, 50]]);
    expect(r.gone.map((x) => x.pid)).to.deep.equal([2]);
    expect(t.end().map((x) => x.pid)).to.deep.equal([1, 3]);
  });

  it('a PID reused by a new process is a new process', () => {
    const t = new ProcessTracker(10);
    t.poll([p(1, 0)], 0);
    const r = t.poll([{ ...p(1, 0), key: '1|999' }], 1000);
    expect(r.gone.map((x) => x.pid)).to.deep.equal([1]);
  });

  it('over the limit: half the slots by CPU, the rest by memory', () => {
    const procs: RatedProcess[] = Array.from({ length: 10 }, (_, i) => ({ ...p(i + 1, 0, i === 9 ? 1e9 : 0), cpuPercent: 10 - i }));
    const top = selectTop(procs, 4);
    expect(top.map((x) => x.pid)).to.deep.equal([1, 2, 3, 10]);
  });

  it('lines: rank tag, pid and command as fields, no container_status', () => {
    const s = new ContainerSeries(partialMeta({ id: 'cid', name: 'web', image: 'app:1', state: 'running' }), { host: 'h', serverVersion: 'v' }, []);
    const out: string[] = [];
    processLines(s, [{ ...p(7, 0, 4096, 'sleep "1000"'), cpuPercent: 12.345 }], 1000, out);
    goneLines(s, [{ ...p(8, 0), cpuPercent: 0 }], 500, 1000, out);
    expect(out[0]).to.match(/^docker_container_process,container_image=app,container_name=web,container_version=1,engine_host=h,rank=1,server_version=v /);
    expect(out[0]).to.include('pid=7i').and.include('command="sleep \\"1000\\""').and.include('cpu_percent=12.35').and.include('container_id="cid"');
    expect(out[1]).to.match(/^docker_container_process_gone,.*rank=1,/);
    expect(out[1]).to.include('last_seen=500000000i');
  });
});
