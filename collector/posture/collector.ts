/**
 * The posture part: every container's security posture, from the inspect
 * answer the registry already holds (no call of its own), written when a
 * container appears or its posture changes, and at least every `every` ms
 * so that dashboards find it in any recent time range.
 */
import type { Logger } from '../../common/log.js';
import { MEASUREMENT } from '../../common/schema.js';
import type { LineSink } from '../../common/influx/sink.js';
import type { ContainerMeta } from '../container.js';
import type { EngineInfo } from '../../common/docker.js';
import { ContainerSeries } from '../points.js';
import { assessPosture, type EngineSecurity, type Posture } from './checks.js';
import { postureLine } from './lines.js';

interface Entry {
  meta: ContainerMeta;
  key: string;
  posture: Posture;
  /** what the written point says: score and failed IDs */
  said: string;
  writtenAt: number;
}

export interface PostureOptions {
  labelTags: string[];
  /** rewrite an unchanged posture this often (ms) */
  every: number;
}

const summary = (p: Posture) => `${p.score}|${p.failed.map((f) => `${f.id}:${f.severity}:${f.detail}`).join(',')}`;

export class PostureCollector {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly containers: () => ContainerMeta[],
    private readonly sink: LineSink,
    private readonly engine: EngineInfo,
    private readonly security: EngineSecurity,
    private readonly opts: PostureOptions,
    private readonly log: Logger,
  ) {}

  postureOf(id: string): Posture | undefined {
    return this.entries.get(id)?.posture;
  }

  /** One pass stamped `time` (ms). Never throws. */
  async poll(time: number): Promise<{ written: number }> {
    const lines: string[] = [];
    const seen = new Set<string>();
    for (const meta of this.containers()) {
      if (!meta.security) continue;
      seen.add(meta.id);
      let e = this.entries.get(meta.id);
      if (!e || e.meta !== meta) {
        // Re-inspected: same tags and posture unless something changed.
        const posture = assessPosture(meta.security, this.security);
        const key = new ContainerSeries(meta, this.engine, this.opts.labelTags).key(MEASUREMENT.posture);
        const said = summary(posture);
        const changed = !e || e.key !== key || e.said !== said;
        if (changed && e && posture.counts.critical > e.posture.counts.critical) {
          this.log.info({ container: meta.name, failed: posture.failed.filter((f) => f.severity === 'critical').map((f) => f.id) }, 'container has a new critical security finding');
        }
        e = { meta, key, posture, said, writtenAt: changed ? -Infinity : e!.writtenAt };
        this.entries.set(meta.id, e);
      }
      if (time - e.writtenAt < this.opts.every) continue;
      e.writtenAt = time;
      lines.push(postureLine(e.key, e.posture, time));
    }
    for (const id of [...this.entries.keys()]) if (!seen.has(id)) this.entries.delete(id);
    if (lines.length) {
      this.sink.write(lines);
      await this.sink.flush();
    }
    return { written: lines.length };
  }
}
