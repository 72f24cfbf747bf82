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

/** memory.stat keys Telegraf copies into docker_container_mem (those present are written). */
export const MEM_STAT_FIELDS = [
  'active_anon', 'active_file', 'cache', 'hierarchical_memory_limit', 'inactive_anon', 'inactive_file',
  'mapped_file', 'pgfault', 'pgmajfault', 'pgpgin', 'pgpgout', 'rss', 'rss_huge', 'total_active_anon',
  'total_active_file', 'total_cache', 'total_inactive_anon', 'total_inactive_file', 'total_mapped_file',
  'total_pgfault', 'total_pgmajfault', 'total_pgpgin', 'total_pgpgout', 'total_rss', 'total_rss_huge',
  'total_unevictable', 'total_writeback', 'unevictable', 'writeback',
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
