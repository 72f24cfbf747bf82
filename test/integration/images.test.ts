/**
 * The image list against the real dockerd: what InfluxDB holds matches what
 * `docker images` shows for the test image under two names and for an
 * imported image without a tag; changes arrive through image events.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { services, docker, testConfig, freshDatabase, runContainer, cleanup, uniqueRun, eventually, TEST_LABEL } from '../helpers/services.js';
import { createLogger } from '../../common/log.js';
import { literal, type InfluxQL } from '../../common/influx/query.js';
import { startCollectorParts, type RunningCollector } from '../../collector/service.js';
import { MEASUREMENT, NO_TAG } from '../../common/schema.js';

const DB = 'test_collector_images';
const LABEL = 'odd label, "quoted" = 한국어 😀';

describe('image list (real dockerd and influxd)', function () {
  this.timeout(180_000);
  const run = uniqueRun('images');
  const repo = `shipwatch/${run}`;
  let d: Docker;
  let q: InfluxQL;
  let c: RunningCollector;
  let testId: string;
  let danglingId = '';
  // The docker CLI talks to the engine the tests use.
  const env = { ...process.env, DOCKER_HOST: services().dockerHost };

  /** The newest point of every docker_image series of an image, as a current listing would read them. */
  const current = async (id: string) => {
    const r = await q.rows(
      `SELECT last("id") AS id, "removed", "dangling", "containers", "labels", "architecture", "os", "size" FROM "${MEASUREMENT.image}" ` +
        `WHERE "image_id" = ${literal(id.replace('sha256:', '').slice(0, 12))} GROUP BY "image_name", "image_version"`,
    );
    return r.filter((x) => x.removed === false);
  };
  /** `docker images` rows of an image: "repository:tag". */
  const dockerImages = (id: string) =>
    execFileSync('docker', ['images', '--no-trunc', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}'], { encoding: 'utf8', env })
      .split('\n')
      .filter((l) => l.startsWith(id + ' '))
      .map((l) => l.slice(id.length + 1))
      .sort();

  before(async () => {
    const e = services();
    d = docker();
    q = await freshDatabase(DB);
    testId = (await d.getImage(e.testImage).inspect()).Id;
    c = await startCollectorParts(
      testConfig(DB, {
        'collector.events.enabled': false,
        'collector.processes.enabled': false,
        'collector.disk.enabled': false,
        'collector.images.interval': '1h',
      }),
      createLogger('test', 'silent'),
    );
    await eventually(async () => c.events.connected);
  });

  after(async () => {
    await c?.stop();
    await cleanup(d, run);
    await d.getImage(`${repo}:second`).remove().catch(() => {});
    if (danglingId) await d.getImage(danglingId).remove({ force: true }).catch(() => {});
  });

  it('matches docker images for an image with two names and for one without a tag', async () => {
    const e = services();
    await d.getImage(e.testImage).tag({ repo, tag: 'second' });
    // An image without a tag: docker import with no repository.
    const dir = mkdtempSync(path.join(tmpdir(), 'sw-img-'));
    writeFileSync(path.join(dir, 'file'), run);
    try {
      danglingId = execFileSync('sh', ['-c', `tar -C "${dir}" -c . | docker import -c 'LABEL shipwatch.odd="${LABEL}"' -`], { encoding: 'utf8', env }).trim();
    } finally {
      rmSync(dir, { recursive: true });
    }
    expect(danglingId).to.match(/^sha256:/);

    const rows = await eventually(async () => {
      const r = await current(testId);
      return r.some((x) => x.image_name === repo) ? r : undefined;
    });
    // Other test runs may tag the shared test image meanwhile: compare the names this run knows.
    const ours = (l: string[]) => l.filter((x) => x === e.testImage || x === `${repo}:second`).sort();
    const names = rows.map((r) => `${r.image_name}:${r.image_version}`);
    expect(ours(names)).to.deep.equal([`${repo}:second`, e.testImage].sort());
    expect(ours(names)).to.deep.equal(ours(dockerImages(testId)));
    expect(rows[0]).to.include({ id: testId, dangling: false, architecture: 'amd64', os: 'linux' });

    const dangling = await eventually(async () => (await current(danglingId))[0]);
    expect(dockerImages(danglingId)).to.deep.equal(['<none>:<none>']);
    expect(dangling).to.include({ image_name: NO_TAG, image_version: NO_TAG, dangling: true, id: danglingId });
    // As Docker holds it (its LABEL parser takes the inner quotes out).
    const labels = (await d.getImage(danglingId).inspect()).Config.Labels;
    expect(labels['shipwatch.odd']).to.include('한국어 😀');
    expect(JSON.parse(dangling.labels as string)).to.deep.equal(labels);
  });

  it('counts the containers using an image', async () => {
    const before = (await current(danglingId))[0]?.containers as number;
    expect(before).to.equal(0);
    await d.createContainer({ Image: danglingId, Cmd: ['x'], name: `${run}-user`, Labels: { [TEST_LABEL]: run } });
    await eventually(async () => (await current(danglingId))[0]?.containers === 1);
  });

  it('an untagged name and a deleted image are marked removed', async () => {
    await d.getImage(`${repo}:second`).remove();
    await eventually(async () => !(await current(testId)).some((r) => r.image_name === repo));
    await cleanup(d, run);
    await d.getImage(danglingId).remove();
    await eventually(async () => (await current(danglingId)).length === 0);
    const removed = await q.rows(`SELECT * FROM "${MEASUREMENT.image}" WHERE "removed" = true AND "id" = ${literal(danglingId)}`);
    expect(removed).to.have.length.above(0);
  });
});
