/** Collector entry point: wires config, Docker, the stats source and the InfluxDB writer. */
import { runComponent } from '../common/main.js';
import { startCollector } from './service.js';

await runComponent('collector', startCollector);
