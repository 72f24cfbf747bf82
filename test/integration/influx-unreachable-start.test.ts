/**
 * Every component starts, and keeps running, while InfluxDB is down behind a
 * proxy that takes each connection and drops it at once (as docker-proxy does
 * in front of a stopped container): such a request hangs until its own
 * timeout, and a component that waited on it with nothing else open exited
 * (code 13) instead of starting.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { services, uniqueRun } from '../helpers/services.js';
import { ComponentProcess, DelayProxy, freePort, sleep, type ComponentName } from '../helpers/stack.js';

describe('components start while InfluxDB is unreachable behind a proxy', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'sw-noinflux-'));
  let proxy: DelayProxy;
  const running: ComponentProcess[] = [];

  before(async () => {
    services();
    // Nothing listens behind it: each connection is taken, then dropped.
    proxy = new DelayProxy(await freePort());
    await proxy.start();
  });
  after(async () => {
    for (const c of running) await c.close();
    await proxy.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const component of ['processor', 'collector', 'alerter', 'agent'] as ComponentName[]) {
    it(`${component}: ready, and still running a while later`, async () => {
      const e = services();
      const c = new ComponentProcess(component, component, {
        docker: { socketPath: e.dockerHost.replace(/^unix:\/\//, '') },
        influx: { url: `http://127.0.0.1:${proxy.port}`, bucket: 'unused', timeout: '5s' },
        redis: { url: e.redisUrl, prefix: `{${uniqueRun('noinflux')}}` },
        alerter: { api: { port: 0, token: 'no-influx-test-token-0123456789' } },
        log: { level: 'info' },
      }, dir);
      running.push(c);
      await c.start();
      await sleep(6_000);
      expect(c.pid, `${component} exited`).to.be.a('number');
    });
  }
});
