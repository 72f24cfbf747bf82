/**
 * The environment of a recovery script (pure): the alert's facts as
 * variables, never as arguments or command text, plus a fixed PATH. Nothing
 * else of the agent's environment (which may hold secrets) is passed on.
 */
import type { ActionFacts } from '../common/queue/actions.js';

export const SCRIPT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function scriptEnv(f: ActionFacts): Record<string, string> {
  return {
    PATH: SCRIPT_PATH,
    LANG: 'C.UTF-8',
    SHIPWATCH_CONTAINER_ID: f.containerId,
    SHIPWATCH_CONTAINER_NAME: f.container,
    SHIPWATCH_HOST: f.host,
    SHIPWATCH_RULE: f.rule,
    SHIPWATCH_SEVERITY: f.severity,
    SHIPWATCH_VALUE: f.value === null ? '' : String(f.value),
    SHIPWATCH_SNAPSHOT_ID: f.snapshotId ?? '',
    SHIPWATCH_ALERT_KEY: f.alertKey,
  };
}
