/**
 * A Docker engine of a test's own, beside the shared one: scripts/services.sh
 * started with a run directory (data root, exec root, pid file), a socket and
 * a bridge and address pool of its own (its SHIPWATCH_DOCKER_ISOLATED mode),
 * so it may be stopped and restarted without touching the engine other tests
 * use. Stopped by the PID services.sh recorded, never by name.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { ROOT } from './paths.js';

/** Bridge numbers of the engines a test starts: after the shared engine's, within services.sh's 1-99. */
const OFFSET: Record<string, number> = { b: 50, chaos: 60, soak: 70 };

export class OwnEngine {
  readonly dir: string;
  readonly socketPath: string;
  private readonly bridge: number;
  private startedOnce = false;

  /** `name`: b, chaos or soak; each has its own directory, socket and bridge. `flags`: more dockerd flags. */
  constructor(readonly name: keyof typeof OFFSET, private readonly flags: string[] = []) {
    const base = process.env.SHIPWATCH_RUN_DIR ?? '/tmp/shipwatch-services';
    this.dir = path.join(base, `engine-${name}`);
    this.socketPath = path.join(this.dir, 'docker.sock');
    this.bridge = Number(process.env.SHIPWATCH_DOCKER_ISOLATED || 0) + OFFSET[name];
    if (this.bridge > 99) throw new Error(`no bridge number left for engine ${name} (SHIPWATCH_DOCKER_ISOLATED too high)`);
  }

  private services(cmd: 'start' | 'stop'): void {
    execFileSync(path.join(ROOT, 'scripts/services.sh'), [cmd, 'docker'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        SHIPWATCH_RUN_DIR: this.dir,
        SHIPWATCH_DOCKER_SOCK: this.socketPath,
        SHIPWATCH_DOCKER_ISOLATED: String(this.bridge),
        SHIPWATCH_DOCKER_FLAGS: this.flags.join(' '),
      },
    });
  }

  /** Starts the engine (or finds it answering) and imports the test image into it. */
  start(): this {
    // A network store left by an earlier run makes dockerd delete that run's default bridge at start-up,
    // and with it the shared engine's docker0: a first start begins with none. A restart keeps it.
    if (!this.startedOnce && !this.running()) rmSync(path.join(this.dir, 'docker', 'data', 'network'), { recursive: true, force: true });
    this.startedOnce = true;
    this.services('start');
    return this;
  }

  /** Stops the engine by the PID services.sh recorded; its containers stop with it. */
  stop(): void {
    this.services('stop');
  }

  /** dockerd's PID while it runs (the one services.sh started), else undefined. */
  pid(): number | undefined {
    const f = path.join(this.dir, 'docker.started.pid');
    return existsSync(f) ? Number(readFileSync(f, 'utf8')) : undefined;
  }

  private running(): boolean {
    const pid = this.pid();
    if (!pid) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  docker(): Docker {
    return new Docker({ socketPath: this.socketPath });
  }
}
