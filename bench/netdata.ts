/**
 * Debian's Netdata as the benches' peer: 1 s updates, its configuration,
 * cache, lib and log in a temporary directory owned by its `netdata` user,
 * web API on 127.0.0.1 only, cloud, registry, statsd, telemetry and alarm
 * notifications off, stopped by PID.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LoopbackPeer, freePort } from '../test/helpers/peers.js';
import { processCpuMs, treeCpuMs } from './proc.js';

export function netdataMissing(): string | undefined {
  try {
    execFileSync('netdata', ['-v'], { stdio: 'ignore' });
    execFileSync('id', ['netdata'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'netdata is not installed (apt-get install netdata; its system service is not needed)';
  }
}

function chownTree(dir: string, uid: number, gid: number) {
  chownSync(dir, uid, gid);
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) chownTree(p, uid, gid);
    else chownSync(p, uid, gid);
  }
}

export class NetdataPeer extends LoopbackPeer {
  /** `dockerHost`: where its cgroup-name.sh asks for container names. */
  constructor(private readonly dockerHost: string) {
    super('netdata');
  }

  async start(): Promise<void> {
    this.port = await freePort();
    const d = (s: string) => path.join(this.dir, s);
    for (const s of ['etc', 'etc/cloud.d', 'log', 'cache', 'lib']) mkdirSync(d(s), { recursive: true });
    writeFileSync(d('etc/netdata.conf'), [
      '[global]', '\trun as user = netdata', '\tupdate every = 1', '\thostname = shipwatch-bench',
      '[directories]', `\tconfig = ${d('etc')}`, '\tstock config = /usr/lib/netdata/conf.d', `\tlog = ${d('log')}`,
      `\tcache = ${d('cache')}`, `\tlib = ${d('lib')}`, `\thome = ${d('lib')}`,
      '[logs]', '\taccess = none', '\tdebug = none', `\terror = ${d('log/error.log')}`,
      '[web]', `\tbind to = 127.0.0.1:${this.port}`,
      '[registry]', '\tenabled = no',
      '[statsd]', '\tenabled = no',
      '',
    ].join('\n'));
    writeFileSync(d('etc/cloud.d/cloud.conf'), '[global]\n\tenabled = no\n');
    writeFileSync(d('etc/.opt-out-from-anonymous-statistics'), '');
    writeFileSync(d('etc/health_alarm_notify.conf'), 'SEND_EMAIL="NO"\n');
    const uid = Number(execFileSync('id', ['-u', 'netdata']).toString());
    const gid = Number(execFileSync('id', ['-g', 'netdata']).toString());
    chownTree(this.dir, uid, gid);
    await this.launch('netdata', ['-D', '-c', d('etc/netdata.conf')], '/api/v1/info', {
      ...process.env, DOCKER_HOST: this.dockerHost, DO_NOT_TRACK: '1', DISABLE_TELEMETRY: '1',
    });
  }

  /** Distinct containers (cgroups) Netdata draws charts for now. */
  async cgroups(): Promise<number> {
    const r = (await (await fetch(`http://127.0.0.1:${this.port}/api/v1/charts`)).json()) as { charts: Record<string, unknown> };
    return new Set(Object.keys(r.charts).filter((k) => k.startsWith('cgroup_')).map((k) => k.split('.')[0])).size;
  }

  /** CPU of the daemon alone and of its whole process tree (plugins, helper scripts), ms. */
  cpu(): { daemon: number; tree: number } {
    return { daemon: processCpuMs(this.pid!), tree: treeCpuMs(this.pid!) };
  }

  override async stop(): Promise<void> {
    await super.stop(30_000);
  }
}
