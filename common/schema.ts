/**
 * The one place measurement, tag and field names are written down (docs/schema.md
 * describes them). Container metrics use Telegraf's inputs.docker names so that
 * dashboards and rules also work on data Telegraf collected.
 */

export const MEASUREMENT = {
  cpu: 'docker_container_cpu',
  mem: 'docker_container_mem',
  net: 'docker_container_net',
  blkio: 'docker_container_blkio',
  status: 'docker_container_status',
  health: 'docker_container_health',
  // Shipwatch's own: Telegraf has no equivalent.
  pids: 'docker_container_pids',
  info: 'docker_container_info',
  event: 'docker_event',
  process: 'docker_container_process',
  processGone: 'docker_container_process_gone',
  mount: 'docker_container_mount',
  image: 'docker_image',
  logStats: 'docker_log_stats',
  logMatches: 'docker_log_matches',
  // Telegraf's names (inputs.docker and inputs.docker_log).
  diskUsage: 'docker_disk_usage',
  log: 'docker_log',
  /** TCP sockets by state and UDP sockets of a container's network namespace, with Telegraf's inputs.netstat fields */
  netstat: 'docker_container_netstat',
  /** one edge of the service map: established connections from one node to another */
  serviceEdge: 'docker_service_edge',
  /** a container's security posture against the CIS Docker Benchmark's runtime checks */
  posture: 'docker_container_posture',
  /** a shipwatch.* label of a container that is wrong (common/container-settings.ts), reported once */
  labelProblem: 'docker_container_label_problem',
} as const;

/** Tag keys. Values are bounded: no IDs, PIDs or free text. */
export const TAG = {
  engineHost: 'engine_host',
  serverVersion: 'server_version',
  containerName: 'container_name',
  containerImage: 'container_image',
  containerVersion: 'container_version',
  containerStatus: 'container_status',
  cpu: 'cpu',
  network: 'network',
  device: 'device',
  /** docker_event: container, image */
  type: 'type',
  /** docker_event: the action without its detail ("health_status", not "health_status: healthy") */
  action: 'action',
  /** docker_log: stdout, stderr, tty */
  stream: 'stream',
  /** process position in the container by CPU (1 = busiest), bounded by collector.processes.max */
  rank: 'rank',
  /** docker_log_matches: the name of a collector.logs.patterns entry */
  pattern: 'pattern',
  /** mount point inside the container */
  destination: 'destination',
  imageId: 'image_id',
  imageName: 'image_name',
  imageVersion: 'image_version',
  volumeName: 'volume_name',
  /** docker_service_edge: the node connections go from and to (SERVICE_NODE) */
  source: 'source',
  target: 'target',
  /** docker_service_edge: "source->target", the edge's identity (Grafana's Node Graph needs one) */
  edge: 'edge',
  /** docker_container_label_problem: the label's name */
  label: 'label',
} as const;

/** Fixed tag values Telegraf uses for aggregate series. */
export const TAG_VALUE = {
  cpuTotal: 'cpu-total',
  networkTotal: 'total',
  deviceTotal: 'total',
  /** container_status of a container that no longer exists */
  removed: 'removed',
} as const;

/** The container's full ID is a string field, never a tag (unbounded). */
export const FIELD_CONTAINER_ID = 'container_id';

export const CPU_FIELDS = {
  usageTotal: 'usage_total',
  usageUser: 'usage_in_usermode',
  usageKernel: 'usage_in_kernelmode',
  usageSystem: 'usage_system',
  throttlingPeriods: 'throttling_periods',
  throttlingThrottledPeriods: 'throttling_throttled_periods',
  throttlingThrottledTime: 'throttling_throttled_time',
  usagePercent: 'usage_percent',
} as const;

export const MEM_FIELDS = {
  usage: 'usage',
  limit: 'limit',
  usagePercent: 'usage_percent',
  maxUsage: 'max_usage',
  failCount: 'fail_count',
} as const;

/**
 * memory.stat keys written into docker_container_mem (those present), with Telegraf's names.
 * Telegraf also copies the total_* keys and hierarchical_memory_limit; for a container's
 * leaf cgroup those equal the plain keys and the limit, so they are not written twice.
 */
export const MEM_STAT_FIELDS = [
  'active_anon', 'active_file', 'cache', 'inactive_anon', 'inactive_file', 'mapped_file', 'pgfault',
  'pgmajfault', 'rss', 'unevictable', 'writeback',
] as const;

export const NET_FIELDS = [
  'rx_bytes', 'rx_packets', 'rx_errors', 'rx_dropped', 'tx_bytes', 'tx_packets', 'tx_errors', 'tx_dropped',
] as const;
export type NetField = (typeof NET_FIELDS)[number];

export const BLKIO_FIELDS = {
  readBytes: 'io_service_bytes_recursive_read',
  writeBytes: 'io_service_bytes_recursive_write',
  readOps: 'io_serviced_recursive_read',
  writeOps: 'io_serviced_recursive_write',
} as const;

export const STATUS_FIELDS = {
  oomKilled: 'oomkilled',
  pid: 'pid',
  exitCode: 'exitcode',
  restartCount: 'restart_count',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  uptimeNs: 'uptime_ns',
} as const;

export const HEALTH_FIELDS = {
  status: 'health_status',
  failingStreak: 'failing_streak',
} as const;

export const PIDS_FIELDS = {
  current: 'current',
  limit: 'limit',
} as const;

export const INFO_FIELDS = {
  image: 'image',
  imageId: 'image_id',
  state: 'state',
  ip: 'ip',
  ports: 'ports',
  networks: 'networks',
  created: 'created',
  labels: 'labels',
  command: 'command',
  removed: 'removed',
} as const;

/** Container states Docker reports (State.Status), plus our "removed". */
export const CONTAINER_STATES = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead', 'removed'] as const;

export const EVENT_FIELDS = {
  /** Docker's action as sent, e.g. "health_status: healthy" */
  rawAction: 'raw_action',
  actorId: 'actor_id',
  name: 'name',
  image: 'image',
  exitCode: 'exitcode',
  signal: 'signal',
  healthStatus: 'health_status',
  attributes: 'attributes',
  scope: 'scope',
} as const;

/** Tag values of docker_event `type`. */
export const EVENT_TYPES = ['container', 'image'] as const;

export const PROCESS_FIELDS = {
  pid: 'pid',
  /** PID inside the container's PID namespace */
  nsPid: 'ns_pid',
  ppid: 'ppid',
  user: 'user',
  cpuPercent: 'cpu_percent',
  memPercent: 'mem_percent',
  rss: 'rss',
  vsz: 'vsz',
  state: 'state',
  threads: 'threads',
  cpuTime: 'cpu_time',
  startedAt: 'started_at',
  elapsed: 'elapsed',
  command: 'command',
  /** docker_container_process_gone: when the process was last seen */
  lastSeen: 'last_seen',
} as const;

export const MOUNT_FIELDS = {
  type: 'type',
  source: 'source',
  name: 'name',
  driver: 'driver',
  mode: 'mode',
  rw: 'rw',
  propagation: 'propagation',
  size: 'size',
} as const;

/** docker_disk_usage fields (Telegraf). */
export const DISK_FIELDS = {
  layersSize: 'layers_size',
  sizeRw: 'size_rw',
  sizeRootFs: 'size_root_fs',
  size: 'size',
  sharedSize: 'shared_size',
} as const;

export const IMAGE_FIELDS = {
  id: 'id',
  repoTags: 'repo_tags',
  repoDigests: 'repo_digests',
  size: 'size',
  created: 'created',
  architecture: 'architecture',
  os: 'os',
  labels: 'labels',
  containers: 'containers',
  dangling: 'dangling',
  removed: 'removed',
} as const;

/** image_name and image_version of an image without a tag, as `docker images` shows it. */
export const NO_TAG = '<none>';

/** docker_log fields: Telegraf's container_id and message, plus the detected level. */
export const LOG_FIELDS = {
  message: 'message',
  level: 'level',
} as const;

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'unknown'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_STREAMS = ['stdout', 'stderr', 'tty'] as const;
export type LogStreamName = (typeof LOG_STREAMS)[number];

export const LOG_STATS_FIELDS = {
  /** lines read from Docker in the interval */
  lines: 'lines',
  /** lines written to docker_log */
  written: 'written',
  /** lines dropped by the rate limit */
  dropped: 'dropped',
  bytes: 'bytes',
} as const;

export const LOG_MATCH_FIELDS = {
  count: 'count',
} as const;

/**
 * docker_container_netstat fields: Telegraf's inputs.netstat names, indexed by the
 * kernel's TCP state code (include/net/tcp_states.h, the st column of /proc/net/tcp);
 * index 0 (tcp_none) counts any other code.
 */
export const TCP_STATE_FIELDS = [
  'tcp_none', 'tcp_established', 'tcp_syn_sent', 'tcp_syn_recv', 'tcp_fin_wait1', 'tcp_fin_wait2',
  'tcp_time_wait', 'tcp_close', 'tcp_close_wait', 'tcp_last_ack', 'tcp_listen', 'tcp_closing',
] as const;

export const NETSTAT_FIELDS = {
  /** UDP sockets (udp and udp6) */
  udpSocket: 'udp_socket',
  /** Shipwatch's own: true when reading stopped at collector.network.budget; counts are then partial */
  incomplete: 'incomplete',
} as const;

/** Node names of the service map besides container names; none can be a container name. */
export const SERVICE_NODE = {
  /** an address that is neither a container nor this Docker host */
  outside: '(outside)',
  /** the peers beyond collector.network.maxPeers of a container, folded into one */
  others: '(others)',
  /** the Docker host itself: "host:" + engine_host */
  hostPrefix: 'host:',
} as const;

export const EDGE_FIELDS = {
  /** established TCP connections */
  connections: 'connections',
  /** the busiest server ports of those connections, e.g. "5432,6379" */
  ports: 'ports',
} as const;

export const POSTURE_FIELDS = {
  /** 0 (every weighted check failed) to 100 (all passed) */
  score: 'score',
  /** failed checks by severity */
  critical: 'critical',
  high: 'high',
  medium: 'medium',
  low: 'low',
  /** IDs of the failed checks, e.g. "5.4,5.31" */
  failed: 'failed',
  /** one line per failed check: ID, what, severity */
  findings: 'findings',
} as const;

export const LABEL_PROBLEM_FIELDS = {
  /** the label's value as set */
  value: 'value',
  /** what is wrong with it, and what was done instead */
  problem: 'problem',
} as const;

export const POSTURE_SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type PostureSeverity = (typeof POSTURE_SEVERITIES)[number];

// ---------------------------------------------------------------------------
// Processor output (Shipwatch's own measurements; docs/schema.md "Processor").

export const PROCESSOR_MEASUREMENT = {
  /** mean, min, max, count and delta of each container metric per averaging window, kept long (rollup retention) */
  rollup: 'shipwatch_rollup',
  /** dynamic-threshold band and verdict of a container's metrics, when they moved */
  threshold: 'shipwatch_threshold',
  /** trend of a metric that has a limit, and when it will reach it */
  prediction: 'shipwatch_prediction',
  /** alert transitions: firing and resolved */
  alerts: 'shipwatch_alerts',
  /** container state recorded when an alert fires, as a JSON document */
  snapshot: 'shipwatch_snapshot',
} as const;

export const PROCESSOR_TAG = {
  /** a name of PROCESSOR_METRICS */
  metric: 'metric',
  /** alert rule name */
  rule: 'rule',
  severity: 'severity',
  /** firing, resolved */
  status: 'status',
} as const;

/** Per-container metrics the processor derives from each sample (the `metric` tag values). */
export const PROCESSOR_METRICS = {
  cpuPercent: 'cpu_percent',
  memUsage: 'mem_usage',
  memPercent: 'mem_percent',
  /** bytes/s, from the net and blkio counters */
  netRxRate: 'net_rx_rate',
  netTxRate: 'net_tx_rate',
  blkioReadRate: 'blkio_read_rate',
  blkioWriteRate: 'blkio_write_rate',
  pids: 'pids',
  /** filesystem bytes used, when the sample carries them */
  fsUsage: 'fs_usage',
} as const;

/**
 * shipwatch_rollup and shipwatch_threshold hold every metric of a container
 * on one line, a field per metric and statistic named `<metric>_<stat>`
 * (`cpu_percent_mean`), as Telegraf's basicstats aggregator names its fields.
 */
export const metricField = (metric: string, stat: string) => `${metric}_${stat}`;

/** Statistics of shipwatch_rollup, per metric (`<metric>_<stat>`), over the window's samples. */
export const ROLLUP_FIELDS = {
  mean: 'mean',
  min: 'min',
  max: 'max',
} as const;

/** Statistics of shipwatch_threshold, per metric (`<metric>_<stat>`). */
export const THRESHOLD_FIELDS = {
  baseline: 'baseline',
  lower: 'lower',
  upper: 'upper',
  /** distance beyond the band in robust scale units; written only outside the band */
  score: 'score',
  /** true on the sample where an anomaly was raised; written only then */
  anomaly: 'anomaly',
} as const;

export const PREDICTION_FIELDS = {
  value: 'value',
  limit: 'limit',
  /** units per second */
  slope: 'slope',
  /** seconds until the trend reaches the limit; absent when it does not rise */
  eta: 'eta_s',
  /** the trend's value processor.prediction.horizon from now */
  predicted: 'predicted',
} as const;

export const ALERT_FIELDS = {
  /** stable identity: rule|host|container */
  key: 'key',
  summary: 'summary',
  value: 'value',
  containerId: 'container_id',
  /** ms since epoch the alert started firing */
  startsAt: 'starts_at',
  snapshotId: 'snapshot_id',
  /** 1 firing, 0 resolved: draws as a step line */
  firing: 'firing',
  /** resolved: seconds from the start of the firing to the resolve (time to resolve) */
  duration: 'duration_s',
} as const;

export const SNAPSHOT_FIELDS = {
  id: 'snapshot_id',
  alertKey: 'alert_key',
  /** the alert's severity and summary, for lists that do not read the body */
  severity: 'severity',
  summary: 'summary',
  /** the snapshot document as JSON */
  body: 'body',
} as const;

// ---------------------------------------------------------------------------
// Alerter output (Shipwatch's own measurements; docs/schema.md "Alerter").

export const ALERTER_MEASUREMENT = {
  /** one point per delivery attempt of a notification to a receiver's channel */
  notification: 'shipwatch_notification',
  /** one point per recovery action run, updated with the verification outcome */
  recoveryRun: 'shipwatch_recovery_run',
  /** one point per firing alert that no receiver was routed to: it reached no one */
  unrouted: 'shipwatch_unrouted_alert',
  /** what people and the alerter did with an alert: acknowledged, unacknowledged, held back by a silence or inhibition */
  alertHandling: 'shipwatch_alert_handling',
  /** a silence created, expired or deleted */
  silence: 'shipwatch_silence',
  /** a report made and stored (docs/reports.md), with a link to read it */
  report: 'shipwatch_report',
} as const;

export const ALERTER_TAG = {
  receiver: 'receiver',
  /** email, webhook, sms, push */
  channel: 'channel',
  /** shipwatch_report: scheduled, on-demand */
  reportKind: 'report_kind',
  /** shipwatch_report: the reports.schedules entry of a scheduled report */
  schedule: 'schedule',
  /** notification: sent, failed, duplicate; recovery run: ok, failed, timeout, error */
  outcome: 'outcome',
  /** firing, resolved, recovery; report (a report mailed) */
  kind: 'kind',
  rule: 'rule',
  /** the action rule's name */
  action: 'action',
  /** shipwatch_alert_handling: HANDLING_EVENTS; shipwatch_silence: SILENCE_EVENTS */
  event: 'event',
} as const;

export const REPORT_FIELDS = {
  reportId: 'report_id',
  title: 'title',
  /** the period, ms since epoch */
  from: 'from',
  to: 'to',
  summary: 'summary',
  /** no container data in the period */
  empty: 'empty',
  /** the report's HTML through the alerter's API, with a signature in place of the token (empty without an API token) */
  url: 'url',
} as const;

/** `event` tag values of shipwatch_alert_handling. */
export const HANDLING_EVENTS = {
  acknowledged: 'acknowledged',
  unacknowledged: 'unacknowledged',
  /** a notification or recovery action held back by an active silence */
  silenced: 'silenced',
  /** a notification held back by a firing alert through an inhibit rule */
  inhibited: 'inhibited',
} as const;

export const HANDLING_FIELDS = {
  alertKey: 'alert_key',
  /** ms since epoch the alert's life started (which firing it was) */
  startsAt: 'starts_at',
  /** who acknowledged or unacknowledged */
  by: 'by',
  comment: 'comment',
  /** acknowledged: seconds from the start of the firing to the acknowledgement */
  timeToAck: 'time_to_ack_s',
  /** silenced: IDs of the silences that held it, comma-separated */
  silenceIds: 'silence_ids',
  /** inhibited: the key of the firing alert that held it */
  inhibitedBy: 'inhibited_by',
  /** silenced: what was held back, notification or recovery */
  held: 'held',
} as const;

/** `event` tag values of shipwatch_silence. */
export const SILENCE_EVENTS = { created: 'created', expired: 'expired', deleted: 'deleted' } as const;

export const SILENCE_FIELDS = {
  silenceId: 'silence_id',
  /** the matchers as written, e.g. host="host1", container=~"web-.*" */
  matchers: 'matchers',
  /** created, expired: who created it; deleted: who deleted it */
  by: 'by',
  /** why: the silence's comment, or the reason given for deleting it */
  comment: 'comment',
  startsAt: 'starts_at',
  endsAt: 'ends_at',
} as const;

export const NOTIFICATION_FIELDS = {
  notificationId: 'notification_id',
  groupKey: 'group_key',
  attempt: 'attempt',
  durationMs: 'duration_ms',
  alerts: 'alerts',
  error: 'error',
} as const;

export const UNROUTED_FIELDS = {
  alertKey: 'alert_key',
  summary: 'summary',
} as const;

export const RECOVERY_FIELDS = {
  runId: 'run_id',
  alertKey: 'alert_key',
  containerId: 'container_id',
  /** script or docker:restart, ... */
  command: 'command',
  startedAt: 'started_at',
  endedAt: 'ended_at',
  durationMs: 'duration_ms',
  exitCode: 'exit_code',
  signal: 'signal',
  stdout: 'stdout',
  stderr: 'stderr',
  error: 'error',
  /** files a script left in its run directory (paths on the agent's host, one per line) */
  attachments: 'attachments',
  /** written once verified: running (and healthy) within actions.verifyWithin */
  recovered: 'recovered',
  verifiedAt: 'verified_at',
} as const;

// ---------------------------------------------------------------------------
// Prometheus exposition of container metrics (collector.prometheus; docs/schema.md
// "Prometheus exposition"). cAdvisor's metric names, types, help texts and labels, so
// rules and dashboards written for cAdvisor work unchanged.

export const PROM_LABEL = {
  /** the container's cgroup, as cAdvisor names it: /docker/<id>, /system.slice/docker-<id>.scope, /libpod_parent/libpod-<id> */
  id: 'id',
  /** container name */
  name: 'name',
  /** image reference the container was created from */
  image: 'image',
  /** container_cpu_usage_seconds_total: "total" (no per-CPU series) */
  cpu: 'cpu',
  /** container_network_*: the interface */
  interface: 'interface',
} as const;

/** A label in collector.labelTags becomes container_label_<label>, non [a-zA-Z0-9_] characters as "_". */
export const PROM_CONTAINER_LABEL_PREFIX = 'container_label_';

/** Value of the cpu label: cAdvisor's when per-CPU usage is not exported. */
export const PROM_CPU_TOTAL = 'total';

export interface PromMetricDef {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
}

const counter = (name: string, help: string): PromMetricDef => ({ name, type: 'counter', help });
const gauge = (name: string, help: string): PromMetricDef => ({ name, type: 'gauge', help });

/** Container metrics of the exposition, in the order they are written. */
export const PROM_METRIC = {
  cpuUsage: counter('container_cpu_usage_seconds_total', 'Cumulative cpu time consumed in seconds.'),
  cpuUser: counter('container_cpu_user_seconds_total', 'Cumulative user cpu time consumed in seconds.'),
  cpuSystem: counter('container_cpu_system_seconds_total', 'Cumulative system cpu time consumed in seconds.'),
  cfsPeriods: counter('container_cpu_cfs_periods_total', 'Number of elapsed enforcement period intervals.'),
  cfsThrottledPeriods: counter('container_cpu_cfs_throttled_periods_total', 'Number of throttled period intervals.'),
  cfsThrottledSeconds: counter('container_cpu_cfs_throttled_seconds_total', 'Total time duration the container has been throttled.'),
  memUsage: gauge('container_memory_usage_bytes', 'Current memory usage in bytes, including all memory regardless of when it was accessed'),
  memWorkingSet: gauge('container_memory_working_set_bytes', 'Current working set in bytes.'),
  memRss: gauge('container_memory_rss', 'Size of RSS in bytes.'),
  memCache: gauge('container_memory_cache', 'Number of bytes of page cache memory.'),
  memLimit: gauge('container_spec_memory_limit_bytes', 'Memory limit for the container.'),
  netRxBytes: counter('container_network_receive_bytes_total', 'Cumulative count of bytes received'),
  netRxPackets: counter('container_network_receive_packets_total', 'Cumulative count of packets received'),
  netRxErrors: counter('container_network_receive_errors_total', 'Cumulative count of errors encountered while receiving'),
  netRxDropped: counter('container_network_receive_packets_dropped_total', 'Cumulative count of packets dropped while receiving'),
  netTxBytes: counter('container_network_transmit_bytes_total', 'Cumulative count of bytes transmitted'),
  netTxPackets: counter('container_network_transmit_packets_total', 'Cumulative count of packets transmitted'),
  netTxErrors: counter('container_network_transmit_errors_total', 'Cumulative count of errors encountered while transmitting'),
  netTxDropped: counter('container_network_transmit_packets_dropped_total', 'Cumulative count of packets dropped while transmitting'),
  fsReadBytes: counter('container_fs_reads_bytes_total', 'Cumulative count of bytes read'),
  fsWriteBytes: counter('container_fs_writes_bytes_total', 'Cumulative count of bytes written'),
  fsReads: counter('container_fs_reads_total', 'Cumulative count of reads completed'),
  fsWrites: counter('container_fs_writes_total', 'Cumulative count of writes completed'),
  processes: gauge('container_processes', 'Number of processes running inside the container.'),
  threads: gauge('container_threads', 'Number of threads running inside the container'),
  threadsMax: gauge('container_threads_max', 'Maximum number of threads allowed inside the container, infinity if value is zero'),
  healthState: gauge('container_health_state', "The result of the container's health check"),
  startTime: gauge('container_start_time_seconds', 'Start time of the container since unix epoch in seconds.'),
  lastSeen: gauge('container_last_seen', 'Last time a container was seen by the exporter'),
} as const;

/** Prefix of the collector's own process metrics beside the container metrics. */
export const PROM_COLLECTOR_PREFIX = 'shipwatch_collector_';
