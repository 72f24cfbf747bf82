/**
 * The Dockerfile builds and the image runs, with no image registry: the base is
 * a Debian 12 made here (scripts/base-image.sh, kept once made), the build runs
 * on the real dockerd, and the collector started from the image writes points
 * to the test InfluxDB. Slow (a fresh base takes about a minute, npm ci in the
 * build another): `npm run test:image`, which scripts/test runs after npm test.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { services, freshDatabase, uniqueRun, eventually, TEST_LABEL } from '../helpers/services.js';
import { ROOT } from '../helpers/paths.js';
import { ident, type InfluxQL } from '../../common/influx/query.js';
import { MEASUREMENT, TAG } from '../../common/schema.js';

const run = promisify(execFile);
const BASE = 'shipwatch/base:test';
const APP = 'shipwatch/app:test';
const AGENT = 'shipwatch/agent:test';
const PROXY = 'shipwatch/docker-proxy:test';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

describe('app image', function () {
  this.timeout(1_200_000);
  const id = uniqueRun('image');
  const db = `test_image_${process.pid}`;
  const host = `sw-image-${process.pid}`;
  let env: NodeJS.ProcessEnv;
  let q: InfluxQL;
  const docker = (args: string[], timeout = 900_000) => run('docker', args, { env, cwd: ROOT, timeout, maxBuffer: 64 * 1024 * 1024 });

  before(async () => {
    const e = services();
    env = { ...process.env, DOCKER_HOST: e.dockerHost, DOCKER_BUILDKIT: '0' };
    q = await freshDatabase(db);
  });

  after(async () => {
    await docker(['rm', '-f', id, `${id}-proxy`], 60_000).catch(() => {});
    await docker(['volume', 'rm', '-f', `${id}-sock`], 60_000).catch(() => {});
    await q?.query(`DROP DATABASE ${ident(db)}`).catch(() => {});
  });

  it('has a Debian 12 base with Node.js made locally (kept once made)', async () => {
    await run(path.join(ROOT, 'scripts/base-image.sh'), [BASE], { env, timeout: 900_000 });
    const { stdout } = await docker(['run', '--rm', '--entrypoint', 'node', BASE, '-e', 'console.log(process.version)'], 120_000);
    expect(stdout.trim()).to.equal(process.version);
  });

  it('builds with the base image as the build argument (multi-stage, legacy builder)', async () => {
    // Host network: the build's npm ci reaches the npm registry the way this machine does.
    await docker(['build', '--network', 'host', '--build-arg', `BASE_IMAGE=${BASE}`, '-t', APP, '.']);
    const { stdout } = await docker(['image', 'inspect', '--format', '{{.Config.User}}', APP], 60_000);
    expect(stdout.trim(), 'runs as a non-root user by default').to.equal('shipwatch');
    const who = await docker(['run', '--rm', '--entrypoint', 'id', APP, '-u'], 120_000);
    expect(who.stdout.trim()).to.not.equal('0');
    // Every component's entry point, as docker-compose.yml runs them.
    const entries = ['collector', 'processor', 'alerter', 'agent'].map((c) => `dist/${c}/main.js`);
    const ls = await docker(['run', '--rm', '--entrypoint', 'ls', APP, ...entries], 120_000);
    expect(ls.stdout.trim().split('\n').sort()).to.deep.equal([...entries].sort());
  });

  it('builds the agent with the Docker CLI and shipwatch-exec, and the Docker proxy with the shipped filters', async () => {
    for (const [target, tag] of [['agent', AGENT], ['docker-proxy', PROXY]]) {
      await docker(['build', '--network', 'host', '--build-arg', `BASE_IMAGE=${BASE}`, '--target', target, '-t', tag, '.']);
    }
    const who = await docker(['run', '--rm', '--entrypoint', 'id', AGENT, '-un'], 120_000);
    expect(who.stdout.trim()).to.equal('shipwatch');
    const cli = await docker(['run', '--rm', '--entrypoint', 'docker', AGENT, '--version'], 120_000);
    expect(cli.stdout).to.match(/^Docker version \d+\./);
    const helper = await docker(['run', '--rm', '--entrypoint', 'shipwatch-exec', AGENT], 120_000).catch((e: Error & { stderr: string; code: number }) => e);
    expect((helper as { code: number }).code).to.equal(2);
    expect((helper as { stderr: string }).stderr).to.contain('usage: shipwatch-exec CONTAINER COMMAND');
    for (const cfg of ['docker-collector.cfg', 'docker-agent.cfg']) {
      const check = await docker(['run', '--rm', PROXY, 'haproxy', '-c', '-f', `/etc/shipwatch-haproxy/${cfg}`], 120_000);
      expect(check.stdout + check.stderr, cfg).to.contain('Configuration file is valid');
    }
  });

  it('runs the collector from the image through the proxy image, as compose does: points arrive and /healthz answers', async () => {
    const e = services();
    const sock = e.dockerHost.replace(/^unix:\/\//, '');
    const healthPort = await freePort();
    // The proxy has no network and shares its socket with the collector through a volume.
    await docker([
      'run', '-d', '--name', `${id}-proxy`, '--label', `${TEST_LABEL}=${id}`, '--network', 'none', '--user', '0',
      '-e', 'SHIPWATCH_PROXY_SOCKET=/run/shipwatch-docker/docker.sock',
      '-v', `${sock}:/var/run/docker.sock`, '-v', `${id}-sock:/run/shipwatch-docker`,
      PROXY, 'haproxy', '-W', '-db', '-f', '/etc/shipwatch-haproxy/docker-collector.cfg',
    ], 120_000);
    await docker([
      'run', '-d', '--name', id, '--label', `${TEST_LABEL}=${id}`, '--network', 'host', '--user', '0',
      '-v', `${id}-sock:/run/shipwatch-docker`, '-e', 'SHIPWATCH_DOCKER_SOCKET_PATH=/run/shipwatch-docker/docker.sock',
      '-e', `SHIPWATCH_INFLUX_URL=${e.influxUrl}`, '-e', `SHIPWATCH_INFLUX_BUCKET=${db}`, '-e', `SHIPWATCH_HOST=${host}`,
      '-e', 'SHIPWATCH_COLLECTOR_INTERVAL=2s', '-e', 'SHIPWATCH_QUEUE_ENABLED=false', '-e', `SHIPWATCH_HEALTH_PORT=${healthPort}`,
      APP, 'node', 'dist/collector/main.js',
    ], 120_000);
    const count = async () => {
      const rows = await q.rows(`SELECT count("usage_total") AS n FROM ${ident(MEASUREMENT.cpu)} WHERE ${ident(TAG.engineHost)} = '${host}'`);
      return Number(rows[0]?.n ?? 0);
    };
    // Points have no event to await from outside the container.
    await eventually(async () => (await count()) > 0, 120_000, 500).catch(async (err) => {
      const logs = await docker(['logs', '--tail', '50', id], 60_000).catch(() => ({ stdout: '', stderr: '' }));
      throw new Error(`${(err as Error).message}\n${logs.stdout}${logs.stderr}`);
    });
    const health = await docker(['exec', id, 'node', 'dist/common/healthcheck.js'], 60_000);
    expect(health.stdout).to.match(/^200 .*"status":"ok"/);
    // Retention was set up on start: raw points 7 days, rollups in their own policy.
    const rps = (await q.rows(`SHOW RETENTION POLICIES ON ${ident(db)}`)).map((r) => r.name);
    expect(rps).to.include('rollup');
  });
});
