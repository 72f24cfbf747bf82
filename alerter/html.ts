/** HTML escaping for everything the alerter renders (shared with the report pages: common/html.ts). */
export { escapeHtml } from '../common/html.js';
