/** Every provisioned dashboard, built from the TypeScript sources in grafana/dashboards/. */
import { overview } from './dashboards/overview.js';
import { container } from './dashboards/container.js';
import { images } from './dashboards/images.js';
import { compare } from './dashboards/compare.js';
import { alerts } from './dashboards/alerts.js';
import type { Dashboard } from './lib/model.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the dashboard provider (provisioning/dashboards/shipwatch.yaml) finds the JSON. */
export const DASHBOARD_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../provisioning/dashboards');

/** The JSON files Grafana loads, by file name under provisioning/dashboards/. */
export function buildDashboards(): Array<{ file: string; dashboard: Dashboard }> {
  return [
    { file: 'overview.json', dashboard: overview() },
    { file: 'container.json', dashboard: container() },
    { file: 'images.json', dashboard: images() },
    { file: 'compare.json', dashboard: compare() },
    { file: 'alerts.json', dashboard: alerts() },
  ];
}

export const render = (d: Dashboard) => JSON.stringify(d, null, 2) + '\n';
