/**
 * Each container's settings from its labels, parsed once per container (labels
 * never change on a container). A wrong label is reported once: a warning in
 * the log and a docker_container_label_problem point; the container is still
 * monitored, without that setting.
 */
import type { Logger } from '../common/log.js';
import type { LineSink } from '../common/influx/sink.js';
import { labelProblemLine, type ContainerSettings } from '../common/container-settings.js';
import type { ContainerMeta } from './container.js';
import { parseSettings } from './settings.js';

export class ContainerSettingsWatch {
  private readonly known = new Map<string, ContainerSettings | undefined>();

  constructor(private readonly sink: LineSink, private readonly host: string, private readonly log: Logger) {}

  of(meta: ContainerMeta, now = Date.now()): ContainerSettings | undefined {
    if (this.known.has(meta.id)) return this.known.get(meta.id);
    const { settings, problems } = parseSettings(meta.labels);
    this.known.set(meta.id, settings);
    if (problems.length) {
      this.log.warn({ container: meta.name, problems }, 'container label not understood: ignored');
      this.sink.write(problems.map((p) => labelProblemLine(this.host, meta.name, meta.id, p, now)));
    }
    return settings;
  }

  /** Forgets containers no longer there. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.known.keys()) if (!ids.has(id)) this.known.delete(id);
  }
}
