import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ROOT } from '../helpers/paths.js';
import { loadConfig } from '../../common/config.js';

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

  describe('the whole stack', function () {
    this.timeout(60_000);
    let dir: string;
    let services: Record<string, any>;

    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'shipwatch-compose-'));
      copyFileSync(path.join(ROOT, 'docker-compose.yml'), path.join(dir, 'docker-compose.yml'));
      copyFileSync(path.join(ROOT, '.env.example'), path.join(dir, '.env'));
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
      expect(services.grafana.environment).to.include({ GF_SECURITY_ADMIN_PASSWORD: 'change-me-please', INFLUX_HEADER_NAME: 'Authorization', INFLUX_DATABASE: 'shipwatch' });
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
