/**
 * shipwatch-exec CONTAINER COMMAND [ARG...]: runs a command in a container
 * through the Docker API, as the agent's built-in exec action does, for
 * recovery scripts. `docker exec` cannot pass the agent's Docker proxy: it
 * asks for an HTTP upgrade on a request with a body, which HAProxy 2.4 and
 * later forward without the upgrade. Prints the command's output and exits
 * with its exit code; 124 at the timeout (SHIPWATCH_EXEC_TIMEOUT seconds,
 * default 60), 125 when Docker refused or failed. Talks to DOCKER_HOST (the
 * agent sets it for scripts).
 */
import Docker from 'dockerode';
import { runDockerAction } from './docker-actions.js';

const [container, ...command] = process.argv.slice(2);
if (!container || command.length === 0) {
  process.stderr.write('usage: shipwatch-exec CONTAINER COMMAND [ARG...]\n');
  process.exit(2);
}
const host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
const docker = host.startsWith('unix://')
  ? new Docker({ socketPath: host.slice('unix://'.length) })
  : new Docker({ host: new URL(host.replace(/^tcp:/, 'http:')).hostname, port: Number(new URL(host.replace(/^tcp:/, 'http:')).port || 2375) });
const timeoutS = Number(process.env.SHIPWATCH_EXEC_TIMEOUT ?? 60);
const r = await runDockerAction(docker, container, { docker: 'exec', command }, {
  timeoutMs: (Number.isFinite(timeoutS) && timeoutS > 0 ? timeoutS : 60) * 1000,
  stopGraceS: 0,
  outputLimit: 8 * 1024 * 1024,
});
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
if (r.detail) process.stderr.write(`shipwatch-exec: ${r.detail}\n`);
process.exitCode = r.outcome === 'timeout' ? 124 : r.exitCode ?? 125;
