/** One process of a container as the sources read it; the same shape from /proc and from docker top. */
export interface ProcessSample {
  /** identity across polls: pid plus start time (or command where the start time is coarse) */
  key: string;
  pid: number;
  /** PID inside the container (from /proc NSpid); undefined from docker top */
  nsPid?: number;
  ppid?: number;
  user: string;
  state: string;
  rss?: number;
  vsz?: number;
  threads?: number;
  /** cumulative CPU time, ns */
  cpuTimeNs?: number;
  /** CPU % the source itself reports (ps: lifetime average), used when no earlier sample exists */
  cpuPercentHint?: number;
  memPercent?: number;
  /** ms since epoch */
  startedAt?: number;
  command: string;
}
