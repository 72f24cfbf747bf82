/** Compare: several containers and metrics side by side on one time axis. */
import { dashboard, Layout, table } from '../lib/build.js';
import {
  hostVar, containerVar, networkVar, deviceVar, rollupRpVar, METRICS, metricChart, containerFilter, usageTargets, JOIN_PER_CONTAINER,
  ORDER_CONTAINER_COLUMNS, RENAMED_ROW_LINK,
} from '../lib/containers.js';
import { UID } from '../lib/links.js';
import type { Dashboard } from '../lib/model.js';

export function compare(): Dashboard {
  const l = new Layout();
  l.add(table({
    title: 'Now', w: 24, h: 5,
    description: 'CPU and memory of the chosen containers at the end of the time range.',
    targets: usageTargets(['A', 'B'], containerFilter),
    transformations: [...JOIN_PER_CONTAINER, ...ORDER_CONTAINER_COLUMNS], links: [RENAMED_ROW_LINK],
    decimals: 1,
  }));
  // Two charts a row; the shared crosshair and tooltip line the moments up across them.
  for (const m of Object.values(METRICS)) l.add(metricChart(m, { band: false, h: 9 }));
  return dashboard({
    uid: UID.compare,
    title: 'Shipwatch / Compare',
    description: 'Pick several containers (on several hosts): each metric is one chart with a line per container, on a shared time axis.',
    variables: [hostVar(), containerVar(), networkVar(), deviceVar(), rollupRpVar()],
    layout: l,
    graphTooltip: 2,
  });
}
