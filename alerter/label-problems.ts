/** Reports a container label the alerter cannot follow, once per container, label and value: a warning and a point. */
import type { Logger } from '../common/log.js';
import type { LineSink } from '../common/influx/sink.js';
import { labelProblemLine, type LabelProblem } from '../common/container-settings.js';
import type { AlertMessage } from '../common/queue/alerts.js';

export class LabelProblemLog {
  private readonly seen = new Set<string>();

  constructor(private readonly writer: LineSink, private readonly log: Logger) {}

  report(m: Pick<AlertMessage, 'host' | 'container' | 'containerId'>, p: LabelProblem, now: number): void {
    const id = `${m.host}|${m.container}|${p.label}|${p.value}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.log.warn({ host: m.host, container: m.container, label: p.label, value: p.value, problem: p.problem }, 'container label not followed');
    this.writer.write([labelProblemLine(m.host, m.container, m.containerId, p, now)]);
  }
}
