import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/paths.js';

describe('docker-compose.yml', () => {
  it('is accepted by docker-compose with .env.example', function () {
    this.timeout(60_000);
    const dir = mkdtempSync(path.join(tmpdir(), 'shipwatch-compose-'));
    try {
      copyFileSync(path.join(ROOT, 'docker-compose.yml'), path.join(dir, 'docker-compose.yml'));
      copyFileSync(path.join(ROOT, '.env.example'), path.join(dir, '.env'));
      const out = execFileSync('docker-compose', ['config'], { cwd: dir, encoding: 'utf8' });
      expect(out).to.contain('collector:');
      expect(out).to.contain('/var/run/docker.sock:/var/run/docker.sock:ro');
      expect(out).to.contain('127.0.0.1:8086');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
