/**
 * /system/df as docker_disk_usage (Telegraf's shape) and the mounts of each
 * container as docker_container_mount. Pure: the answer in, lines out.
 */
import { MEASUREMENT, TAG, DISK_FIELDS, MOUNT_FIELDS, FIELD_CONTAINER_ID, NO_TAG } from '../../common/schema.js';
import { seriesKey, line, int, type FieldValue } from '../../common/lineprotocol.js';
import type { EngineInfo } from '../../common/docker.js';
import { ContainerSeries } from '../points.js';
import { parseImage, type ContainerMeta } from '../container.js';
import { partialMeta, listName } from '../meta.js';
import { monitored } from '../settings.js';

export interface DfMount {
  Type?: string;
  Name?: string;
  Source?: string;
  Destination?: string;
  Driver?: string;
  Mode?: string;
  RW?: boolean;
  Propagation?: string;
}

export interface DfContainer {
  Id: string;
  Names?: string[];
  Image?: string;
  Labels?: Record<string, string> | null;
  State?: string;
  SizeRw?: number;
  SizeRootFs?: number;
  Mounts?: DfMount[] | null;
}

export interface DfImage {
  Id: string;
  RepoTags?: string[] | null;
  Size?: number;
  SharedSize?: number;
}

export interface DfVolume {
  Name: string;
  UsageData?: { Size?: number; RefCount?: number } | null;
}

export interface DfAnswer {
  LayersSize?: number;
  Containers?: DfContainer[] | null;
  Images?: DfImage[] | null;
  Volumes?: DfVolume[] | null;
}

/** Telegraf's image_id tag: the first 12 hex digits. */
export const shortImageId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/** The repository:tag pairs of an image, without Docker's "<none>:<none>" placeholder. */
export const realTags = (tags: string[] | null | undefined) => (tags ?? []).filter((t) => t && t !== '<none>:<none>');

/** Docker reports -1 where it did not compute a size. */
const size = (n: number | undefined) => (n === undefined || n < 0 ? undefined : int(n));

export interface DiskLineOptions {
  labelTags: string[];
  known?: (id: string) => ContainerMeta | undefined;
}

export function diskLines(df: DfAnswer, engine: EngineInfo, opts: DiskLineOptions, timeMs: number, out: string[]): void {
  const host = { [TAG.engineHost]: engine.host, [TAG.serverVersion]: engine.serverVersion };
  out.push(line(seriesKey(MEASUREMENT.diskUsage, host), { [DISK_FIELDS.layersSize]: size(df.LayersSize) }, timeMs));

  const volumeSize = new Map<string, number>();
  for (const v of df.Volumes ?? []) {
    const s = v.UsageData?.Size;
    if (s !== undefined && s >= 0) volumeSize.set(v.Name, s);
    out.push(line(seriesKey(MEASUREMENT.diskUsage, { ...host, [TAG.volumeName]: v.Name }), { [DISK_FIELDS.size]: size(s) }, timeMs));
  }

  for (const c of df.Containers ?? []) {
    if (!monitored(c.Labels)) continue;
    const meta = opts.known?.(c.Id) ?? partialMeta({ id: c.Id, name: listName(c.Names), image: c.Image ?? '', labels: c.Labels ?? {}, state: c.State });
    const s = new ContainerSeries(meta, engine, opts.labelTags);
    out.push(line(s.key(MEASUREMENT.diskUsage, { [TAG.containerStatus]: undefined }), {
      [DISK_FIELDS.sizeRw]: size(c.SizeRw),
      [DISK_FIELDS.sizeRootFs]: size(c.SizeRootFs),
      [FIELD_CONTAINER_ID]: c.Id,
    }, timeMs));
    mountLines(s, c.Mounts ?? [], volumeSize, timeMs, out);
  }

  for (const img of df.Images ?? []) {
    const tags = realTags(img.RepoTags);
    const ref = tags.length ? parseImage(tags[0]) : { name: NO_TAG, version: NO_TAG };
    out.push(line(seriesKey(MEASUREMENT.diskUsage, {
      ...host,
      [TAG.imageId]: shortImageId(img.Id),
      [TAG.imageName]: ref.name,
      [TAG.imageVersion]: ref.version,
    }), { [DISK_FIELDS.size]: size(img.Size), [DISK_FIELDS.sharedSize]: size(img.SharedSize) }, timeMs));
  }
}

/** One point per mount, keyed by its destination inside the container. */
export function mountLines(s: ContainerSeries, mounts: DfMount[], volumeSize: Map<string, number>, timeMs: number, out: string[]): void {
  for (const m of mounts) {
    if (!m.Destination) continue;
    const f: Record<string, FieldValue> = {
      [MOUNT_FIELDS.type]: m.Type,
      [MOUNT_FIELDS.source]: m.Source,
      [MOUNT_FIELDS.name]: m.Name || undefined,
      [MOUNT_FIELDS.driver]: m.Driver || undefined,
      [MOUNT_FIELDS.mode]: m.Mode,
      [MOUNT_FIELDS.rw]: m.RW,
      [MOUNT_FIELDS.propagation]: m.Propagation,
      [MOUNT_FIELDS.size]: m.Type === 'volume' && m.Name && volumeSize.has(m.Name) ? int(volumeSize.get(m.Name)!) : undefined,
      [FIELD_CONTAINER_ID]: s.idField,
    };
    out.push(line(s.key(MEASUREMENT.mount, { [TAG.containerStatus]: undefined, [TAG.destination]: m.Destination }), f, timeMs));
  }
}
