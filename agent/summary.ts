/** The agent's start-up summary (pure; common/summary.ts). */
import type { Config } from '../common/config.js';
import { summary, influxTarget, redisTarget, dockerTarget, durationText, type Summary } from '../common/summary.js';

export function agentSummary(cfg: Config, host: string, serverVersion: string): Summary {
  const a = cfg.alerter.actions;
  const rules = a.rules.map((r) => `${r.name}: ${r.docker ? `docker ${r.docker}` : `script ${r.script}`}`);
  const warnings: string[] = [];
  if (a.rules.length === 0) warnings.push('no recovery rules (alerter.actions.rules): this agent will run nothing');
  return summary('agent', [
    `host ${host} (${dockerTarget(cfg, serverVersion)})`,
    `actions for this host from ${redisTarget(cfg)}`,
    `recovery rules: ${rules.length ? rules.join(', ') : 'none'}`,
    a.scriptsDir ? `scripts from ${a.scriptsDir}` : 'no scripts directory',
    `${a.concurrency} at once, each within ${durationText(a.timeout)}, verified within ${durationText(a.verifyWithin)}`,
    `runs to ${influxTarget(cfg)}`,
  ], {
    host,
    docker: dockerTarget(cfg, serverVersion),
    recoveryRules: a.rules.map((r) => r.name),
    scriptsDir: a.scriptsDir,
    concurrency: a.concurrency,
    timeout: durationText(a.timeout),
  }, warnings);
}
