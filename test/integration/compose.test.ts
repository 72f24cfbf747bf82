import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ROOT } from '../helpers/paths.js';
import { loadConfig, DEFAULTS } from '../../common/config.js';
import { parseDuration } from '../../common/duration.js';

/** A directory with docker-compose.yml and the .env scripts/secrets.sh writes from .env.example. */
function composeDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'shipwatch-compose-'));
  copyFileSync(path.join(ROOT, 'docker-compose.yml'), path.join(dir, 'docker-compose.yml'));
  execFileSync(path.join(ROOT, 'scripts/secrets.sh'), [path.join(dir, '.env')], { stdio: ['ignore', 'ignore', 'pipe'] });
  return dir;
}

const envOf = (file: string) => Object.fromEntries([...readFileSync(file, 'utf8').matchAll(/^(\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));

describe('docker-compose.yml', () => {
  it('is accepted by docker-compose with the .env scripts/secrets.sh writes', function () {
    this.timeout(60_000);
    const dir = composeDir();
    try {
      const out = execFileSync('docker-compose', ['config'], { cwd: dir, encoding: 'utf8' });
      expect(out).to.contain('collector:');
      expect(out).to.contain('/var/run/docker.sock:/var/run/docker.sock:ro');
      expect(out).to.contain('127.0.0.1:8086');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start without an alerter API token, and says how to make one', function () {
    this.timeout(60_000);
    const dir = composeDir();
    try {
      const env = path.join(dir, '.env');
      writeFileSync(env, readFileSync(env, 'utf8').replace(/^ALERTER_API_TOKEN=.*$/m, 'ALERTER_API_TOKEN='));
      const r = spawnSync('docker-compose', ['config'], { cwd: dir, encoding: 'utf8' });
      expect(r.status).to.not.equal(0);
      expect(r.stderr).to.contain('set ALERTER_API_TOKEN in .env (scripts/secrets.sh makes one)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('scripts/secrets.sh fills every empty secret with a strong random value and keeps those already set', function () {
    const dir = mkdtempSync(path.join(tmpdir(), 'shipwatch-secrets-'));
    try {
      const env = path.join(dir, '.env');
      writeFileSync(env, readFileSync(path.join(ROOT, '.env.example'), 'utf8').replace(/^INFLUXDB_TOKEN=.*$/m, 'INFLUXDB_TOKEN=mine'));
      execFileSync(path.join(ROOT, 'scripts/secrets.sh'), [env], { stdio: ['ignore', 'ignore', 'pipe'] });
      const first = envOf(env);
      expect(first.INFLUXDB_TOKEN).to.equal('mine');
      expect(first.GRAFANA_INFLUXDB_TOKEN, 'Grafana reads with the one token InfluxDB knows').to.equal('mine');
      for (const k of ['INFLUXDB_ADMIN_PASSWORD', 'GRAFANA_ADMIN_PASSWORD', 'ALERTER_API_TOKEN']) expect(first[k], k).to.match(/^[0-9a-f]{64}$/);
      expect(first.ALERTER_API_TOKEN).to.not.equal(first.GRAFANA_ADMIN_PASSWORD);
      expect(statSync(env).mode & 0o077, 'readable by its owner only').to.equal(0);
      execFileSync(path.join(ROOT, 'scripts/secrets.sh'), [env], { stdio: ['ignore', 'ignore', 'pipe'] });
      expect(envOf(env), 'a second run changes nothing').to.deep.equal(first);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('the whole stack', function () {
    this.timeout(60_000);
    let dir: string;
    let services: Record<string, any>;

    before(() => {
      dir = composeDir();
      cpSync(path.join(ROOT, 'config'), path.join(dir, 'config'), { recursive: true });
      services = parseYaml(execFileSync('docker-compose', ['config'], { cwd: dir, encoding: 'utf8' })).services;
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('runs InfluxDB, Redis, Grafana, collector, processor, alerter and the recovery agent', () => {
      expect(Object.keys(services).sort()).to.deep.equal(['agent', 'alerter', 'collector', 'grafana', 'influxdb', 'processor', 'redis']);
      for (const s of Object.values(services)) expect(s.restart).to.equal('unless-stopped');
    });

    it('publishes ports on 127.0.0.1 only; the processor publishes none, so it scales', () => {
      for (const [name, s] of Object.entries(services)) {
        for (const p of s.ports ?? []) expect(String(typeof p === 'string' ? p : p.host_ip), name).to.match(/^127\.0\.0\.1/);
      }
      expect(services.processor.ports).to.equal(undefined);
      expect(services.processor.container_name).to.equal(undefined);
      expect(services.grafana.ports).to.have.length(1);
    });

    it('gives Grafana the provisioning and its admin password, and the InfluxDB 2.x data source settings', () => {
      expect(services.grafana.volumes.map(String).join(' ')).to.contain('/provisioning:/etc/grafana/provisioning:ro');
      expect(services.grafana.environment.GF_SECURITY_ADMIN_PASSWORD).to.match(/^[0-9a-f]{64}$/);
      expect(services.grafana.environment).to.include({ INFLUX_HEADER_NAME: 'Authorization', INFLUX_DATABASE: 'shipwatch' });
      expect(services.grafana.environment.INFLUX_HEADER_VALUE).to.match(/^Token \S+$/);
      expect(services.influxdb.environment).to.include({ DOCKER_INFLUXDB_INIT_MODE: 'setup', DOCKER_INFLUXDB_INIT_RETENTION: '7d' });
    });

    it('mounts the Docker socket, cgroup tree and /proc read-only into the collector; scripts and socket into the agent', () => {
      const vols = (s: string) => services[s].volumes.map(String).join(' ');
      for (const v of ['/var/run/docker.sock:/var/run/docker.sock:ro', '/sys/fs/cgroup:/host/sys/fs/cgroup:ro', '/proc:/host/proc:ro']) expect(vols('collector')).to.contain(v);
      expect(vols('agent')).to.contain('/var/run/docker.sock:/var/run/docker.sock:ro');
      expect(vols('agent')).to.contain('/config/recovery:/etc/shipwatch-recovery:ro');
      expect(services.processor.user, 'processor as the image\'s unprivileged user').to.equal(undefined);
      expect(services.alerter.user).to.equal(undefined);
    });

    it('runs each app service from its own entry point, built from a source file that exists', () => {
      for (const s of ['collector', 'processor', 'alerter', 'agent']) {
        const [node, entry] = services[s].command;
        expect(node, s).to.equal('node');
        expect(entry, s).to.equal(`dist/${s}/main.js`);
        expect(existsSync(path.join(ROOT, `${s}/main.ts`)), s).to.equal(true);
      }
    });

    it('gives each app service longer to stop than its shutdownTimeout, and the alerter its API token', () => {
      for (const s of ['collector', 'processor', 'alerter', 'agent']) {
        expect(parseDuration(services[s].stop_grace_period), s).to.be.greaterThan(DEFAULTS.shutdownTimeout);
      }
      expect(services.alerter.environment.SHIPWATCH_ALERTER_API_TOKEN).to.match(/^[0-9a-f]{64}$/);
    });

    it('checks health through /healthz in every app service but the agent', () => {
      for (const s of ['collector', 'processor', 'alerter']) {
        expect(services[s].healthcheck.test.join(' '), s).to.contain('dist/common/healthcheck.js');
      }
      expect(services.collector.environment.SHIPWATCH_HEALTH_PORT).to.equal('9090');
      for (const s of ['influxdb', 'redis', 'grafana']) expect(services[s].healthcheck.test, s).to.be.an('array');
    });

    it('each app service\'s configuration (config/shipwatch.yaml and its variables) is valid', () => {
      for (const s of ['collector', 'processor', 'alerter', 'agent']) {
        const env = Object.fromEntries(Object.entries(services[s].environment).map(([k, v]) => [k, String(v ?? '')]));
        const cfg = loadConfig({ file: path.join(ROOT, 'config/shipwatch.yaml'), env });
        expect(cfg.influx.url, s).to.equal('http://influxdb:8086');
        expect(cfg.health.port, s).to.equal(9090);
        expect(cfg.influx.retention.raw, s).to.equal(7 * 86_400_000);
      }
    });

    it('.env.example lists every variable docker-compose.yml uses', () => {
      const compose = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
      const example = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
      const used = new Set([...compose.matchAll(/\$\{(\w+)/g)].map((m) => m[1]));
      const listed = new Set([...example.matchAll(/^(\w+)=/gm)].map((m) => m[1]));
      for (const v of used) expect(listed.has(v), `${v} missing from .env.example`).to.equal(true);
    });
  });
});
