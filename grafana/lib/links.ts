/** Dashboard uids and the links between dashboards. */
import type { DashboardLink } from './model.js';

export const UID = {
  overview: 'shipwatch-overview',
  container: 'shipwatch-container',
  images: 'shipwatch-images',
  compare: 'shipwatch-compare',
  alerts: 'shipwatch-alerts',
} as const;

/**
 * A data link to one container's detail dashboard, keeping the time range. Grafana's
 * schema types field links as dashboard links, so it carries their keys too.
 */
export function containerLink(host: string, container: string): DashboardLink {
  return {
    title: 'Container detail',
    type: 'link',
    icon: 'dashboard',
    tooltip: 'Open the container\'s dashboard',
    url: `/d/${UID.container}/container?var-host=${host}&var-container=${container}&\${__url_time_range}`,
    tags: [],
    asDropdown: false,
    targetBlank: false,
    includeVars: false,
    keepTime: false,
  };
}
