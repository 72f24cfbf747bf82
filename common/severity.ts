/** How bad an alert is: set by rules (config), carried by alert messages, routed on by the alerter. */
export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];
