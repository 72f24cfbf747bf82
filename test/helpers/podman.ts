/**
 * A real Podman engine for tests: `podman system service` serving the
 * Docker-compatible API on a socket in a temporary directory, with storage,
 * run state and network configuration of its own, stopped by PID.
 *
 * Podman's default ulimits cannot be set in some sandboxes ("error setting
 * rlimit"): CONTAINERS_CONF points at a file that empties them. Containers
 * join a bridge network of the run's own (its own bridge name and subnet,
 * no masquerading, no firewall rules) so that engines side by side do not
 * share one. No registry is reachable: the test image comes from the Docker
 * engine (`docker save | podman load`).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { PeerProcess } from './peers.js';
import { services, eventually } from './services.js';

/** Why Podman tests cannot run here, or undefined when they can. */
export function podmanMissing(): string | undefined {
  try {
    execFileSync('podman', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'podman is not installed (scripts/services.sh install installs it)';
  }
}

export class PodmanService {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'sw-podman-'));
  readonly socket = path.join(this.dir, 'podman.sock');
  /** the network containers join */
  readonly network: string;
  /** its gateway, on the host */
  readonly gateway: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly global: string[];
  private service: PeerProcess | undefined;

  constructor() {
    // One subnet and bridge per engine set beside others on the machine (see scripts/services.sh).
    const k = Number(process.env.SHIPWATCH_DOCKER_ISOLATED ?? 0) || 0;
    this.network = `swpod${k}`;
    this.gateway = `10.${200 + k}.0.1`;
    const conf = path.join(this.dir, 'containers.conf');
    const nets = path.join(this.dir, 'networks');
    mkdirSync(nets);
    writeFileSync(conf, `[containers]\ndefault_ulimits = []\n[network]\nnetwork_config_dir = "${nets}"\n`);
    writeFileSync(path.join(nets, `${this.network}.conflist`), JSON.stringify({
      cniVersion: '0.4.0',
      name: this.network,
      plugins: [
        {
          type: 'bridge', bridge: this.network, isGateway: true, ipMasq: false, hairpinMode: true,
          ipam: { type: 'host-local', routes: [{ dst: '0.0.0.0/0' }], ranges: [[{ subnet: `10.${200 + k}.0.0/24`, gateway: this.gateway }]] },
        },
        { type: 'tuning' },
      ],
    }));
    this.env = { ...process.env, CONTAINERS_CONF: conf };
    this.global = ['--root', path.join(this.dir, 'root'), '--runroot', path.join(this.dir, 'run')];
  }

  /** Runs the podman CLI against this engine's storage; its stdout. */
  podman(args: string[], input?: Buffer): string {
    return execFileSync('podman', [...this.global, ...args], { env: this.env, input, stdio: ['pipe', 'pipe', 'pipe'] }).toString().trim();
  }

  /** A client of the service's Docker-compatible API. */
  docker(): Docker {
    return new Docker({ socketPath: this.socket });
  }

  async start(): Promise<void> {
    this.service = new PeerProcess('podman', 'podman', [...this.global, 'system', 'service', '--time=0', `unix://${this.socket}`], this.env);
    const d = this.docker();
    await eventually(async () => {
      if (!this.service!.running) throw new Error(`podman system service exited: ${this.service!.output.slice(-2000)}`);
      return existsSync(this.socket) && (await d.ping().then(() => true, () => false));
    }, 60_000, 200);
  }

  /** Copies an image from the tests' Docker engine: `docker save IMAGE | podman load`. */
  async loadFromDocker(image = services().testImage): Promise<void> {
    const save = spawn('docker', ['save', image], { env: { ...process.env, DOCKER_HOST: services().dockerHost }, stdio: ['ignore', 'pipe', 'inherit'] });
    const load = spawn('podman', [...this.global, 'load'], { env: this.env, stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    load.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    save.stdout!.pipe(load.stdin!);
    const code = await new Promise<number | null>((r) => load.on('exit', r));
    if (code !== 0) throw new Error(`podman load failed (${code}): ${err.slice(-2000)}`);
  }

  /** `podman run -d` on the run's network; the container ID. */
  run(name: string, cmd: string[], opts: { labels?: Record<string, string>; image?: string } = {}): string {
    const labels = Object.entries(opts.labels ?? {}).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
    return this.podman(['run', '-d', '--name', name, '--network', this.network, ...labels, opts.image ?? services().testImage, ...cmd]);
  }

  /** Removes every container and image, stops the service by PID, deletes the directory. */
  async stop(): Promise<void> {
    try {
      this.podman(['rm', '-af', '-t', '0']);
    } catch {
      // nothing to remove, or the storage was never set up
    }
    await this.service?.stop();
    try {
      // Unmounts what the storage still has mounted before the directory goes.
      this.podman(['system', 'reset', '-f']);
    } catch {
      // never initialised
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
