/**
 * The image list: refreshed on a slow interval and shortly after Docker reports
 * an image event (pull, tag, untag, delete, import, load) or a container being
 * created or destroyed (the per-image container count).
 */
import type Docker from 'dockerode';
import type { Logger } from '../../common/log.js';
import { OnceLogger } from '../../common/log.js';
import { mapLimit } from '../../common/pool.js';
import type { LineSink } from '../../common/influx/sink.js';
import type { DockerEvent, DockerEventStream } from '../events.js';
import { actionName } from '../eventlines.js';
import type { EngineInfo } from '../../common/docker.js';
import { ImageCatalog, imageRows, type ImageDetails, type ImageListEntry } from './lines.js';

const IMAGE_ACTIONS = new Set(['pull', 'tag', 'untag', 'delete', 'import', 'load']);
const CONTAINER_ACTIONS = new Set(['create', 'destroy']);

export class ImageCollector {
  private readonly catalog = new ImageCatalog();
  private details = new Map<string, ImageDetails>();
  private readonly outage: OnceLogger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private pending = false;
  private stopped = false;
  private readonly onEvent = (e: DockerEvent) => {
    const a = actionName(e.Action ?? '');
    if ((e.Type === 'image' && IMAGE_ACTIONS.has(a)) || (e.Type === 'container' && CONTAINER_ACTIONS.has(a))) this.soon();
  };

  constructor(
    private readonly docker: Docker,
    private readonly sink: LineSink,
    private readonly engine: EngineInfo,
    private readonly opts: { debounceMs?: number },
    private readonly log: Logger,
  ) {
    this.outage = new OnceLogger(log);
  }

  follow(events: DockerEventStream): void {
    events.on('event', this.onEvent);
  }

  unfollow(events: DockerEventStream): void {
    events.off('event', this.onEvent);
  }

  /** A burst of events (a pull tags and untags several times) gives one refresh. */
  private soon(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh(Date.now());
    }, this.opts.debounceMs ?? 500);
  }

  /** Lists the images and writes them stamped `time` (ms). One refresh at a time; never throws. */
  async refresh(time: number): Promise<{ images: number; lines: number } | undefined> {
    if (this.running) {
      // Something changed while a refresh was running: run once more after it.
      this.pending = true;
      await this.running;
      return undefined;
    }
    const p = this.doRefresh(time);
    this.running = p;
    try {
      return await p;
    } finally {
      this.running = undefined;
      if (this.pending && !this.stopped) {
        this.pending = false;
        this.soon();
      }
    }
  }

  private async doRefresh(time: number) {
    let images: ImageListEntry[];
    let containers: Docker.ContainerInfo[];
    try {
      [images, containers] = await Promise.all([
        this.docker.listImages() as Promise<ImageListEntry[]>,
        this.docker.listContainers({ all: true }),
      ]);
      this.outage.clear('list', 'Docker image list readable again');
    } catch (e) {
      this.outage.raise('list', 'listing images failed; retrying', { error: (e as Error).message });
      return undefined;
    }
    const ids = new Set(images.map((i) => i.Id));
    for (const id of [...this.details.keys()]) if (!ids.has(id)) this.details.delete(id);
    // Architecture and OS never change for an image ID: inspect each once.
    await mapLimit(images.filter((i) => !this.details.has(i.Id)), 8, async (i) => {
      try {
        const info = await this.docker.getImage(i.Id).inspect();
        this.details.set(i.Id, { architecture: info.Architecture, os: info.Os });
      } catch {
        /* deleted meanwhile: written without them */
      }
    });
    const counts = new Map<string, number>();
    for (const c of containers) counts.set(c.ImageID, (counts.get(c.ImageID) ?? 0) + 1);
    const rows = imageRows(images, (id) => this.details.get(id), (id) => counts.get(id) ?? 0, this.engine);
    const lines: string[] = [];
    this.catalog.lines(rows, time, lines);
    const out = lines.filter(Boolean);
    this.sink.write(out);
    await this.sink.flush();
    return { images: images.length, lines: out.length };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
