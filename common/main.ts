import { loadConfig, type Config } from './config.js';
import { redactConfig, secretValues } from './config-redact.js';
import { ConfigError } from './errors.js';
import { createLogger, type Logger } from './log.js';

/**
 * Shared entry-point plumbing: config loaded and validated first (a broken
 * config exits 2 with the key named), then the component runs until SIGINT or
 * SIGTERM. Each component logs its own start-up summary; the whole
 * configuration (secrets redacted) only at debug level.
 *
 * Stopping is bounded: the component's stop (finish the work under way, flush,
 * acknowledge) gets `shutdownTimeout`; past it the process exits with code 1
 * rather than hang, and what was left is taken up again on the next start
 * (jobs stay in Redis, points in the writer's buffer are counted as lost).
 */
export async function runComponent(name: string, start: (cfg: Config, log: Logger) => Promise<() => Promise<void>>): Promise<void> {
  let cfg: Config;
  try {
    const fileArg = process.argv.indexOf('--config');
    cfg = loadConfig({ file: fileArg > 0 ? process.argv[fileArg + 1] : undefined });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${name}: invalid configuration\n${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger(name, cfg.log.level, secretValues(cfg));
  log.info({ node: process.version }, `${name} starting`);
  log.debug({ config: redactConfig(cfg) }, 'configuration');
  let stop: () => Promise<void>;
  try {
    stop = await start(cfg, log);
  } catch (e) {
    log.fatal({ err: e }, `${name} failed to start`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    // A second signal (a terminal's Ctrl-C reaches the whole process group) changes nothing: the stop is bounded.
    if (stopping) return;
    stopping = true;
    const t0 = Date.now();
    log.info({ signal, timeoutMs: cfg.shutdownTimeout }, `${name} stopping`);
    const timer = setTimeout(() => {
      log.error({ timeoutMs: cfg.shutdownTimeout }, `${name} did not stop within shutdownTimeout; exiting with work unfinished`);
      process.exit(1);
    }, cfg.shutdownTimeout);
    try {
      await stop();
    } catch (e) {
      log.error({ err: e }, `${name} stop failed`);
      process.exit(1);
    }
    clearTimeout(timer);
    log.info({ tookMs: Date.now() - t0 }, `${name} stopped`);
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
