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
      expect(out).to.contain('docker-proxy-collector:');
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
      const made = [
        'INFLUXDB_ADMIN_PASSWORD', 'GRAFANA_ADMIN_PASSWORD', 'ALERTER_API_TOKEN', 'ACTIONS_SIGNING_KEY',
        'REDIS_ADMIN_PASSWORD', 'REDIS_COLLECTOR_PASSWORD', 'REDIS_PROCESSOR_PASSWORD', 'REDIS_ALERTER_PASSWORD', 'REDIS_AGENT_PASSWORD',
      ];
      for (const k of made) expect(first[k], k).to.match(/^[0-9a-f]{64}$/);
      expect(new Set(made.map((k) => first[k])).size, 'each its own').to.equal(made.length);
      expect(first.SHIPWATCH_HOST, 'this machine\'s name').to.match(/^[A-Za-z0-9_.-]+$/);
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

    it('runs InfluxDB (and its set-up), Redis, Grafana, collector, processor, alerter, the recovery agent and two Docker proxies', () => {
      expect(Object.keys(services).sort()).to.deep.equal([
        'agent', 'alerter', 'collector', 'docker-proxy-agent', 'docker-proxy-collector', 'grafana', 'influxdb', 'influxdb-setup', 'processor', 'redis',
      ]);
      for (const [name, s] of Object.entries(services)) expect(s.restart, name).to.equal(name === 'influxdb-setup' ? 'no' : 'unless-stopped');
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
      // Its read-only token, from influxdb-setup's file, as the header the data source sends.
      expect(services.grafana.environment.INFLUX_HEADER_VALUE).to.equal(undefined);
      expect(services.grafana.entrypoint.join(' ')).to.match(/INFLUX_HEADER_VALUE="Token \$\$?\(cat \/run\/shipwatch-influx\/token\)" exec \/run.sh/);
      expect(services.influxdb.environment).to.include({ DOCKER_INFLUXDB_INIT_MODE: 'setup', DOCKER_INFLUXDB_INIT_RETENTION: '7d' });
    });

    it('gives the Docker socket to the two proxies only: the collector and the agent reach Docker through theirs', () => {
      const vols = (s: string) => (services[s].volumes ?? []).map(String).join(' ');
      const withSocket = Object.keys(services).filter((s) => vols(s).includes('/var/run/docker.sock'));
      expect(withSocket.sort()).to.deep.equal(['docker-proxy-agent', 'docker-proxy-collector']);
      for (const [proxy, client, cfg] of [['docker-proxy-collector', 'collector', 'docker-collector.cfg'], ['docker-proxy-agent', 'agent', 'docker-agent.cfg']]) {
        const p = services[proxy];
        expect(p.network_mode, `${proxy} has no network`).to.equal('none');
        expect(p.command.join(' ')).to.contain(`/etc/shipwatch-haproxy/${cfg}`);
        expect(p.build.target).to.equal('docker-proxy');
        // The socket volume is shared by the proxy and its one client.
        const volume = vols(proxy).match(/(docker-\w+):\/run\/shipwatch-docker/)![1];
        const sharing = Object.keys(services).filter((s) => vols(s).includes(`${volume}:/run/shipwatch-docker`));
        expect(sharing.sort()).to.deep.equal([client, proxy].sort());
        expect(services[client].environment.SHIPWATCH_DOCKER_SOCKET_PATH).to.equal(p.environment.SHIPWATCH_PROXY_SOCKET);
      }
      for (const v of ['/sys/fs/cgroup:/host/sys/fs/cgroup:ro', '/proc:/host/proc:ro']) expect(vols('collector')).to.contain(v);
      expect(vols('agent')).to.contain('/config/recovery:/etc/shipwatch-recovery:ro');
      for (const s of ['processor', 'alerter', 'agent']) expect(services[s].user, `${s} as the image's unprivileged user`).to.equal(undefined);
      expect(services.agent.build.target).to.equal('agent');
    });

    it('gives each component its own Redis user and InfluxDB token; the admin token only to InfluxDB and its set-up', () => {
      const env = (s: string) => services[s].environment ?? {};
      expect(env('collector').SHIPWATCH_REDIS_USERNAME).to.equal('collector');
      expect(env('processor').SHIPWATCH_REDIS_USERNAME).to.equal('processor');
      expect(env('alerter').SHIPWATCH_REDIS_USERNAME).to.equal('alerter');
      expect(env('agent').SHIPWATCH_REDIS_USERNAME).to.equal(`agent-${envOf(path.join(dir, '.env')).SHIPWATCH_HOST}`);
      const passwords = ['collector', 'processor', 'alerter', 'agent'].map((s) => env(s).SHIPWATCH_REDIS_PASSWORD);
      expect(new Set(passwords).size).to.equal(4);
      expect(services.redis.command.join(' ')).to.contain('--aclfile');
      const admin = envOf(path.join(dir, '.env')).INFLUXDB_TOKEN;
      const holders = Object.keys(services).filter((s) => JSON.stringify(services[s]).includes(admin));
      expect(holders.sort()).to.deep.equal(['influxdb', 'influxdb-setup']);
      const vols = (s: string) => (services[s].volumes ?? []).map(String).join(' ');
      for (const [s, volume] of [['collector', 'influx-collector'], ['processor', 'influx-processor'], ['alerter', 'influx-alerter'], ['agent', 'influx-agent'], ['grafana', 'influx-grafana']]) {
        expect(vols(s), s).to.contain(`${volume}:/run/shipwatch-influx:ro`);
        const others = Object.keys(services).filter((x) => x !== s && x !== 'influxdb-setup' && vols(x).includes(`${volume}:`));
        expect(others, `${volume} mounted only by ${s}`).to.deep.equal([]);
        if (s !== 'grafana') expect(services[s].environment.SHIPWATCH_INFLUX_TOKEN_FILE, s).to.equal('/run/shipwatch-influx/token');
      }
      expect(services['influxdb-setup'].command.join(' ')).to.contain('dist/common/influx-setup.js');
      expect(env('alerter').SHIPWATCH_ALERTER_ACTIONS_SIGNING_KEY).to.equal(env('agent').SHIPWATCH_ALERTER_ACTIONS_SIGNING_KEY);
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
      // The token file influxdb-setup writes, here a stand-in.
      const tokenFile = path.join(dir, 'token');
      writeFileSync(tokenFile, 'a-component-token\n');
      for (const s of ['collector', 'processor', 'alerter', 'agent', 'influxdb-setup']) {
        const env = Object.fromEntries(Object.entries(services[s].environment).map(([k, v]) => [k, k.endsWith('_FILE') ? tokenFile : String(v ?? '')]));
        const cfg = loadConfig({ file: path.join(ROOT, 'config/shipwatch.yaml'), env });
        expect(cfg.influx.url, s).to.equal('http://influxdb:8086');
        if (s === 'influxdb-setup') {
          expect(cfg.influx.retention.raw, s).to.equal(7 * 86_400_000);
          expect(cfg.influx.retention.manage, s).to.equal(true);
        } else {
          expect(cfg.health.port, s).to.equal(9090);
          expect(cfg.influx.token, s).to.equal('a-component-token');
          expect(cfg.influx.retention.manage, s).to.equal(false);
        }
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
