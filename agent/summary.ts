/** The agent's start-up summary (pure; common/summary.ts). */
import type { Config } from '../common/config.js';
import { summary, influxTarget, redisTarget, dockerTarget, durationText, type Summary } from '../common/summary.js';
import { actionCommand } from '../common/queue/actions.js';

export function agentSummary(cfg: Config, host: string, serverVersion: string): Summary {
  const a = cfg.alerter.actions;
  const rules = a.rules.map((r) => `${r.name}: ${r.script ? `script ${r.script}` : actionCommand(r).replace(':', ' ')}`);
  const warnings: string[] = [];
  if (a.rules.length === 0) warnings.push('no recovery rules (alerter.actions.rules): this agent will run nothing');
  if (!a.signingKey) {
    warnings.push('alerter.actions.signingKey is not set: actions are not signed; anyone who can write this host\'s action queue can trigger this agent\'s rules');
  }
  return summary('agent', [
    `host ${host} (${dockerTarget(cfg, serverVersion)})`,
    `actions for this host from ${redisTarget(cfg)}`,
    `recovery rules: ${rules.length ? rules.join(', ') : 'none'}`,
    a.scriptsDir ? `scripts from ${a.scriptsDir}` : 'no scripts directory',
    `${a.concurrency} at once, each within ${durationText(a.timeout)}, verified within ${durationText(a.verifyWithin)}`,
    a.signingKey ? 'only actions signed with alerter.actions.signingKey' : 'actions NOT signed',
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
