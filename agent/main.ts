/**
 * Recovery agent entry point, one per Docker host: runs the recovery actions
 * the alerter queues for this host (docs/alerter.md).
 */
import { runComponent } from '../common/main.js';
import { InfluxWriter } from '../common/influx/writer.js';
import { createRedis } from '../common/queue/connection.js';
import { createDocker, engineInfo } from '../common/docker.js';
import { startAgent } from './agent.js';
import { agentSummary } from './summary.js';
import { logSummary } from '../common/summary.js';

await runComponent('agent', async (cfg, log) => {
  const docker = createDocker(cfg.docker);
  // The same host name the collector writes (host, else the engine's name), which alerts carry.
  const { host, serverVersion } = await engineInfo(docker, cfg, log);
  const writer = new InfluxWriter(cfg.influx, log.child({ part: 'influx' }));
  writer.ensureDatabase().catch((e) => log.error({ err: e }, 'could not create the InfluxDB database'));
  const a = await startAgent({ cfg, host, docker, writer, log }, () => createRedis(cfg.redis, { maxRetriesPerRequest: null, connectionName: 'shipwatch-agent' }));
  logSummary(log, agentSummary(cfg, host, serverVersion));
  return async () => {
    await a.stop();
    await writer.close();
  };
});
