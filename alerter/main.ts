/** Alerter entry point: routes the processor's alerts to receivers and queues recovery actions (docs/alerter.md). */
import { runComponent } from '../common/main.js';
import { startAlerter } from './service.js';

await runComponent('alerter', startAlerter);
