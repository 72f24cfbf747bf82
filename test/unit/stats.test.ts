import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  cpuPercent, memUsedNoCache, fromApiStats, fromCgroupV1, fromCgroupV2, parseBlkioV1, parseIoStatV2,
  parseNetDev, parseProcStatSystem, parseFlatKeyed, sumNet, type ApiStats, type HostFacts,
} from '../../collector/stats.js';
import { countCpus } from '../../collector/sources/cgroup.js';
import { ROOT } from '../helpers/paths.js';

const fx = (...p: string[]) => readFileSync(path.join(ROOT, 'test/fixtures/stats', ...p), 'utf8');
const api = JSON.parse(fx('api-stats-cgroup1.json')) as ApiStats;
const host: HostFacts = { system: parseProcStatSystem(fx('cgroup1/proc-stat')), onlineCpus: 2, memTotal: 25276510208, clockTicks: 100 };

describe('stats arithmetic', () => {
  describe('cpuPercent (docker stats formula)', () => {
    it('is the container share of host CPU time times online CPUs', () => {
      // 1 s of container CPU over 2 s of host CPU time on 2 CPUs = one full core
      const p = cpuPercent({ total: 0, system: 0 }, { total: 1e9, system: 2e9, onlineCpus: 2 });
      expect(p).to.equal(100);
    });
    it('is undefined without a previous sample, after a counter reset, or with no host time elapsed', () => {
      expect(cpuPercent(undefined, { total: 5, system: 5, onlineCpus: 1 })).to.equal(undefined);
      expect(cpuPercent({ total: 10e9, system: 1e9 }, { total: 1e9, system: 3e9, onlineCpus: 2 })).to.equal(undefined);
      expect(cpuPercent({ total: 1, system: 5 }, { total: 2, system: 5, onlineCpus: 2 })).to.equal(undefined);
    });
  });

  describe('memUsedNoCache', () => {
    it('subtracts total_inactive_file on cgroup v1', () => {
      expect(memUsedNoCache({ usage: 1000, limit: 0, stats: { total_inactive_file: 300, cache: 500 } })).to.equal(700);
    });
    it('subtracts inactive_file on cgroup v2', () => {
      expect(memUsedNoCache({ usage: 1000, limit: 0, stats: { inactive_file: 400 } })).to.equal(600);
    });
    it('keeps usage when the cache figure exceeds it', () => {
      expect(memUsedNoCache({ usage: 100, limit: 0, stats: { total_inactive_file: 300 } })).to.equal(100);
    });
  });

  describe('Docker API answer (recorded, cgroup v1)', () => {
    const s = fromApiStats(api);
    it('reads counters and the cgroup version', () => {
      expect(s.cgroupVersion).to.equal(1);
      expect(s.cpu.total).to.equal(api.cpu_stats.cpu_usage.total_usage);
      expect(s.cpu.onlineCpus).to.equal(2);
      expect(s.mem.usage).to.equal(6086656);
      expect(s.mem.limit).to.equal(64 * 1024 * 1024);
      expect(s.pids.current).to.equal(2);
      expect(s.net!.eth0.rx_bytes).to.equal(api.networks!.eth0.rx_bytes);
    });
  });

  describe('cgroup v1 files (recorded from the same container)', () => {
    const s = fromCgroupV1({
      cpuacctUsage: fx('cgroup1/cpuacct.usage'),
      cpuacctStat: fx('cgroup1/cpuacct.stat'),
      cpuStat: fx('cgroup1/cpu.stat'),
      memUsage: fx('cgroup1/memory.usage_in_bytes'),
      memStat: fx('cgroup1/memory.stat'),
      blkioBytes: fx('cgroup1/blkio.throttle.io_service_bytes_recursive'),
      blkioOps: fx('cgroup1/blkio.throttle.io_serviced_recursive'),
      pidsCurrent: fx('cgroup1/pids.current'),
      pidsMax: fx('cgroup1/pids.max'),
    }, host, 0, parseNetDev(fx('cgroup1/net-dev')));
    const a = fromApiStats(api);
    it('gives the numbers the Docker API gave for memory, limit, pids and network', () => {
      expect(s.mem.usage).to.equal(a.mem.usage);
      expect(memUsedNoCache(s.mem)).to.equal(memUsedNoCache(a.mem));
      expect(s.mem.limit).to.equal(a.mem.limit);
      expect(s.pids.current).to.equal(a.pids.current);
      expect(Object.keys(s.net!)).to.deep.equal(Object.keys(a.net!));
      expect(s.net!.eth0.rx_bytes).to.be.at.least(a.net!.eth0.rx_bytes);
    });
    it('converts cpuacct.stat ticks to ns like Docker', () => {
      expect(s.cpu.user! % 1e7).to.equal(0);
      expect(s.cpu.total).to.be.at.least(a.cpu.total);
      expect(s.cpu.system).to.be.greaterThan(0);
    });
    it('caps an unlimited container at host memory', () => {
      const un = fromCgroupV1({ cpuacctUsage: '1', memUsage: '10', memStat: 'hierarchical_memory_limit 9223372036854771712\n' }, host, 0);
      expect(un.mem.limit).to.equal(host.memTotal);
    });
  });

  describe('cgroup v2 files', () => {
    const s = fromCgroupV2({
      cpuStat: fx('cgroup2/cpu.stat'), memCurrent: fx('cgroup2/memory.current'), memMax: fx('cgroup2/memory.max'),
      memStat: fx('cgroup2/memory.stat'), ioStat: fx('cgroup2/io.stat'), pidsCurrent: fx('cgroup2/pids.current'),
      pidsMax: fx('cgroup2/pids.max'),
    }, host, 0);
    it('converts usec to ns and reads throttling', () => {
      expect(s.cpu.total).to.equal(8123456000);
      expect(s.cpu.user).to.equal(6100000000);
      expect(s.cpu.kernel).to.equal(2023456000);
      expect(s.cpu.throttling).to.deep.equal({ periods: 120, throttledPeriods: 7, throttledTime: 350000000 });
    });
    it('excludes inactive_file from usage and reads memory.max', () => {
      expect(s.cgroupVersion).to.equal(2);
      expect(memUsedNoCache(s.mem)).to.equal(104857600 - 31457280);
      expect(s.mem.limit).to.equal(268435456);
    });
    it('sums io.stat over devices', () => {
      expect(s.blkio).to.deep.equal({ readBytes: 1572864, writeBytes: 4194304, readOps: 24, writeOps: 64 });
    });
    it('treats pids.max "max" as no limit and memory.max "max" as host memory', () => {
      expect(s.pids).to.deep.equal({ current: 5, limit: 0 });
      const un = fromCgroupV2({ cpuStat: '', memCurrent: '1', memMax: 'max\n', memStat: '' }, host, 0);
      expect(un.mem.limit).to.equal(host.memTotal);
    });
  });

  describe('file parsers', () => {
    it('parses blkio per device and sums Read and Write', () => {
      const t = '8:0 Read 100\n8:0 Write 50\n8:0 Sync 150\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 150\n8:16 Read 1\n8:16 Write 2\nTotal 153\n';
      expect(parseBlkioV1(t)).to.deep.equal({ read: 101, write: 52 });
      expect(parseBlkioV1('Total 0\n')).to.deep.equal({ read: 0, write: 0 });
    });
    it('parses v2 io.stat lines', () => {
      expect(parseIoStatV2('')).to.deep.equal({ readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0 });
    });
    it('parses /proc/net/dev without lo and sums interfaces', () => {
      const net = parseNetDev(fx('cgroup1/net-dev'));
      expect(net).to.not.have.property('lo');
      expect(net).to.have.property('eth0');
      const two = { a: net.eth0, b: net.eth0 };
      expect(sumNet(two).rx_bytes).to.equal(2 * net.eth0.rx_bytes);
    });
    it('computes host CPU time as Docker does (first seven /proc/stat fields)', () => {
      expect(parseProcStatSystem('cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 1 1 1 1 1 1 1\n')).to.equal(28 * 1e7);
      expect(() => parseProcStatSystem('intr 1 2')).to.throw();
    });
    it('counts online CPU ranges', () => {
      expect(countCpus('0-1\n')).to.equal(2);
      expect(countCpus('0-3,6,8-9')).to.equal(7);
    });
    it('parses key value files', () => {
      expect(parseFlatKeyed('a 1\nb 22\n\n')).to.deep.equal({ a: 1, b: 22 });
    });
  });
});

describe('KeyedPicker', () => {
  it('finds keys anywhere in the file, not prefixes of other keys, and skips absent ones', async () => {
    const { KeyedPicker } = await import('../../collector/stats.js');
    const p = new KeyedPicker(['cache', 'rss', 'total_cache', 'missing']);
    expect(p.pick('cache 1\nrss 2\ntotal_cache 3\ntotal_rss 4')).to.deep.equal({ cache: 1, rss: 2, total_cache: 3 });
    expect(p.pick('total_cache 3\ncache 1\n')).to.deep.equal({ cache: 1, total_cache: 3 });
  });
});
