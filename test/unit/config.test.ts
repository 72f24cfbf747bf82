import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, parseConfig, envNameFor, DEFAULTS } from '../../common/config.js';
import { redactConfig } from '../../common/config-redact.js';
import { ConfigError } from '../../common/errors.js';
import { parseDuration } from '../../common/duration.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'shipwatch-config-'));
const file = (name: string, text: string) => {
  const p = path.join(tmp, name);
  writeFileSync(p, text);
  return p;
};

describe('configuration', () => {
  it('has the defaults an operator expects', () => {
    expect(DEFAULTS.collector.enabled).to.equal(true);
    expect(DEFAULTS.collector.logs.enabled).to.equal(false);
    expect(DEFAULTS.collector.interval).to.equal(30_000);
    expect(DEFAULTS.processor.averageWindow).to.equal(300_000);
    expect(DEFAULTS.processor.deltaWindow).to.equal(60_000);
    expect(DEFAULTS.docker.socketPath).to.equal('/var/run/docker.sock');
  });

  it('reads YAML and lets environment variables override it', () => {
    const p = file('a.yaml', 'collector:\n  interval: 10s\ninflux:\n  bucket: fromfile\n');
    const cfg = loadConfig({ file: p, env: { SHIPWATCH_INFLUX_BUCKET: 'fromenv', SHIPWATCH_COLLECTOR_LABEL_TAGS: 'a, b', SHIPWATCH_COLLECTOR_LOGS_ENABLED: 'true' } });
    expect(cfg.collector.interval).to.equal(10_000);
    expect(cfg.influx.bucket).to.equal('fromenv');
    expect(cfg.collector.labelTags).to.deep.equal(['a', 'b']);
    expect(cfg.collector.logs.enabled).to.equal(true);
  });

  it('reads secrets from *_FILE variables', () => {
    const secret = file('token', 's3cret\n');
    const cfg = loadConfig({ env: { SHIPWATCH_INFLUX_TOKEN_FILE: secret } });
    expect(cfg.influx.token).to.equal('s3cret');
    expect(JSON.stringify(redactConfig(cfg))).to.not.contain('s3cret');
  });

  it('names the key and the problem', () => {
    const bad = (raw: unknown) => {
      try {
        parseConfig(raw);
      } catch (e) {
        expect(e).to.be.instanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad({ collector: { interval: 'soon' } })).to.match(/collector\.interval: not a duration/);
    expect(bad({ collector: { intervall: '3s' } })).to.match(/collector\.intervall: unknown key/);
    expect(bad({ influx: { url: 'not a url' } })).to.match(/influx\.url/);
    expect(bad({ collector: { statsSource: 'magic' } })).to.match(/collector\.statsSource/);
    expect(() => loadConfig({ env: { SHIPWATCH_COLLECTOR_ENABLED: 'maybe' } })).to.throw(/collector\.enabled/);
    expect(() => loadConfig({ file: file('b.yaml', 'collector: [1, 2') })).to.throw(/not valid YAML/);
    expect(() => loadConfig({ file: path.join(tmp, 'missing.yaml') })).to.throw(/cannot read/);
  });

  it('takes the Docker engine from DOCKER_HOST, as the Docker CLI does, when no docker key names one', () => {
    expect(loadConfig({ env: { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' } }).docker.socketPath).to.equal('/run/user/1000/docker.sock');
    const tcp = loadConfig({ env: { DOCKER_HOST: 'tcp://10.0.0.5:2376', DOCKER_CERT_PATH: '/certs' } }).docker;
    expect(tcp.url).to.equal('tcp://10.0.0.5:2376');
    expect(tcp.tls).to.include({ ca: '/certs/ca.pem', cert: '/certs/cert.pem', key: '/certs/key.pem' });
    // A docker key set anywhere wins.
    expect(loadConfig({ env: { DOCKER_HOST: 'unix:///a.sock', SHIPWATCH_DOCKER_SOCKET_PATH: '/b.sock' } }).docker.socketPath).to.equal('/b.sock');
    expect(loadConfig({ file: file('d.yaml', 'docker:\n  url: tcp://h:2375\n'), env: { DOCKER_HOST: 'unix:///a.sock' } }).docker).to.include({ url: 'tcp://h:2375', socketPath: '/var/run/docker.sock' });
    expect(loadConfig({ env: {} }).docker.socketPath).to.equal('/var/run/docker.sock');
    expect(() => loadConfig({ env: { DOCKER_HOST: 'ssh://me@host' } })).to.throw(/docker \(from DOCKER_HOST\): unsupported address "ssh:\/\/me@host"/);
  });

  it('maps keys to env names', () => {
    expect(envNameFor('collector.statsConcurrency')).to.equal('SHIPWATCH_COLLECTOR_STATS_CONCURRENCY');
  });

  it('parses durations', () => {
    expect(parseDuration('1h30m')).to.equal(5_400_000);
    expect(parseDuration('250ms')).to.equal(250);
    expect(() => parseDuration('5 minutes')).to.throw();
  });
});
