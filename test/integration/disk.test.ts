/**
 * Disk usage and mounts against the real dockerd: the writable layer, a named
 * volume's size, every mount with its type, mode and propagation, including a
 * mount point whose path holds spaces, commas, equals signs and Hangul.
 */
import { expect } from 'chai';
import type Docker from 'dockerode';
import { services, docker, testConfig, freshDatabase, cleanup, uniqueRun, eventually, waitForOutput, TEST_LABEL } from '../helpers/services.js';
import { createLogger } from '../../common/log.js';
import { literal, type InfluxQL } from '../../common/influx/query.js';
import { startCollectorParts, type RunningCollector } from '../../collector/service.js';
import { MEASUREMENT } from '../../common/schema.js';

const DB = 'test_collector_disk';
const MiB = 1024 * 1024;
const ODD_TARGET = '/odd dir, a=b 한국어';

describe('disk usage and mounts (real dockerd and influxd)', function () {
  this.timeout(180_000);
  const run = uniqueRun('disk');
  const n = (s: string) => `${run}-${s}`;
  let d: Docker;
  let q: InfluxQL;
  let c: RunningCollector;
  let ctr: Docker.Container;

  before(async () => {
    const e = services();
    d = docker();
    q = await freshDatabase(DB);
    await d.createVolume({ Name: n('vol'), Labels: { [TEST_LABEL]: run } });
    ctr = await d.createContainer({
      name: n('writer'),
      Image: e.testImage,
      Labels: { [TEST_LABEL]: run },
      Cmd: ['sh', '-c', 'dd if=/dev/zero of=/layer bs=1M count=3 2>/dev/null; dd if=/dev/zero of=/data/v bs=1M count=2 2>/dev/null; echo ready; sleep 3600'],
      HostConfig: {
        Mounts: [
          { Type: 'volume', Source: n('vol'), Target: '/data' },
          { Type: 'bind', Source: '/etc', Target: ODD_TARGET, ReadOnly: true, BindOptions: { Propagation: 'rprivate' } },
          { Type: 'tmpfs', Source: '', Target: '/scratch' },
        ],
      },
    });
    await ctr.start();
    await waitForOutput(ctr, 'ready');
    c = await startCollectorParts(
      testConfig(DB, {
        'collector.events.enabled': false,
        'collector.processes.enabled': false,
        'collector.images.enabled': false,
        'collector.disk.interval': '2s',
      }),
      createLogger('test', 'silent'),
    );
  });

  after(async () => {
    await c?.stop();
    await cleanup(d, run);
    await d.getVolume(n('vol')).remove().catch(() => {});
  });

  it('writable layer and root filesystem size of the container', async () => {
    // Docker answers concurrent /system/df calls (other collectors on this dockerd) with one shared,
    // possibly slightly older computation: wait for one made after the writes.
    const r = await eventually(async () =>
      (await q.rows(`SELECT * FROM "${MEASUREMENT.diskUsage}" WHERE "container_name" = ${literal(n('writer'))}`)).find((x) => (x.size_rw as number) >= 3 * MiB),
    60_000);
    expect(r.size_rw).to.be.at.least(3 * MiB);
    expect(r.size_root_fs).to.be.at.least((r.size_rw as number) + 1000);
    expect(r.container_id).to.equal(ctr.id);
  });

  it('gives the processor the writable layer and the room it has left on Docker\'s filesystem', async () => {
    const fs = await eventually(async () => {
      const f = c.parts.disk?.fsOf(ctr.id);
      return f && f.usage >= 3 * MiB ? f : undefined;
    }, 60_000);
    // The collector runs on the host here, so it sees Docker's data root and its free space.
    expect(fs.limit).to.be.a('number').and.greaterThan(fs.usage);
  });

  it('volume size, as Docker reports it', async () => {
    const v = await eventually(async () =>
      (await q.rows(`SELECT * FROM "${MEASUREMENT.diskUsage}" WHERE "volume_name" = ${literal(n('vol'))}`)).find((x) => (x.size as number) >= 2 * MiB),
    60_000);
    expect(v.size).to.be.at.least(2 * MiB);
    const layers = await q.rows(`SELECT last("layers_size") AS v FROM "${MEASUREMENT.diskUsage}"`);
    expect(layers[0].v).to.be.a('number').and.above(0);
  });

  it('every mount: type, source, mode, propagation; the volume mount carries its size', async () => {
    const rows = await eventually(async () => {
      const r = await q.rows(`SELECT * FROM "${MEASUREMENT.mount}" WHERE "container_name" = ${literal(n('writer'))}`);
      return new Set(r.map((x) => x.destination)).size >= 3 && r.some((x) => x.destination === '/data' && (x.size as number) >= 2 * MiB) ? r : undefined;
    }, 60_000);
    const at = (dest: string) => rows.filter((r) => r.destination === dest).pop()!;
    expect(at('/data')).to.include({ type: 'volume', name: n('vol'), driver: 'local', rw: true });
    expect(at('/data').size).to.be.at.least(2 * MiB);
    expect(at(ODD_TARGET)).to.include({ type: 'bind', source: '/etc', rw: false, propagation: 'rprivate' });
    expect(at('/scratch')).to.include({ type: 'tmpfs', rw: true });
  });
});
