/** Security posture on inspect answers recorded from containers run with one risky setting each. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { assessPosture, describeFindings, engineSecurity, postureInput, CHECKS, type PostureInput } from '../../collector/posture/checks.js';
import { postureLine } from '../../collector/posture/lines.js';
import { FIXTURES } from '../helpers/paths.js';

const DIR = path.join(FIXTURES, 'posture');
const inspect = (name: string) => JSON.parse(readFileSync(path.join(DIR, `${name}.json`), 'utf8')) as PostureInput;
const expected = JSON.parse(readFileSync(path.join(DIR, 'expected.json'), 'utf8')) as {
  engine: { apparmor: boolean; selinux: boolean };
  checked: number;
  containers: Record<string, { score: number; failed: string[]; counts: Record<string, number>; findings?: string }>;
};

describe('security posture (CIS Docker Benchmark checks as docker-bench-security numbers them)', () => {
  for (const [name, want] of Object.entries(expected.containers)) {
    it(`${name}: score, failed checks and counts`, () => {
      const p = assessPosture(inspect(name), expected.engine);
      expect(p.failed.map((f) => f.id)).to.deep.equal(want.failed);
      expect(p.counts).to.deep.equal(want.counts);
      expect(p.score).to.equal(want.score);
      expect(p.checked).to.equal(expected.checked);
      if (want.findings !== undefined) expect(describeFindings(p.failed)).to.equal(want.findings);
    });
  }

  it('the subset kept in a container\'s metadata gives the same verdict as the whole answer', () => {
    for (const name of Object.keys(expected.containers)) {
      expect(assessPosture(postureInput(inspect(name)), expected.engine), name).to.deep.equal(assessPosture(inspect(name), expected.engine));
    }
  });

  it('AppArmor and SELinux checks apply only where the engine runs them', () => {
    const engine = engineSecurity(['name=seccomp,profile=default', 'name=apparmor']);
    expect(engine).to.deep.equal({ apparmor: true, selinux: false });
    const p = assessPosture(inspect('default'), engine);
    expect(p.checked).to.equal(expected.checked + 1);
    expect(p.failed.find((f) => f.id === '5.1')).to.deep.include({ severity: 'medium', detail: 'none' });
    expect(p.score).to.equal(83);
    const latest = assessPosture(inspect('latest'), engine);
    expect(latest.failed.find((f) => f.id === '5.1')?.detail).to.equal('unconfined');
    const selinux = assessPosture(inspect('hostns'), engineSecurity(['name=selinux']));
    expect(selinux.failed.find((f) => f.id === '5.2')?.detail).to.equal('label=disable');
  });

  it('a read-only sensitive mount is high, a read-write one critical; added default capabilities are no finding', () => {
    const latest = assessPosture(inspect('latest'), expected.engine).failed.find((f) => f.id === '5.5')!;
    expect(latest).to.deep.include({ severity: 'high', detail: '/ read-only' });
    const hostns = assessPosture(inspect('hostns'), expected.engine).failed.find((f) => f.id === '5.5')!;
    expect(hostns).to.deep.include({ severity: 'critical', detail: '/etc read-write' });
    const onlyNet = { ...inspect('capadd'), HostConfig: { ...inspect('capadd').HostConfig, CapAdd: ['NET_ADMIN', 'CHOWN'] } };
    expect(assessPosture(onlyNet, expected.engine).failed.find((f) => f.id === '5.3')).to.deep.include({ severity: 'high', detail: 'NET_ADMIN' });
    const defaults = { ...onlyNet, HostConfig: { ...onlyNet.HostConfig, CapAdd: ['CAP_CHOWN', 'kill'] } };
    expect(assessPosture(defaults, expected.engine).failed.find((f) => f.id === '5.3')).to.equal(undefined);
  });

  it('restart policies without a retry limit fail 5.14; pinned images pass 5.27', () => {
    const base = inspect('default');
    const withPolicy = (Name: string, MaximumRetryCount = 0) => ({ ...base, HostConfig: { ...base.HostConfig, RestartPolicy: { Name, MaximumRetryCount } } });
    const ids = (i: PostureInput) => assessPosture(i, expected.engine).failed.map((f) => f.id);
    expect(ids(withPolicy('unless-stopped'))).to.include('5.14');
    expect(ids(withPolicy('on-failure'))).to.include('5.14');
    expect(ids(withPolicy('on-failure', 3))).to.not.include('5.14');
    expect(ids(withPolicy('no'))).to.not.include('5.14');
    const image = (Image: string) => ({ ...base, Config: { ...base.Config, Image } });
    expect(ids(image('redis'))).to.include('5.27');
    expect(ids(image('redis:latest'))).to.include('5.27');
    expect(ids(image('registry.local:5000/redis'))).to.include('5.27');
    expect(ids(image('redis:7.2'))).to.not.include('5.27');
    expect(ids(image('redis@sha256:' + 'a'.repeat(64)))).to.not.include('5.27');
    expect(ids(image('sha256:' + 'b'.repeat(64)))).to.not.include('5.27');
  });

  it('every check cites a docker-bench-security ID and title once', () => {
    const ids = CHECKS.map((c) => c.id);
    expect(new Set(ids).size).to.equal(ids.length);
    for (const c of CHECKS) expect(c.title, c.id).to.match(/^Ensure /);
  });

  it('line: score, counts, failed IDs and findings after the container key', () => {
    const p = assessPosture(inspect('socket'), expected.engine);
    expect(postureLine('docker_container_posture,container_name=fx-socket', p, 2000)).to.equal(
      'docker_container_posture,container_name=fx-socket score=75i,critical=1i,high=0i,medium=3i,low=4i,' +
        `failed="5.31,4.1,5.10,5.28,5.11,5.12,5.25,5.26",findings="${expected.containers.socket.findings}" 2000000000`,
    );
  });
});
