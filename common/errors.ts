/** The error classes of the shared modules; callers tell failures apart by class. */

/** The configuration is invalid or unreadable: the message names the key. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** InfluxDB answered a query with an error. */
export class InfluxQueryError extends Error {
  override name = 'InfluxQueryError';
  constructor(message: string, readonly query: string) {
    super(message);
  }
}

/** A retention set-up failure that retrying will not fix (permissions, a bad value). */
export class RetentionError extends Error {
  override name = 'RetentionError';
}
