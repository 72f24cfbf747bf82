/** Processor entry point: takes the collector's jobs from Redis and writes rollups, thresholds, predictions and alerts; makes the reports. */
import { runComponent } from '../common/main.js';
import { startProcessor } from './service.js';

await runComponent('processor', startProcessor);
