/**
 * Per-container settings from Docker labels (docs/processor.md, "Settings from
 * labels"): the label names, and the settings as the collector carries them
 * to the processor in each sample and the processor to the alerter in each
 * alert. Each receiving side validates them with these schemas.
 */
import { z } from 'zod';
import { PROCESSOR_METRICS, MEASUREMENT, TAG, LABEL_PROBLEM_FIELDS as LP, FIELD_CONTAINER_ID } from './schema.js';
import { seriesKey, line } from './lineprotocol.js';

export const LABEL_PREFIX = 'shipwatch.';

/** The labels Shipwatch reads on a container. */
export const CONTAINER_LABEL = {
  /** false: the container is left out of monitoring altogether */
  enable: 'shipwatch.enable',
  /** false: monitored, but it raises no alerts */
  alert: 'shipwatch.alert',
  /** shipwatch.threshold.<metric>=<value>: a static limit on a processor metric */
  thresholdPrefix: 'shipwatch.threshold.',
  /** shipwatch.anomaly.<metric>=off|low|medium|high: the dynamic-threshold detector's sensitivity */
  anomalyPrefix: 'shipwatch.anomaly.',
  /** the receiver its alerts go to */
  route: 'shipwatch.route',
  /** the recovery action rule (alerter.actions.rules) allowed for it, or none */
  recovery: 'shipwatch.recovery',
} as const;

/** Detector sensitivity: off (no detector), low (fewer alerts), medium (the configured one), high (more alerts). */
export const SENSITIVITIES = ['off', 'low', 'medium', 'high'] as const;
export type Sensitivity = (typeof SENSITIVITIES)[number];

/** shipwatch.recovery value that allows no recovery action at all. */
export const NO_RECOVERY = 'none';

/** Receiver and action rule names (as in alerter.receivers and alerter.actions.rules). */
export const SettingName = z.string().min(1).max(200).regex(/^[A-Za-z0-9_.-]+$/, 'names: letters, digits, _ . - only');

const metric = z.enum(Object.values(PROCESSOR_METRICS) as [string, ...string[]]);

export const ContainerSettingsSchema = z.strictObject({
  /** false: no alerts for this container */
  alert: z.boolean().optional(),
  /** metric → limit its rolled average may not exceed */
  thresholds: z.partialRecord(metric, z.number().finite()).optional(),
  /** metric → detector sensitivity */
  anomaly: z.partialRecord(metric, z.enum(SENSITIVITIES)).optional(),
  /** receiver of its alerts */
  route: SettingName.optional(),
  /** recovery action rule allowed for it; "none": no action */
  recovery: SettingName.optional(),
});

export type ContainerSettings = z.infer<typeof ContainerSettingsSchema>;

/** A shipwatch.* label that is wrong, and what was done instead. */
export interface LabelProblem {
  label: string;
  value: string;
  problem: string;
}

/** The point that shows a wrong label on the dashboards (the collector's checks, the alerter's unknown names). */
export function labelProblemLine(host: string, container: string, containerId: string, p: LabelProblem, t: number): string {
  return line(seriesKey(MEASUREMENT.labelProblem, { [TAG.engineHost]: host, [TAG.containerName]: container, [TAG.label]: p.label }), {
    [LP.value]: p.value,
    [LP.problem]: p.problem,
    [FIELD_CONTAINER_ID]: containerId || undefined,
  }, t);
}
