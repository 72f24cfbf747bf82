/**
 * Writes the dashboards Grafana loads: provisioning/dashboards/*.json.
 * Usage: npm run dashboards [-- --check]  (--check: exit 1 when a file is out of date)
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { buildDashboards, render, DASHBOARD_DIR } from './index.js';

const check = process.argv.includes('--check');
let stale = 0;
mkdirSync(DASHBOARD_DIR, { recursive: true });
for (const { file, dashboard } of buildDashboards()) {
  const out = path.join(DASHBOARD_DIR, file);
  const text = render(dashboard);
  const same = existsSync(out) && readFileSync(out, 'utf8') === text;
  if (check) {
    if (!same) {
      stale++;
      console.error(`${path.relative(process.cwd(), out)} is out of date: run npm run dashboards`);
    }
  } else if (!same) {
    writeFileSync(out, text);
    console.log(`wrote ${path.relative(process.cwd(), out)}`);
  }
}
if (stale) process.exit(1);
