/**
 * The host's images as docker_image lines, one per repository:tag as `docker
 * images` lists them; an image without a tag is one <none>:<none> row. Pure.
 */
import { MEASUREMENT, TAG, IMAGE_FIELDS, NO_TAG } from '../../common/schema.js';
import { seriesKey, line, int, type FieldValue } from '../../common/lineprotocol.js';
import { parseImage } from '../container.js';
import type { EngineInfo } from '../../common/docker.js';
import { realTags, shortImageId } from '../disk/lines.js';

export interface ImageListEntry {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  /** seconds since epoch */
  Created: number;
  Size: number;
  Labels?: Record<string, string> | null;
}

export interface ImageDetails {
  architecture?: string;
  os?: string;
}

export interface ImageRow {
  key: string;
  id: string;
  fields: Record<string, FieldValue>;
}

const realDigests = (d: string[] | null | undefined) => (d ?? []).filter((x) => x && x !== '<none>@<none>');

/** One row per repository:tag; images without a tag give one dangling row. */
export function imageRows(
  images: ImageListEntry[],
  details: (id: string) => ImageDetails | undefined,
  containersOf: (id: string) => number,
  engine: EngineInfo,
): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const img of images) {
    const tags = realTags(img.RepoTags);
    const d = details(img.Id) ?? {};
    const labels: Record<string, string> = {};
    for (const k of Object.keys(img.Labels ?? {}).sort()) labels[k] = img.Labels![k];
    const fields: Record<string, FieldValue> = {
      [IMAGE_FIELDS.id]: img.Id,
      [IMAGE_FIELDS.repoTags]: tags.join(', '),
      [IMAGE_FIELDS.repoDigests]: realDigests(img.RepoDigests).join(', '),
      [IMAGE_FIELDS.size]: int(img.Size),
      [IMAGE_FIELDS.created]: int(img.Created * 1e9),
      [IMAGE_FIELDS.architecture]: d.architecture,
      [IMAGE_FIELDS.os]: d.os,
      [IMAGE_FIELDS.labels]: JSON.stringify(labels),
      [IMAGE_FIELDS.containers]: int(containersOf(img.Id)),
      [IMAGE_FIELDS.dangling]: tags.length === 0,
    };
    const refs = tags.length ? tags.map(parseImage) : [{ name: NO_TAG, version: NO_TAG }];
    for (const r of refs) {
      const key = seriesKey(MEASUREMENT.image, {
        [TAG.engineHost]: engine.host,
        [TAG.serverVersion]: engine.serverVersion,
        [TAG.imageId]: shortImageId(img.Id),
        [TAG.imageName]: r.name,
        [TAG.imageVersion]: r.version,
      });
      rows.push({ key, id: img.Id, fields });
    }
  }
  return rows;
}

/**
 * Keeps the rows written last time; a row that is no longer there gets one
 * last point with removed=true, so "what is on the host now" needs no guessing.
 */
export class ImageCatalog {
  private last = new Map<string, string>();

  lines(rows: ImageRow[], timeMs: number, out: string[]): { removed: number } {
    const now = new Map<string, string>();
    for (const r of rows) {
      now.set(r.key, r.id);
      out.push(line(r.key, { ...r.fields, [IMAGE_FIELDS.removed]: false }, timeMs));
    }
    let removed = 0;
    for (const [key, id] of this.last) {
      if (now.has(key)) continue;
      removed++;
      out.push(line(key, { [IMAGE_FIELDS.id]: id, [IMAGE_FIELDS.removed]: true }, timeMs));
    }
    this.last = now;
    return { removed };
  }
}
