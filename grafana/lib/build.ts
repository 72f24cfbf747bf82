/** Builders for panels, variables, annotations and whole dashboards. */
import {
  DATASOURCE, DASHBOARD_TAG, SCHEMA_VERSION, EXPECT,
  type AnnotationQuery, type Dashboard, type DashboardLink, type Expectation, type FieldConfigSource, type InfluxTarget,
  type Override, type Panel, type RowPanel, type Variable,
} from './model.js';

export interface TargetOptions {
  format?: InfluxTarget['resultFormat'];
  alias?: string;
  expect: Expectation;
}

export function target(refId: string, query: string, o: TargetOptions): InfluxTarget {
  const t: InfluxTarget = { refId, datasource: DATASOURCE, query, rawQuery: true, resultFormat: o.format ?? 'time_series' };
  if (o.alias) t.alias = o.alias;
  t[EXPECT] = o.expect;
  return t;
}

type Size = { w: number; h: number };
type PanelSpec = Omit<Panel, 'id' | 'gridPos'> & Size;

interface Common {
  title: string;
  description?: string;
  targets: InfluxTarget[];
  unit?: string;
  overrides?: Override[];
  links?: DashboardLink[];
  transformations?: Panel['transformations'];
  w?: number;
  h?: number;
  decimals?: number;
  min?: number;
  /** value mappings (colours and texts for values such as "firing") */
  mappings?: unknown[];
}

function fieldConfig(c: Common, custom?: Record<string, unknown>, extra: Record<string, unknown> = {}): FieldConfigSource {
  const defaults: FieldConfigSource['defaults'] = { ...extra };
  if (custom) defaults.custom = custom;
  if (c.unit) defaults.unit = c.unit;
  if (c.decimals !== undefined) defaults.decimals = c.decimals;
  if (c.min !== undefined) defaults.min = c.min;
  if (c.links) defaults.links = c.links;
  if (c.mappings) defaults.mappings = c.mappings;
  return { defaults, overrides: c.overrides ?? [] };
}

function base(type: string, c: Common, fc: FieldConfigSource, options: Record<string, unknown>): PanelSpec {
  const p: PanelSpec = {
    type,
    title: c.title,
    datasource: DATASOURCE,
    targets: c.targets,
    fieldConfig: fc,
    options,
    w: c.w ?? 12,
    h: c.h ?? 8,
  };
  if (c.description) p.description = c.description;
  if (c.transformations) p.transformations = c.transformations;
  return p;
}

const legend = (calcs: string[]) => ({ showLegend: true, displayMode: 'table', placement: 'bottom', calcs });

/** A time series chart; its legend is a table of each series' mean and max. */
export function timeseries(c: Common & { stack?: boolean; bars?: boolean }): PanelSpec {
  return base('timeseries', c, fieldConfig(c, {
    drawStyle: c.bars ? 'bars' : 'line',
    lineWidth: 1,
    fillOpacity: c.stack ? 60 : 8,
    showPoints: 'never',
    spanNulls: false,
    lineInterpolation: c.bars ? 'linear' : 'linear',
    stacking: { mode: c.stack ? 'normal' : 'none', group: 'A' },
    axisPlacement: 'auto',
  }), { legend: legend(['mean', 'max']), tooltip: { mode: 'multi', sort: 'desc' } });
}

/** A step line for 0/1 states. */
export function stateLine(c: Common): PanelSpec {
  return base('timeseries', c, fieldConfig(c, {
    drawStyle: 'line', lineInterpolation: 'stepAfter', lineWidth: 2, fillOpacity: 20, showPoints: 'never',
    axisSoftMin: 0, axisSoftMax: 1,
  }), { legend: legend(['max']), tooltip: { mode: 'multi', sort: 'desc' } });
}

export function table(c: Common & { sortBy?: Array<{ displayName: string; desc: boolean }>; footer?: boolean }): PanelSpec {
  const options: Record<string, unknown> = { showHeader: true, frameIndex: 0, cellHeight: 'sm' };
  if (c.sortBy) options.sortBy = c.sortBy;
  if (c.footer) options.footer = { show: true, reducer: ['sum'], countRows: false, fields: [] };
  return base('table', c, fieldConfig(c, { align: 'auto', inspect: true, filterable: true }), options);
}

export function stat(c: Common & { color?: string; calc?: string; values?: boolean; alarmAt?: number; noValue?: string }): PanelSpec {
  const extra: Record<string, unknown> = c.color ? { color: { mode: 'fixed', fixedColor: c.color } } : {};
  if (c.alarmAt !== undefined) {
    // Green below alarmAt, red from it on.
    extra.color = { mode: 'thresholds' };
    extra.thresholds = { mode: 'absolute', steps: [{ value: null, color: 'green' }, { value: c.alarmAt, color: 'red' }] };
  }
  if (c.noValue !== undefined) extra.noValue = c.noValue;
  return base('stat', c, fieldConfig(c, undefined, extra), {
    graphMode: 'none', colorMode: 'value', justifyMode: 'auto', textMode: 'value_and_name', wideLayout: true,
    showPercentChange: false, percentChangeColorMode: 'standard', orientation: 'auto',
    reduceOptions: { values: c.values ?? false, calcs: [c.calc ?? 'lastNotNull'], fields: '' },
  });
}

/** Vertical bars, one per row of a table result, labelled by `xField` (e.g. the hours of a profile). */
export function barchart(c: Common & { xField: string }): PanelSpec {
  return base('barchart', c, fieldConfig(c, undefined, { color: { mode: 'palette-classic' } }), {
    xField: c.xField, orientation: 'vertical', xTickLabelRotation: 0, xTickLabelMaxLength: 0, xTickLabelSpacing: 0,
    stacking: 'none', showValue: 'never', barWidth: 0.9, groupWidth: 0.7, barRadius: 0, fullHighlight: false,
    legend: { showLegend: false, displayMode: 'list', placement: 'bottom', calcs: [] }, tooltip: { mode: 'single', sort: 'none' },
  });
}

/** Horizontal bars, one per row of a table result (used for top-N lists). */
export function bars(c: Common & { limit: number }): PanelSpec {
  return base('bargauge', c, fieldConfig(c, undefined, { color: { mode: 'continuous-GrYlRd' } }), {
    displayMode: 'gradient', valueMode: 'color', namePlacement: 'auto', showUnfilled: true, sizing: 'auto',
    minVizWidth: 8, minVizHeight: 16, maxVizHeight: 300, orientation: 'horizontal',
    legend: { showLegend: false, displayMode: 'list', placement: 'bottom', calcs: [] },
    reduceOptions: { values: true, calcs: [], fields: '', limit: c.limit },
  });
}

export function piechart(c: Common): PanelSpec {
  return base('piechart', c, fieldConfig(c, undefined, {}), {
    pieType: 'donut', displayLabels: ['name', 'value'],
    tooltip: { mode: 'single', sort: 'none' },
    reduceOptions: { values: true, calcs: [], fields: '' },
    legend: { showLegend: true, displayMode: 'table', placement: 'right', calcs: [], values: ['value'] },
    orientation: 'auto',
  });
}

/**
 * Grafana's Node Graph. It takes a frame with `id`, `source` and `target`
 * fields (and `mainstat`, `secondarystat`) as the edges and draws the nodes
 * from them; field names are matched without regard to case.
 */
export function nodeGraph(c: Common): PanelSpec {
  return base('nodeGraph', c, fieldConfig(c), {
    nodes: { mainStatUnit: c.unit ?? 'none' },
    edges: { mainStatUnit: c.unit ?? 'none' },
    zoomMode: 'cooperative',
    layoutAlgorithm: 'layered',
  });
}

export function text(title: string, content: string, w = 24, h = 3): PanelSpec {
  return {
    type: 'text', title, w, h,
    fieldConfig: { defaults: {}, overrides: [] },
    options: { mode: 'markdown', content, code: { language: 'plaintext', showLineNumbers: false, showMiniMap: false } },
  };
}

/** Places panels left to right, wrapping at 24 columns; rows span the width. */
export class Layout {
  readonly panels: Array<Panel | RowPanel> = [];
  private x = 0;
  private y = 0;
  private rowH = 0;
  private id = 1;

  add(...specs: PanelSpec[]): this {
    for (const { w, h, ...p } of specs) {
      if (this.x + w > 24) this.newLine();
      this.panels.push({ ...p, id: this.id++, gridPos: { x: this.x, y: this.y, w, h } } as Panel);
      this.x += w;
      this.rowH = Math.max(this.rowH, h);
    }
    return this;
  }

  row(title: string): this {
    this.newLine();
    this.panels.push({ type: 'row', id: this.id++, title, collapsed: false, gridPos: { x: 0, y: this.y, w: 24, h: 1 }, panels: [] });
    this.y += 1;
    return this;
  }

  private newLine() {
    this.y += this.rowH;
    this.x = 0;
    this.rowH = 0;
  }
}

export interface QueryVarOptions {
  name: string;
  label: string;
  query: string;
  multi?: boolean;
  includeAll?: boolean;
  /** value selected until the user picks; "All" when includeAll and none given */
  current?: string;
  description?: string;
  expect: Expectation;
}

export function queryVar(o: QueryVarOptions): Variable & { [EXPECT]: Expectation } {
  const all = o.includeAll && o.current === undefined;
  const current = all ? { text: ['All'], value: ['$__all'] } : o.current !== undefined ? { text: o.current, value: o.current } : { text: '', value: '' };
  const v: Variable & { [EXPECT]: Expectation } = {
    type: 'query',
    name: o.name,
    label: o.label,
    datasource: DATASOURCE,
    query: o.query,
    definition: o.query,
    refresh: 1,
    sort: 1,
    multi: o.multi ?? false,
    includeAll: o.includeAll ?? false,
    regex: '',
    current,
    options: [],
    hide: 0,
    [EXPECT]: o.expect,
  };
  if (o.includeAll) v.allValue = '.*';
  if (o.description) v.description = o.description;
  return v;
}

/** A text the user may change in the dashboard settings or as ?var-<name>= in the URL; hidden on the dashboard. */
export function textVar(name: string, label: string, value: string, description: string): Variable {
  return { type: 'textbox', name, label, description, hide: 2, query: value, current: { text: value, value }, options: [{ text: value, value, selected: true }] };
}

export function annotation(name: string, iconColor: string, query: string, textColumn: string, tagsColumn: string, expect: Expectation): AnnotationQuery {
  return {
    name,
    enable: true,
    hide: false,
    iconColor,
    datasource: DATASOURCE,
    target: { refId: name.replace(/\W/g, ''), query, rawQuery: true, resultFormat: 'table', textColumn, tagsColumn, fromAnnotations: true, queryType: 'tags', [EXPECT]: expect },
  };
}

const BUILT_IN: AnnotationQuery = {
  builtIn: 1,
  datasource: { type: 'grafana', uid: '-- Grafana --' },
  enable: true,
  hide: true,
  iconColor: 'rgba(0, 211, 255, 1)',
  name: 'Annotations & Alerts',
  type: 'dashboard',
};

const NAV: DashboardLink = {
  title: 'Shipwatch', type: 'dashboards', icon: 'external link', tooltip: 'Other Shipwatch dashboards', tags: [DASHBOARD_TAG],
  asDropdown: true, targetBlank: false, includeVars: false, keepTime: true,
};

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  variables: Variable[];
  annotations?: AnnotationQuery[];
  layout: Layout;
  /** 1: shared crosshair; 2: crosshair and tooltip */
  graphTooltip?: 0 | 1 | 2;
  time?: string;
}

export function dashboard(s: DashboardSpec): Dashboard {
  return {
    uid: s.uid,
    title: s.title,
    description: s.description,
    tags: [DASHBOARD_TAG],
    timezone: 'browser',
    editable: true,
    graphTooltip: s.graphTooltip ?? 1,
    time: { from: s.time ?? 'now-6h', to: 'now' },
    timepicker: { refresh_intervals: ['10s', '30s', '1m', '5m', '15m', '1h'] },
    refresh: '30s',
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    fiscalYearStartMonth: 0,
    liveNow: false,
    links: [NAV],
    annotations: { list: [BUILT_IN, ...(s.annotations ?? [])] },
    templating: { list: s.variables },
    panels: s.layout.panels,
  };
}

/**
 * Field override for the named fields. Grafana's schema types override values
 * as objects, so only object-valued properties are used (cell display, colour).
 */
export function byNames(names: string[], props: Record<string, Record<string, unknown>>): Override {
  return {
    matcher: { id: 'byNames', options: { mode: 'include', names, prefix: 'All except:', readOnly: true } },
    properties: Object.entries(props).map(([id, value]) => ({ id, value })),
  };
}

/** Turns numeric ms-since-epoch columns into times, shown as dates. */
export const asTime = (...fields: string[]) => ({
  id: 'convertFieldType',
  options: { fields: {}, conversions: fields.map((targetField) => ({ targetField, destinationType: 'time' })) },
});

/** Column order and names of a table. */
export const organize = (o: { exclude?: string[]; order?: string[]; rename?: Record<string, string> }) => ({
  id: 'organize',
  options: {
    excludeByName: Object.fromEntries((o.exclude ?? []).map((f) => [f, true])),
    indexByName: Object.fromEntries((o.order ?? []).map((f, i) => [f, i])),
    renameByName: o.rename ?? {},
  },
});
