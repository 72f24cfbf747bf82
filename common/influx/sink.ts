/** Where line protocol goes: the InfluxDB writer, or anything standing in for it. */
export interface LineSink {
  /** queues lines; never throws (failures are buffered, retried and logged by the writer) */
  write(lines: string[]): void;
  /** resolves true once everything written so far reached InfluxDB */
  flush(): Promise<boolean>;
}
