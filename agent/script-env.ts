/**
 * The environment of a recovery script (pure): the alert's facts as
 * variables, never as arguments or command text, plus a fixed PATH. Nothing
 * else of the agent's environment (which may hold secrets) is passed on.
 */
import type { ActionFacts } from '../common/queue/actions.js';

export const SCRIPT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** What the agent adds about the run itself. */
export interface RunEnv {
  runId: string;
  action: string;
  /** a directory for this run only; files left in it are attached to the run */
  outputDir: string;
  /** the Docker engine the script should talk to (the agent's, through its proxy) */
  dockerHost: string;
  /** the agent's helpers (shipwatch-exec), first in PATH */
  binDir: string;
}

export function scriptEnv(f: Omit<ActionFacts, 'labels'>, run?: RunEnv): Record<string, string> {
  return {
    PATH: run ? `${run.binDir}:${SCRIPT_PATH}` : SCRIPT_PATH,
    LANG: 'C.UTF-8',
    SHIPWATCH_CONTAINER_ID: f.containerId,
    SHIPWATCH_CONTAINER_NAME: f.container,
    SHIPWATCH_HOST: f.host,
    SHIPWATCH_RULE: f.rule,
    SHIPWATCH_SEVERITY: f.severity,
    SHIPWATCH_VALUE: f.value === null ? '' : String(f.value),
    SHIPWATCH_SNAPSHOT_ID: f.snapshotId ?? '',
    SHIPWATCH_ALERT_KEY: f.alertKey,
    ...(run && {
      SHIPWATCH_RUN_ID: run.runId,
      SHIPWATCH_ACTION: run.action,
      SHIPWATCH_OUTPUT_DIR: run.outputDir,
      DOCKER_HOST: run.dockerHost,
    }),
  };
}
