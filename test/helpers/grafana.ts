/**
 * What Grafana does to a dashboard query before InfluxDB sees it: template
 * variables, $timeFilter, $__interval and the global ${__from}/${__to},
 * with multi-value variables rendered as escaped regex alternations.
 */
import { buildDashboards } from '../../grafana/index.js';
import type { InfluxQL } from '../../common/influx/query.js';
import { EXPECT, type Dashboard, type Expectation, type InfluxTarget, type Panel, type RowPanel, type Variable } from '../../grafana/lib/model.js';

/** Grafana's escapeRegex (@grafana/data), used on each value of a multi-value variable. */
export const escapeRegex = (s: string) => s.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');

export type VarValue = string | string[] | { all: true };

export interface Interpolation {
  vars: Record<string, VarValue>;
  /** range in ms since epoch */
  from: number;
  to: number;
  /** "relative": time >= now() - 1h, as Grafana renders a relative range; "absolute": ms epoch bounds */
  timeForm: 'relative' | 'absolute';
  relative?: string;
  interval: string;
}

/** Renders one variable's value the way the InfluxDB data source does (interpolateQueryExpr). */
export function renderVar(v: Variable, value: VarValue): string {
  if (typeof value === 'object' && !Array.isArray(value)) {
    if (!v.includeAll) throw new Error(`variable ${v.name} has no "All"`);
    return v.allValue ?? '';
  }
  if (!v.multi && !v.includeAll) return Array.isArray(value) ? escapeRegex(value[0]) : escapeRegex(value);
  const values = (Array.isArray(value) ? value : [value]).map(escapeRegex);
  return values.length === 1 ? values[0] : '(' + values.join('|') + ')';
}

const VAR_RE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

/** Variable names a text refers to. */
export function referencedVariables(text: string): string[] {
  return [...text.matchAll(VAR_RE)].map((m) => m[1] ?? m[2] ?? m[4]);
}

export function interpolate(query: string, variables: Variable[], o: Interpolation): string {
  const time = o.timeForm === 'relative' ? `time >= now() - ${o.relative ?? '1h'}` : `time >= ${o.from}ms and time <= ${o.to}ms`;
  const byName = new Map(variables.map((v) => [v.name, v]));
  return query.replace(VAR_RE, (whole, a, b, _fmt, c) => {
    const name: string = a ?? b ?? c;
    if (name === 'timeFilter') return time;
    if (name === '__interval') return o.interval;
    if (name === '__from') return String(o.from);
    if (name === '__to') return String(o.to);
    const v = byName.get(name);
    if (!v) throw new Error(`query uses an undefined variable ${whole}: ${query}`);
    if (v.type === 'constant') return escapeRegex(v.query);
    const value = o.vars[name];
    if (value === undefined) throw new Error(`no value given for $${name}`);
    return renderVar(v, value);
  });
}

export interface QueryCase {
  dashboard: Dashboard;
  /** "panel title / refId", "variable name", "annotation name" */
  where: string;
  kind: 'panel' | 'variable' | 'annotation';
  query: string;
  format: InfluxTarget['resultFormat'];
  expect: Expectation;
}

export function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => (p.type === 'row' ? (p as RowPanel).panels : [p as Panel]));
}

/** Every query of every dashboard: panel targets, template variables and annotations. */
export function allQueries(dashboards: Dashboard[] = buildDashboards().map((x) => x.dashboard)): QueryCase[] {
  const out: QueryCase[] = [];
  for (const d of dashboards) {
    for (const p of allPanels(d)) {
      for (const t of p.targets ?? []) {
        const expect = t[EXPECT];
        if (!expect) throw new Error(`${d.uid} / ${p.title} / ${t.refId}: no expectation`);
        out.push({ dashboard: d, where: `${p.title} / ${t.refId}`, kind: 'panel', query: t.query, format: t.resultFormat, expect });
      }
    }
    for (const v of d.templating.list) {
      if (v.type !== 'query') continue;
      const expect = (v as Variable & { [EXPECT]?: Expectation })[EXPECT];
      if (!expect) throw new Error(`${d.uid} / $${v.name}: no expectation`);
      out.push({ dashboard: d, where: `$${v.name}`, kind: 'variable', query: v.query, format: 'table', expect });
    }
    for (const a of d.annotations.list) {
      if (a.builtIn) continue;
      const expect = a.target?.[EXPECT];
      if (!expect) throw new Error(`${d.uid} / annotation ${a.name}: no expectation`);
      out.push({ dashboard: d, where: `annotation ${a.name}`, kind: 'annotation', query: String(a.target!.query), format: 'table', expect });
    }
  }
  return out;
}

/**
 * The options Grafana's InfluxDB data source offers for a query variable that refers to no other
 * variable: the first column of SHOW RETENTION POLICIES (the default policy first), else the value
 * column; the variable's regex applied; sorted as its `sort` says (1, 2: alphabetical up, down).
 */
export async function variableOptions(q: InfluxQL, v: Variable): Promise<string[]> {
  const rp = /show retention policies/i.test(v.query);
  const series = await q.query(v.query);
  let values: string[] = [];
  for (const s of series) {
    for (const row of s.values ?? []) {
      const value = String(rp ? row[0] : row.length > 1 ? row[1] : row[0]);
      if (rp && row[row.length - 1] === true) values.unshift(value);
      else values.push(value);
    }
  }
  values = [...new Set(values)];
  if (v.regex) {
    const m = /^\/(.*)\/([a-z]*)$/.exec(v.regex);
    const re = m ? new RegExp(m[1], m[2]) : new RegExp(v.regex);
    values = values.filter((x) => re.test(x));
  }
  if (v.sort === 1) values.sort();
  if (v.sort === 2) values.sort().reverse();
  return values;
}
