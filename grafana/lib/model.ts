/**
 * The parts of Grafana's dashboard JSON model the dashboards use, as plain
 * typed objects (checked in tests against Grafana's own JSON Schemas), and
 * small builders that fill in what every panel of a kind needs.
 */

/** The provisioned data source (provisioning/datasources/shipwatch.yaml), referenced by its fixed uid. */
export const DATASOURCE = { type: 'influxdb', uid: 'shipwatch-influxdb' } as const;
export type DataSourceRef = { type: string; uid: string };

export const DASHBOARD_TAG = 'shipwatch';
export const SCHEMA_VERSION = 41;

/** What produced a query's data: the test checks a query returns rows when its source ran. */
export type Source =
  | 'metrics' | 'status' | 'info' | 'events' | 'logs' | 'processes' | 'mounts' | 'disk' | 'images'
  | 'rollup' | 'threshold' | 'prediction' | 'alerts' | 'snapshots' | 'notifications' | 'recovery' | 'unrouted'
  | 'netstat' | 'edges' | 'posture' | 'handling' | 'silences' | 'reports' | 'labels' | 'processGone';

/** Test-only expectations; a symbol key, so JSON.stringify leaves it out of the dashboard. */
export const EXPECT = Symbol('expect');
export interface Expectation {
  /** columns the panel reads (besides time) */
  columns: string[];
  source: Source;
  /** also answers on data Telegraf's inputs.docker wrote */
  telegraf?: boolean;
}

export interface InfluxTarget {
  refId: string;
  datasource: DataSourceRef;
  query: string;
  rawQuery: true;
  resultFormat: 'time_series' | 'table' | 'logs';
  alias?: string;
  hide?: boolean;
  [EXPECT]?: Expectation;
}

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Override {
  matcher: { id: string; options: unknown };
  properties: Array<{ id: string; value: unknown }>;
}

export interface FieldConfigSource {
  defaults: Record<string, unknown> & { custom?: Record<string, unknown>; links?: DashboardLink[] };
  overrides: Override[];
}

export interface Panel {
  type: string;
  id: number;
  title: string;
  description?: string;
  gridPos: GridPos;
  datasource?: DataSourceRef;
  targets?: InfluxTarget[];
  fieldConfig: FieldConfigSource;
  options: Record<string, unknown>;
  transformations?: Array<{ id: string; options: Record<string, unknown> }>;
  interval?: string;
  maxDataPoints?: number;
}

export interface RowPanel {
  type: 'row';
  id: number;
  title: string;
  collapsed: boolean;
  gridPos: GridPos;
  panels: Panel[];
}

export interface VariableOption {
  text: string | string[];
  value: string | string[];
  selected?: boolean;
}

export interface Variable {
  type: 'query' | 'constant' | 'custom' | 'interval' | 'textbox';
  name: string;
  label?: string;
  description?: string;
  hide?: 0 | 1 | 2;
  datasource?: DataSourceRef;
  query: string;
  definition?: string;
  refresh?: 0 | 1 | 2;
  sort?: number;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  regex?: string;
  current: VariableOption;
  options: VariableOption[];
  skipUrlSync?: boolean;
}

export interface AnnotationQuery {
  name: string;
  enable: boolean;
  hide?: boolean;
  iconColor: string;
  datasource: DataSourceRef;
  builtIn?: number;
  type?: string;
  target?: Record<string, unknown> & { [EXPECT]?: Expectation };
}

export interface DashboardLink {
  title: string;
  type: 'link' | 'dashboards';
  icon: string;
  tooltip: string;
  url?: string;
  tags: string[];
  asDropdown: boolean;
  targetBlank: boolean;
  includeVars: boolean;
  keepTime: boolean;
}

export interface Dashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  timezone: string;
  editable: boolean;
  graphTooltip: 0 | 1 | 2;
  time: { from: string; to: string };
  timepicker: { refresh_intervals: string[] };
  refresh: string;
  schemaVersion: number;
  version: number;
  fiscalYearStartMonth: number;
  liveNow: boolean;
  links: DashboardLink[];
  annotations: { list: AnnotationQuery[] };
  templating: { list: Variable[] };
  panels: Array<Panel | RowPanel>;
}
