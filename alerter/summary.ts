/** The alerter's start-up summary and what it warns about (pure; common/summary.ts). */
import type { Config } from '../common/config.js';
import type { AlerterConfig, ChildRoute } from '../common/config-alerter.js';
import { summary, influxTarget, redisTarget, withoutCredentials, type Summary } from '../common/summary.js';
import { CHANNELS } from './queues.js';

/** Problems of the configuration an operator must hear about at start and from /readyz. */
export function alerterWarnings(a: AlerterConfig): string[] {
  const out: string[] = [];
  if (a.receivers.length === 0) {
    out.push('no receiver configured (alerter.receivers): firing alerts reach no one');
  } else if (!a.route.receiver) {
    out.push('alerter.route.receiver is empty: alerts that no child route sends to a receiver reach no one');
  }
  if (a.api.enabled && !a.api.token) out.push('alerter.api.token is not set: the API answers 401 to everything but /healthz and /readyz');
  return out;
}

const countRoutes = (routes: ChildRoute[]): number => routes.reduce((n, r) => n + 1 + countRoutes(r.routes), 0);

/** The API's address in links: alerter.api.publicUrl, else host:port when the host is a specific address. */
export function apiPublicUrl(a: AlerterConfig, port: number | undefined): string {
  if (a.api.publicUrl) return a.api.publicUrl.replace(/\/+$/, '');
  if (!a.api.enabled || port === undefined || ['0.0.0.0', '::', ''].includes(a.api.host)) return '';
  const host = a.api.host.includes(':') ? `[${a.api.host}]` : a.api.host;
  return `http://${host}:${port}`;
}

export function alerterSummary(cfg: Config, apiPort: number | undefined): Summary {
  const a = cfg.alerter;
  const receivers = a.receivers.map((r) => `${r.name} (${CHANNELS.filter((c) => r[c]).join(', ')})`);
  const routes = countRoutes(a.route.routes);
  const rules = a.actions.rules.map((r) => `${r.name}: ${r.docker ? `docker ${r.docker}` : `script ${r.script}`}`);
  const api = a.api.enabled ? `API on http://${a.api.host}:${apiPort}, ${a.api.token ? 'token set' : 'NO token set (closed)'}` : 'API off';
  const links = apiPublicUrl(a, apiPort);
  return summary('alerter', [
    `taking alerts from ${redisTarget(cfg)}`,
    `receivers: ${receivers.length ? receivers.join(', ') : 'NONE'}`,
    `routes: default receiver ${a.route.receiver || '(none)'}, ${routes} child route${routes === 1 ? '' : 's'}, grouped by ${a.route.groupBy.join(', ')}` +
      (a.inhibit.length ? `, ${a.inhibit.length} inhibit rules` : ''),
    `recovery rules: ${rules.length ? rules.join(', ') : 'none'}`,
    api,
    `notifications link to Grafana ${withoutCredentials(a.grafana.url) || '(no link)'} and to snapshot pages at ${withoutCredentials(links) || '(no link: set alerter.api.publicUrl)'}`,
    `deliveries and recovery runs to ${influxTarget(cfg)}`,
  ], {
    receivers: a.receivers.map((r) => r.name),
    routes: { receiver: a.route.receiver, children: routes },
    recoveryRules: a.actions.rules.map((r) => r.name),
    api: a.api.enabled ? { address: `${a.api.host}:${apiPort}`, tokenSet: !!a.api.token } : 'off',
    links: { grafana: withoutCredentials(a.grafana.url), snapshots: withoutCredentials(links) },
  }, alerterWarnings(a));
}
