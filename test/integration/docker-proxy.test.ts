/**
 * Docker access by least privilege: the shipped HAProxy configurations
 * (deploy/haproxy/) run here with Debian's haproxy on unix sockets in front of
 * the test dockerd. The collector works through its proxy with every part on
 * and the API stats source, and makes no call the proxy refuses; a write from
 * its side is refused. The agent's proxy passes the built-in actions, exec and
 * the Docker CLI's restart, and refuses creating, removing, privileged exec
 * and reading the host's files.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { services, docker, testConfig, freshDatabase, uniqueRun, eventually, runContainer, cleanup, waitForOutput } from '../helpers/services.js';
import { startProcess, whenListening, type Proc } from '../helpers/private.js';
import { ROOT } from '../helpers/paths.js';
import { createLogger } from '../../common/log.js';
import { ident, type InfluxQL } from '../../common/influx/query.js';
import { MEASUREMENT, TAG } from '../../common/schema.js';
import { startCollectorParts, type RunningCollector } from '../../collector/service.js';
import { runDockerAction } from '../../agent/docker-actions.js';

const exec = promisify(execFile);

/** Debian's haproxy with a shipped configuration, listening on a unix socket in a temp dir. */
async function proxy(config: string, dockerSocket: string): Promise<{ p: Proc; socket: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sw-haproxy-'));
  const socket = path.join(dir, 'docker.sock');
  const p = startProcess('haproxy', ['-db', '-f', path.join(ROOT, 'deploy/haproxy', config)], {
    dir,
    env: { ...process.env, SHIPWATCH_PROXY_SOCKET: socket, SHIPWATCH_DOCKER_SOCKET: dockerSocket },
  });
  await whenListening(socket, p);
  return { p, socket };
}

/** A request with a body exactly as given (JSON escapes included): the status code. */
function rawStatus(socket: string, method: string, urlPath: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path: urlPath, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** One request through a socket: the status code. */
async function status(socket: string, method: string, urlPath: string, body?: unknown): Promise<number> {
  const d = new Docker({ socketPath: socket });
  return new Promise((resolve, reject) => {
    d.modem.dial({ path: urlPath, method, options: body ?? {}, statusCodes: { 200: true, 201: true, 204: true, 304: true, 403: 'forbidden', 404: 'missing', 409: 'conflict' } }, (err: unknown) => {
      if (!err) return resolve(200);
      const code = (err as { statusCode?: number }).statusCode;
      if (code) resolve(code);
      else reject(err);
    });
  });
}

describe('Docker socket proxies (deploy/haproxy)', function () {
  this.timeout(180_000);
  const run = uniqueRun('dproxy');
  const db = `dproxy_${process.pid}`;
  const d = docker();
  const log = createLogger('proxy-test', process.env.SHIPWATCH_TEST_LOG ?? 'silent');
  let dockerSocket: string;
  let collectorProxy: { p: Proc; socket: string };
  let agentProxy: { p: Proc; socket: string };
  let q: InfluxQL;
  let target: Docker.Container;

  before(async () => {
    dockerSocket = services().dockerHost.replace(/^unix:\/\//, '');
    q = await freshDatabase(db);
    collectorProxy = await proxy('docker-collector.cfg', dockerSocket);
    agentProxy = await proxy('docker-agent.cfg', dockerSocket);
    target = await runContainer(d, run, { name: `${run}-target`, cmd: ['sh', '-c', 'echo proxied-line; exec sleep 3600'] });
    await waitForOutput(target, 'proxied-line');
  });

  after(async () => {
    await cleanup(d, run);
    await collectorProxy?.p.stop();
    await agentProxy?.p.stop();
  });

  describe("the collector's proxy", () => {
    let collector: RunningCollector | undefined;
    after(async () => collector?.stop());

    it('refuses every write and every read outside the collector\'s calls, and logs it', async () => {
      const s = collectorProxy.socket;
      const id = target.id;
      expect(await status(s, 'POST', '/containers/create', { Image: services().testImage })).to.equal(403);
      expect(await status(s, 'POST', `/containers/${id}/exec`, { Cmd: ['id'] })).to.equal(403);
      expect(await status(s, 'POST', `/containers/${id}/kill`)).to.equal(403);
      expect(await status(s, 'DELETE', `/containers/${id}?force=1`)).to.equal(403);
      // GETs that would read the container's files or the host's.
      expect(await status(s, 'GET', `/containers/${id}/archive?path=/etc`)).to.equal(403);
      expect(await status(s, 'GET', `/containers/${id}/export`)).to.equal(403);
      expect(await status(s, 'GET', `/containers/${id}/json/../../../images/x/get`)).to.equal(403);
      expect(await status(s, 'GET', `/containers/%2e%2e/json`)).to.equal(403);
      expect(await status(s, 'GET', '/secrets')).to.equal(403);
      // What it does read passes.
      expect(await status(s, 'GET', `/v1.41/containers/${id}/json`)).to.equal(200);
      expect(await status(s, 'GET', '/_ping')).to.equal(200);
      expect((await target.inspect()).State.Running, 'the kill did not reach Docker').to.equal(true);
      expect(collectorProxy.p.output()).to.match(/POST \/containers\/create/).and.to.match(/ 403 /);
    });

    it('lets the collector work through it with every part on (API stats, events, processes, logs, disk, images, network, posture) and refuses none of its calls', async () => {
      const logBefore = collectorProxy.p.output().length;
      const host = `proxied-${run}`;
      const cfg = testConfig(db, {
        host,
        docker: { socketPath: collectorProxy.socket },
        'collector.interval': '1s',
        'collector.statsSource': 'api',
        'collector.processes': { source: 'api', interval: '1s' },
        'collector.disk': { interval: '2s' },
        'collector.images': { interval: '2s' },
        'collector.logs': { enabled: true, names: [`${run}-*`], backfill: '1m' },
        'collector.network.enabled': true,
        'queue.enabled': false,
      });
      collector = await startCollectorParts(cfg, log);
      const name = `${run}-target`;
      const has = (m: string, where = `"${TAG.containerName}" = '${name}'`) => async () =>
        (await q.rows(`SELECT * FROM ${ident(m)} WHERE "${TAG.engineHost}" = '${host}' AND ${where} LIMIT 1`)).length > 0;
      for (const m of [MEASUREMENT.cpu, MEASUREMENT.mem, MEASUREMENT.status, MEASUREMENT.info, MEASUREMENT.process, MEASUREMENT.log, MEASUREMENT.diskUsage, MEASUREMENT.netstat, MEASUREMENT.posture]) {
        await eventually(has(m), 60_000, 250).catch((e) => {
          throw new Error(`${m}: ${(e as Error).message}`);
        });
      }
      await eventually(has(MEASUREMENT.image, 'true'), 60_000, 250);
      // A Docker event, through the proxied event stream.
      await d.getContainer(target.id).pause();
      await d.getContainer(target.id).unpause();
      await eventually(has(MEASUREMENT.event), 60_000, 250);
      const during = collectorProxy.p.output().slice(logBefore);
      expect(during, 'no call of the collector refused').to.not.match(/ 403 /);
    });
  });

  describe("the agent's proxy", () => {
    const opts = { timeoutMs: 30_000, stopGraceS: 1, outputLimit: 4096 };

    it('passes restart, stop, start, kill with a signal and exec', async () => {
      const agentDocker = new Docker({ socketPath: agentProxy.socket });
      const started = (await target.inspect()).State.StartedAt;
      expect(await runDockerAction(agentDocker, target.id, { docker: 'restart' }, opts)).to.include({ outcome: 'ok' });
      expect((await target.inspect()).State.StartedAt).to.not.equal(started);
      const ex = await runDockerAction(agentDocker, target.id, { docker: 'exec', command: ['sh', '-c', 'echo out; echo err >&2; exit 3'] }, opts);
      expect(ex).to.include({ outcome: 'failed', exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
      expect(await runDockerAction(agentDocker, target.id, { docker: 'kill', signal: 'SIGSTOP' }, opts)).to.include({ outcome: 'ok' });
      expect((await target.inspect()).State.Running).to.equal(true);
      await target.kill({ signal: 'SIGCONT' });
      expect(await runDockerAction(agentDocker, target.id, { docker: 'stop' }, opts)).to.include({ outcome: 'ok' });
      expect((await target.inspect()).State.Running).to.equal(false);
      expect(await runDockerAction(agentDocker, target.id, { docker: 'start' }, opts)).to.include({ outcome: 'ok' });
      expect((await target.inspect()).State.Running).to.equal(true);
    });

    it('passes the Docker CLI\'s restart, inspect and logs and shipwatch-exec, refuses its run and rm', async () => {
      const env = { ...process.env, DOCKER_HOST: `unix://${agentProxy.socket}` };
      await exec('docker', ['restart', '-t', '1', target.id], { env });
      const { stdout } = await exec('docker', ['inspect', '-f', '{{.State.Running}}', target.id], { env });
      expect(stdout.trim()).to.equal('true');
      expect((await exec('docker', ['logs', target.id], { env })).stdout).to.contain('proxied-line');
      // docker exec asks for an HTTP upgrade on a request with a body, which HAProxy 2.4+ passes without the
      // upgrade: it cannot work through the proxy, and scripts get shipwatch-exec (the API's exec) instead.
      const cliExec = await exec('docker', ['exec', target.id, 'true'], { env }).then(() => 'worked', (e: Error & { stderr: string }) => e.stderr);
      expect(cliExec).to.contain('unable to upgrade to tcp, received 200');
      const helper = await exec(path.join(ROOT, 'agent/bin/shipwatch-exec'), [target.id, 'sh', '-c', 'echo "<in> & out"; exit 4'], { env })
        .then(() => ({ stdout: '', code: 0 }), (e: Error & { stdout: string; code: number }) => ({ stdout: e.stdout, code: e.code }));
      expect(helper).to.deep.equal({ stdout: '<in> & out\n', code: 4 });
      const refused = async (args: string[]) => {
        const e = await exec('docker', args, { env }).then(() => undefined, (err: Error & { stderr: string }) => err);
        expect(e, `docker ${args.join(' ')}`).to.not.equal(undefined);
        expect(e!.stderr).to.match(/403|forbidden/i);
      };
      await refused(['run', '--rm', services().testImage, 'true']);
      await refused(['rm', '-f', target.id]);
      expect((await target.inspect()).State.Running).to.equal(true);
    });

    it('refuses create, remove, privileged exec, image pulls and the container\'s files', async () => {
      const s = agentProxy.socket;
      const id = target.id;
      expect(await status(s, 'POST', '/containers/create', { Image: services().testImage })).to.equal(403);
      expect(await status(s, 'DELETE', `/containers/${id}?force=1`)).to.equal(403);
      expect(await status(s, 'POST', '/images/create?fromImage=busybox')).to.equal(403);
      expect(await status(s, 'GET', `/containers/${id}/archive?path=/`)).to.equal(403);
      expect(await status(s, 'POST', `/containers/${id}/update`, { Privileged: true })).to.equal(403);
      expect(await status(s, 'POST', `/containers/${id}/exec`, { Cmd: ['id'], Privileged: true })).to.equal(403);
      // Docker takes JSON keys in any case, and an escape could spell the key: both refused.
      expect(await status(s, 'POST', `/containers/${id}/exec`, { Cmd: ['id'], privileged: true })).to.equal(403);
      expect(await rawStatus(s, 'POST', `/containers/${id}/exec`, '{"Cmd":["id"],"Privil\\u0065ged" : true}')).to.equal(403);
      expect(await rawStatus(s, 'POST', `/containers/${id}/exec`, '{"Cmd":["id"],"PRIVILEGED":\ttrue}')).to.equal(403);
      // An exec body whose length is not declared cannot be checked whole.
      expect(await new Promise<number>((resolve, reject) => {
        const req = request({ socketPath: s, method: 'POST', path: `/containers/${id}/exec`, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.write('{"Cmd":["id"],');
        req.end('"Privileged":true}');
      })).to.equal(403);
      // What the Docker CLI sends: every field, Privileged false, Go's escapes of < > &.
      expect(await rawStatus(s, 'POST', `/containers/${id}/exec`, '{"User":"","Privileged":false,"Tty":false,"AttachStdout":true,"Cmd":["sh","-c","echo \\u003cok\\u003e \\u0026\\u0026 true"]}')).to.equal(201);
    });
  });
});
