/**
 * The built-in recovery actions, through the Docker API (dockerode): restart,
 * stop, start, kill with a signal, exec a command in the container. Each call
 * is abandoned at the action's timeout; an exec's output is kept up to the
 * output limit. Only these exist: an action name outside DOCKER_ACTIONS is a
 * type error here and a validation error on the job.
 */
import type Docker from 'dockerode';
import type { DockerAction } from '../common/queue/actions.js';
import { dockerStatus } from '../common/docker.js';
import { Capped } from './script-runner.js';

export interface DockerActionSpec {
  docker: DockerAction;
  signal?: string;
  command?: string[];
}

export interface DockerActionOptions {
  timeoutMs: number;
  /** stop, restart: seconds Docker waits between SIGTERM and SIGKILL */
  stopGraceS: number;
  outputLimit: number;
}

export interface DockerActionRun {
  outcome: 'ok' | 'failed' | 'timeout' | 'error';
  exitCode: number | null;
  stdout: string;
  stderr: string;
  detail: string;
}

const isAbort = (e: unknown) => (e as Error)?.name === 'AbortError' || /aborted/i.test((e as Error)?.message ?? '');

export async function runDockerAction(docker: Docker, target: string, spec: DockerActionSpec, o: DockerActionOptions): Promise<DockerActionRun> {
  const signal = AbortSignal.timeout(o.timeoutMs);
  const c = docker.getContainer(target);
  try {
    switch (spec.docker) {
      case 'restart':
        await c.restart({ t: o.stopGraceS, abortSignal: signal });
        break;
      case 'stop':
        await c.stop({ t: o.stopGraceS, abortSignal: signal });
        break;
      case 'start':
        await c.start({ abortSignal: signal });
        break;
      case 'kill':
        await c.kill({ signal: spec.signal ?? 'SIGKILL', abortSignal: signal });
        break;
      case 'exec':
        return await execIn(c, spec.command ?? [], signal, o);
    }
    return { outcome: 'ok', exitCode: 0, stdout: '', stderr: '', detail: '' };
  } catch (e) {
    if (signal.aborted || isAbort(e)) return { outcome: 'timeout', exitCode: null, stdout: '', stderr: '', detail: `no answer from Docker within ${o.timeoutMs} ms` };
    // 304: already in the wanted state (started, stopped).
    if (dockerStatus(e) === 304) return { outcome: 'ok', exitCode: 0, stdout: '', stderr: '', detail: 'already so' };
    return { outcome: 'error', exitCode: null, stdout: '', stderr: '', detail: (e as Error).message };
  }
}

/** Runs the command in the container (no TTY, no stdin), output demultiplexed and capped; its exit code decides. */
async function execIn(c: Docker.Container, cmd: string[], signal: AbortSignal, o: DockerActionOptions): Promise<DockerActionRun> {
  const exec = await c.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, AttachStdin: false, Tty: false, abortSignal: signal });
  const stream = await exec.start({ hijack: true, stdin: false, abortSignal: signal });
  const out = new Capped(o.outputLimit);
  const err = new Capped(o.outputLimit);
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      stream.destroy();
      reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    c.modem.demuxStream(stream, { write: (b: Buffer) => out.push(b) } as NodeJS.WritableStream, { write: (b: Buffer) => err.push(b) } as NodeJS.WritableStream);
    stream.on('end', () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
    stream.on('error', (e) => {
      signal.removeEventListener('abort', onAbort);
      reject(e);
    });
  });
  const info = await exec.inspect({ abortSignal: signal } as object);
  const exitCode = info.ExitCode ?? null;
  return { outcome: exitCode === 0 ? 'ok' : 'failed', exitCode, stdout: out.text(), stderr: err.text(), detail: '' };
}
