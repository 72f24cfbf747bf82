/**
 * A report's data: what the queries return (ReportData) and the figures
 * computed from it (Report), plain JSON both. docs/reports.md defines every
 * figure.
 */

/** A time series: [ms since epoch, value] pairs, ascending. */
export type Series = Array<[number, number]>;

export interface ContainerRef {
  host: string;
  container: string;
}

/** One container's image as seen in a period. */
export interface InventoryEntry extends ContainerRef {
  /** image name and tag, e.g. redis:7 */
  image: string;
  /** sha256:..., when the collector wrote it */
  imageId: string | null;
}

export interface ImageEntry {
  host: string;
  /** name:tag */
  image: string;
  id: string;
}

/** Mean and peak of a gauge. */
export interface Gauge {
  mean: number | null;
  peak: number | null;
}

/** A counter over the period: bytes, and bytes per second on average and in the busiest bucket. */
export interface Traffic {
  bytes: number;
  meanRate: number | null;
  peakRate: number | null;
}

export interface Counted {
  bytes: number;
  peakRate: number | null;
}

/** What the queries return for one container. */
export interface ContainerData extends ContainerRef {
  cpu: Gauge;
  mem: Gauge & { limit: number | null; peakPercent: number | null };
  pids: Gauge & { limit: number | null };
  /** bytes over the period, and the highest rate (bytes/s) of a bucket */
  rx: Counted;
  tx: Counted;
  read: Counted;
  write: Counted;
  /** memory and pids per bucket (mean), for their trends */
  memSeries: Series;
  pidsSeries: Series;
  restarts: number;
  ooms: number;
}

export interface AlertRow extends ContainerRef {
  rule: string;
  status: 'firing' | 'resolved';
  time: number;
  startsAt: number;
}

export interface AckRow extends ContainerRef {
  rule: string;
  timeToAckS: number;
}

export interface RecoveryRow extends ContainerRef {
  outcome: string;
  recovered: boolean | null;
}

/** Per host: sums over its containers per bucket (CPU %, memory bytes, traffic bytes/s). */
export interface HostSeries {
  cpu: Series;
  mem: Series;
  rx: Series;
  tx: Series;
  read: Series;
  write: Series;
}

export interface ReportData {
  from: number;
  to: number;
  bucketMs: number;
  /** raw points, or the rollups (for periods older than the raw retention) */
  source: 'raw' | 'rollup';
  inventory: InventoryEntry[];
  images: ImageEntry[];
  containers: ContainerData[];
  hostSeries: Record<string, HostSeries>;
  alerts: AlertRow[];
  acks: AckRow[];
  recovery: RecoveryRow[];
}

export interface AlertFigures {
  fired: number;
  resolved: number;
  /** seconds from firing to resolve, of those resolved in the period */
  resolveMeanS: number | null;
  resolveMedianS: number | null;
  resolveMaxS: number | null;
  acknowledged: number;
  ackMedianS: number | null;
}

export interface RecoveryFigures {
  runs: number;
  /** runs by outcome: ok, failed, timeout, error */
  outcomes: Record<string, number>;
  recovered: number;
}

/** Figures of a scope: the fleet, a host, or a container. */
export interface Figures {
  containers: number;
  cpu: Gauge;
  mem: Gauge & { limit: number | null; peakPercent: number | null };
  rx: Traffic;
  tx: Traffic;
  read: Traffic;
  write: Traffic;
  restarts: number;
  ooms: number;
  alerts: AlertFigures;
  recovery: RecoveryFigures;
}

export interface ContainerFigures extends ContainerRef, Figures {
  image: string;
}

export interface HostFigures extends Figures {
  host: string;
}

/** Mean of the fleet's (or a host's) CPU per hour of the day, in the report's time zone; null where no data. */
export type HourProfile = Array<number | null>;

export interface TopEntry extends ContainerRef {
  value: number;
}

export interface NearLimit extends ContainerRef {
  resource: 'memory' | 'pids';
  peak: number;
  limit: number;
  /** peak / limit */
  ratio: number;
}

export interface ResourceTrend {
  resource: 'cpu' | 'memory' | 'network_rx' | 'network_tx' | 'block_read' | 'block_write';
  /** Theil–Sen slope of the fleet series, units per day */
  perDay: number | null;
  /** the series' mean over the period, for scale */
  mean: number | null;
}

export interface LimitPrediction extends ContainerRef {
  resource: 'memory' | 'pids';
  /** the trend's value at the period's end */
  value: number;
  limit: number;
  /** units per day */
  perDay: number;
  /** when the trend reaches the limit, ms since epoch */
  reachesAt: number;
}

export interface Change {
  change: 'new' | 'removed' | 'changed';
  host: string;
  name: string;
  /** image before and after, for containers; the image ID for images */
  before: string | null;
  after: string | null;
}

export const REPORT_VERSION = 1;

export interface Report {
  v: number;
  id: string;
  title: string;
  kind: 'scheduled' | 'on-demand';
  schedule: string | null;
  from: number;
  to: number;
  /** one host only, or the whole fleet */
  host: string | null;
  timezone: string;
  generatedAt: number;
  source: 'raw' | 'rollup';
  bucketMs: number;
  empty: boolean;
  fleet: Figures;
  hosts: HostFigures[];
  containers: ContainerFigures[];
  hours: { fleet: HourProfile; hosts: Record<string, HourProfile>; busiest: number[] };
  top: { cpu: TopEntry[]; memory: TopEntry[]; network: TopEntry[]; blockIo: TopEntry[] };
  /** nearLimitRatio: the share of a limit from which a peak is listed */
  capacity: { nearLimitRatio: number; nearLimit: NearLimit[]; trends: ResourceTrend[]; predictions: LimitPrediction[] };
  changes: {
    /** what the period was compared with */
    previous: { from: number; to: number; report: string | null };
    containers: Change[];
    images: Change[];
  };
  /** the fleet's series, for the charts and fleet.csv */
  series: HostSeries;
  /** the inventory of the period, for the next report's changes */
  inventory: InventoryEntry[];
  imageList: ImageEntry[];
}
