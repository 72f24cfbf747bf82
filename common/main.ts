import { loadConfig, redactConfig, type Config } from './config.js';
import { ConfigError } from './errors.js';
import { createLogger, type Logger } from './log.js';

/**
 * Shared entry-point plumbing: config loaded and validated first (a broken
 * config exits 2 with the key named), then the component runs until SIGINT/SIGTERM.
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
  const log = createLogger(name, cfg.log.level);
  log.info({ config: redactConfig(cfg) }, `${name} starting`);
  let stop: () => Promise<void>;
  try {
    stop = await start(cfg, log);
  } catch (e) {
    log.fatal({ err: e }, `${name} failed to start`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, `${name} stopping`);
    await stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
