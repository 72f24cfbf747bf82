/**
 * docker top through the API: works against remote engines, but dockerd runs ps
 * over the whole host for every container asked, so it is the fallback.
 */
import type Docker from 'dockerode';
import type { ContainerMeta } from '../container.js';
import { isGone } from '../../common/docker.js';
import { parseTop, PS_ARGS, type TopAnswer } from './ps.js';
import type { ProcessSample } from './sample.js';
import type { ProcessSource } from './source.js';

export class ApiProcessSource implements ProcessSource {
  readonly name = 'api' as const;
  /** the host's ps rejected our columns (e.g. busybox ps): use docker top's default */
  private plain = false;

  constructor(private readonly docker: Docker, private readonly timeout: number) {}

  list(c: ContainerMeta, nowMs: number): Promise<ProcessSample[] | undefined> {
    return this.top(c.id, nowMs);
  }

  /** The container's processes; undefined when it is gone or not running. */
  async top(id: string, nowMs: number): Promise<ProcessSample[] | undefined> {
    const ask = (ps_args?: string) =>
      this.docker.getContainer(id).top({ ...(ps_args ? { ps_args } : {}), abortSignal: AbortSignal.timeout(this.timeout) }) as Promise<TopAnswer>;
    try {
      const top = await ask(this.plain ? undefined : PS_ARGS);
      return parseTop(top, nowMs);
    } catch (e) {
      if (isGone(e)) return undefined;
      if (!this.plain && (e as { statusCode?: number }).statusCode === 500 && /ps/i.test(String((e as Error).message))) {
        this.plain = true;
        try {
          return parseTop(await ask(), nowMs);
        } catch (e2) {
          if (isGone(e2)) return undefined;
          throw e2;
        }
      }
      throw e;
    }
  }

  forget(): void {}
}

/** Reads /proc where this host's cgroups are visible; a container it cannot see goes through the API. */
export class FallbackProcessSource implements ProcessSource {
  readonly name = 'proc' as const;
  constructor(private readonly fast: ProcessSource, private readonly api: ProcessSource) {}

  async list(c: ContainerMeta, nowMs: number) {
    const r = await this.fast.list(c, nowMs);
    return r === 'unreadable' ? this.api.list(c, nowMs) : r;
  }

  forget(id: string): void {
    this.fast.forget(id);
    this.api.forget(id);
  }
}
