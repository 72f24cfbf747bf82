import { expect } from 'chai';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startHealthServer, freshness } from '../../common/health.js';
import { createLogger } from '../../common/log.js';
import { ROOT } from '../helpers/paths.js';

const silent = createLogger('test', 'silent');
const run = promisify(execFile);

/** The health check command the images run, against a live endpoint. */
async function healthcheck(url: string): Promise<number> {
  try {
    await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'common/healthcheck.ts'), url], { cwd: ROOT });
    return 0;
  } catch (e) {
    return (e as { code: number }).code;
  }
}

describe('health endpoint', function () {
  this.timeout(30_000);

  it('is off unless health.port is set', async () => {
    expect(await startHealthServer({ port: 0, host: '127.0.0.1' }, 'x', () => ({ ok: true }), silent)).to.equal(undefined);
  });

  it('answers /healthz 200 while the check passes and 503 when it fails; the health check command follows', async () => {
    let ok = true;
    // Port 0 means off, so find a free port by binding one briefly.
    const { createServer } = await import('node:net');
    const port = await new Promise<number>((r) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => r(p));
      });
    });
    const h = (await startHealthServer({ port, host: '127.0.0.1' }, 'collector', () => ({ ok, detail: 'x' }), silent))!;
    try {
      const url = `http://127.0.0.1:${h.port}/healthz`;
      let res = await fetch(url);
      expect(res.status).to.equal(200);
      expect(await res.json()).to.include({ component: 'collector', status: 'ok' });
      expect(await healthcheck(url)).to.equal(0);
      ok = false;
      res = await fetch(url);
      expect(res.status).to.equal(503);
      expect(await healthcheck(url)).to.equal(1);
      expect((await fetch(`http://127.0.0.1:${h.port}/other`)).status).to.equal(404);
    } finally {
      await h.close();
    }
  });

  it('freshness: healthy while the last success is recent', () => {
    let now = 1000;
    const f = freshness(100, () => now);
    expect(f.check().ok).to.equal(true);
    now = 1200;
    expect(f.check().ok, 'nothing since start').to.equal(false);
    f.mark();
    now = 1250;
    expect(f.check().ok).to.equal(true);
  });
});
