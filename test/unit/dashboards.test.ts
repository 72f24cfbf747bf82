/** The provisioned dashboards and provisioning files are valid for Grafana and consistent with each other. */
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Ajv } from 'ajv';
import { buildDashboards, render, DASHBOARD_DIR } from '../../grafana/index.js';
import { DATASOURCE, DASHBOARD_TAG, type Dashboard } from '../../grafana/lib/model.js';
import { allPanels, allQueries, referencedVariables } from '../helpers/grafana.js';
import { ROOT, FIXTURES } from '../helpers/paths.js';

const SCHEMAS = path.join(FIXTURES, 'grafana-jsonschema');

/** Variables Grafana defines itself, and the InfluxDB alias patterns ($tag_x, $col, $m). */
const BUILT_IN = new Set(['timeFilter', '__interval', '__interval_ms', '__from', '__to', '__url_time_range', '__value', '__data', '__all', 'col', 'm']);

/** Every string in a JSON value, with where it is. */
function strings(v: unknown, at = ''): Array<[string, string]> {
  if (typeof v === 'string') return [[at, v]];
  if (Array.isArray(v)) return v.flatMap((x, i) => strings(x, `${at}[${i}]`));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => strings(x, `${at}.${k}`));
  return [];
}

function datasourceRefs(v: unknown, at = ''): Array<[string, unknown]> {
  if (Array.isArray(v)) return v.flatMap((x, i) => datasourceRefs(x, `${at}[${i}]`));
  if (v && typeof v === 'object') {
    return Object.entries(v).flatMap(([k, x]) => (k === 'datasource' ? [[`${at}.${k}`, x] as [string, unknown]] : datasourceRefs(x, `${at}.${k}`)));
  }
  return [];
}

describe('Grafana dashboards', () => {
  const built = buildDashboards();
  // What Grafana loads: the committed files, read back as JSON.
  const committed = readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.json'));
  const loaded: Dashboard[] = committed.map((f) => JSON.parse(readFileSync(path.join(DASHBOARD_DIR, f), 'utf8')));
  const uids = new Set(loaded.map((d) => d.uid));

  it('the committed JSON is what the TypeScript sources generate (run npm run dashboards)', () => {
    expect(committed.sort()).to.deep.equal(built.map((b) => b.file).sort());
    for (const { file, dashboard } of built) {
      expect(readFileSync(path.join(DASHBOARD_DIR, file), 'utf8'), file).to.equal(render(dashboard));
    }
  });

  it('has the five dashboards with their fixed uids', () => {
    expect([...uids].sort()).to.deep.equal(['shipwatch-alerts', 'shipwatch-compare', 'shipwatch-container', 'shipwatch-images', 'shipwatch-overview']);
  });

  it('validates against Grafana\'s dashboard JSON Schema, and each panel\'s options and field config against its type\'s', () => {
    const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    for (const f of readdirSync(SCHEMAS).filter((x) => x.endsWith('.jsonschema.json'))) {
      ajv.addSchema(JSON.parse(readFileSync(path.join(SCHEMAS, f), 'utf8')), f);
    }
    const dashboardSchema = ajv.getSchema('dashboard.jsonschema.json')!;
    for (const d of loaded) {
      expect(dashboardSchema(d), `${d.uid}: ${ajv.errorsText(dashboardSchema.errors)}`).to.equal(true);
      for (const p of allPanels(d)) {
        const options = ajv.getSchema(`${p.type.toLowerCase()}.jsonschema.json#/definitions/Options`);
        expect(options, `no schema for panel type ${p.type}`).to.not.equal(undefined);
        expect(options!(p.options), `${d.uid} / ${p.title} options: ${ajv.errorsText(options!.errors)}`).to.equal(true);
        const custom = ajv.getSchema(`${p.type.toLowerCase()}.jsonschema.json#/definitions/FieldConfig`);
        if (custom && p.fieldConfig.defaults.custom) {
          expect(custom(p.fieldConfig.defaults.custom), `${d.uid} / ${p.title} field config: ${ajv.errorsText(custom.errors)}`).to.equal(true);
        }
      }
    }
  });

  it('panel IDs are unique within each dashboard and panels do not overlap', () => {
    for (const d of loaded) {
      const ids = d.panels.flatMap((p) => [p.id, ...('panels' in p ? p.panels.map((x) => x.id) : [])]);
      expect(new Set(ids).size, d.uid).to.equal(ids.length);
      const cells = new Set<string>();
      for (const p of d.panels) {
        for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
          for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
            expect(cells.has(`${x},${y}`), `${d.uid}: panel "${p.title}" overlaps another`).to.equal(false);
            cells.add(`${x},${y}`);
          }
        }
      }
    }
  });

  it('every data source reference is the provisioned one, by its uid; nothing exported-for-import', () => {
    for (const d of loaded) {
      const text = JSON.stringify(d);
      expect(text, d.uid).to.not.contain('${DS_');
      expect(text, d.uid).to.not.contain('__inputs');
      for (const [at, ref] of datasourceRefs(d)) {
        if (at.startsWith('.annotations.list[0]')) {
          expect(ref, 'built-in annotations').to.deep.equal({ type: 'grafana', uid: '-- Grafana --' });
          continue;
        }
        expect(ref, `${d.uid}${at}`).to.deep.equal(DATASOURCE);
      }
    }
    const ds = parseYaml(readFileSync(path.join(ROOT, 'provisioning/datasources/shipwatch.yaml'), 'utf8'));
    expect(ds.datasources).to.have.length(1);
    expect(ds.datasources[0]).to.include({ uid: DATASOURCE.uid, type: DATASOURCE.type, access: 'proxy' });
    expect(ds.datasources[0].jsonData).to.include({ version: 'InfluxQL', httpHeaderName1: '${INFLUX_HEADER_NAME}' });
    expect(ds.datasources[0].secureJsonData).to.include({ httpHeaderValue1: '${INFLUX_HEADER_VALUE}' });
  });

  it('every variable used is defined', () => {
    for (const d of loaded) {
      const defined = new Set(d.templating.list.map((v) => v.name));
      for (const [at, s] of strings({ panels: d.panels, templating: d.templating, annotations: d.annotations, links: d.links })) {
        for (const name of referencedVariables(s)) {
          if (BUILT_IN.has(name) || name.startsWith('tag_') || name.startsWith('__data')) continue;
          expect(defined.has(name), `${d.uid}${at}: $${name} is not defined`).to.equal(true);
        }
      }
    }
  });

  it('links point at dashboards that exist; the provider loads them into the Shipwatch folder', () => {
    let seen = 0;
    for (const d of loaded) {
      for (const [at, s] of strings(d)) {
        for (const m of s.matchAll(/\/d\/([\w-]+)/g)) {
          seen++;
          expect(uids.has(m[1]), `${d.uid}${at} links to missing dashboard ${m[1]}`).to.equal(true);
        }
      }
      for (const link of d.links) {
        if (link.type === 'dashboards') expect(loaded.some((x) => link.tags.every((t) => x.tags.includes(t))), d.uid).to.equal(true);
      }
      expect(d.tags).to.include(DASHBOARD_TAG);
    }
    expect(seen, 'links to the container dashboard').to.be.greaterThan(3);
    const prov = parseYaml(readFileSync(path.join(ROOT, 'provisioning/dashboards/shipwatch.yaml'), 'utf8'));
    expect(prov.providers[0]).to.include({ folder: 'Shipwatch', type: 'file' });
    expect(prov.providers[0].options.path).to.equal('/etc/grafana/provisioning/dashboards');
  });

  it('bands are drawn only for the metrics the default configuration feeds to the detector; each resource chart has its 1-minute change beside it', () => {
    const container = built.find((b) => b.dashboard.uid === 'shipwatch-container')!.dashboard;
    const bands = allQueries([container]).filter((c) => c.query.includes('"shipwatch_threshold"')).map((c) => /"(\w+)_lower"/.exec(c.query)![1]);
    expect(bands.sort()).to.deep.equal(['cpu_percent', 'mem_usage']);
    const panels = allPanels(container);
    const pids = panels.find((p) => p.title === 'Processes and threads')!;
    expect(pids.description).to.contain('No learned band');
    for (const title of ['CPU', 'Memory', 'Memory % of limit', 'Processes and threads', 'Network in', 'Network out', 'Block read', 'Block write']) {
      const chart = panels.find((p) => p.title === title)!;
      const change = panels.find((p) => p.title === `${title}: 1-minute change`)!;
      expect(change.gridPos.y, title).to.equal(chart.gridPos.y);
      expect(change.gridPos.x, title).to.equal(chart.gridPos.x + chart.gridPos.w);
    }
  });

  it('every panel query and variable query follows Grafana\'s InfluxQL rules', () => {
    const cases = allQueries();
    expect(cases.length).to.be.greaterThan(40);
    for (const c of cases) {
      const where = `${c.dashboard.uid} / ${c.where}`;
      if (c.kind === 'variable') continue;
      // Without a time condition a query reads the whole retention; slow-cadence ones bound it by ${__to}.
      expect(/\$timeFilter|\$\{__to\}/.test(c.query), `${where}: no time range`).to.equal(true);
      if (/GROUP BY time\(/.test(c.query)) expect(c.query, where).to.contain('GROUP BY time($__interval)');
    }
  });
});
