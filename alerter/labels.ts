/** The labels routes, silences, inhibition and actions match on: the alert's own plus its facts. */
import type { AlertMessage } from '../common/queue/alerts.js';

export function alertLabels(m: Pick<AlertMessage, 'labels' | 'rule' | 'severity' | 'host' | 'container'>): Record<string, string> {
  // The facts win over same-named free labels: routing on them must not be spoofable by a rule's labels.
  return { ...m.labels, alertname: m.rule, rule: m.rule, severity: m.severity, host: m.host, container: m.container };
}
