/** Images: what is on each host, how big, and which containers use it. */
import { MEASUREMENT as M, TAG, IMAGE_FIELDS as I, INFO_FIELDS, DISK_FIELDS } from '../../common/schema.js';
import { dashboard, Layout, table, stat, timeseries, target, organize, asTime } from '../lib/build.js';
import { ident as q, and, atRangeEnd, WINDOW, TIME_FILTER, INTERVAL } from '../lib/influxql.js';
import { hostVar, hostFilter, BY_CONTAINER, CONTAINER_ROW_LINK } from '../lib/containers.js';
import { STATE_MAPPINGS, stateCells } from '../lib/records.js';
import { UID } from '../lib/links.js';
import type { Dashboard } from '../lib/model.js';

const BY_IMAGE = `${q(TAG.engineHost)}, ${q(TAG.imageName)}, ${q(TAG.imageVersion)}, ${q(TAG.imageId)}`;

export function images(): Dashboard {
  const end = atRangeEnd(WINDOW.images);
  const l = new Layout();
  l.add(
    stat({
      title: 'Images', w: 6, h: 4, calc: 'lastNotNull',
      targets: [target('A',
        `SELECT count(${q('size')}) AS "images" FROM (SELECT last(${q(I.size)}) AS "size" FROM ${q(M.image)} WHERE ${and(hostFilter, end)} GROUP BY ${BY_IMAGE})`,
        { format: 'table', expect: { columns: ['images'], source: 'images' } })],
    }),
    stat({
      title: 'Total size', w: 6, h: 4, unit: 'bytes', calc: 'lastNotNull',
      description: 'Sum of the image sizes; layers shared between images count once per image.',
      targets: [target('A',
        `SELECT sum(${q('size')}) AS "size" FROM (SELECT last(${q(I.size)}) AS "size" FROM ${q(M.image)} WHERE ${and(hostFilter, end)} GROUP BY ${BY_IMAGE})`,
        { format: 'table', expect: { columns: ['size'], source: 'images' } })],
    }),
    timeseries({
      title: 'Image layers on disk', w: 12, h: 4, unit: 'bytes',
      description: 'All image layers of each host (docker system df).',
      targets: [target('A',
        `SELECT mean(${q(DISK_FIELDS.layersSize)}) AS "layers" FROM ${q(M.diskUsage)} WHERE ${and(hostFilter, TIME_FILTER)} GROUP BY time(${INTERVAL}), ${q(TAG.engineHost)} fill(none)`,
        { alias: `$tag_${TAG.engineHost}`, expect: { columns: ['layers'], source: 'disk' } })],
    }),
  );
  l.add(table({
    title: 'Images', w: 24, h: 10,
    description: 'Every image at the end of the time range; "containers" counts the containers created from it.',
    targets: [target('A',
      `SELECT last(${q(I.id)}) AS "id", last(${q(I.repoTags)}) AS "tags", last(${q(I.size)}) / 1048576 AS "size_mib", last(${q(I.created)}) / 1000000 AS "created", ` +
        `last(${q(I.containers)}) AS "containers", last(${q(I.architecture)}) AS "architecture", last(${q(I.os)}) AS "os", last(${q(I.dangling)}) AS "dangling", ` +
        `last(${q(I.removed)}) AS "removed" FROM ${q(M.image)} WHERE ${and(hostFilter, end)} GROUP BY ${BY_IMAGE}`,
      { format: 'table', expect: { columns: [TAG.imageName, TAG.imageVersion, 'id', 'tags', 'size_mib', 'created', 'containers'], source: 'images' } })],
    transformations: [
      asTime('created'),
      organize({ exclude: ['Time', TAG.imageId], rename: { [TAG.engineHost]: 'host', [TAG.imageName]: 'image', [TAG.imageVersion]: 'tag', size_mib: 'size (MiB)' } }),
    ],
    decimals: 1,
    sortBy: [{ displayName: 'size (MiB)', desc: true }],
  }));
  l.add(table({
    title: 'Containers by image', w: 24, h: 10,
    description: 'Which containers use which image; the name opens the container\'s dashboard.',
    targets: [target('A',
      `SELECT last(${q(INFO_FIELDS.image)}) AS "image", last(${q(INFO_FIELDS.imageId)}) AS "image_id", last(${q(INFO_FIELDS.state)}) AS "state" ` +
        `FROM ${q(M.info)} WHERE ${and(hostFilter, atRangeEnd(WINDOW.info))} GROUP BY ${BY_CONTAINER}`,
      { format: 'table', expect: { columns: [TAG.containerName, 'image', 'image_id', 'state'], source: 'info' } })],
    transformations: [organize({ exclude: ['Time'], order: ['image', 'image_id', TAG.containerName, 'state', TAG.engineHost] })],
    links: [CONTAINER_ROW_LINK], mappings: STATE_MAPPINGS, overrides: stateCells('state'),
    sortBy: [{ displayName: 'image', desc: false }],
  }));
  return dashboard({
    uid: UID.images,
    title: 'Shipwatch / Images',
    description: 'The images on each Docker host: name, ID, size, tags, creation time and the containers using them.',
    variables: [hostVar()],
    layout: l,
    time: 'now-1h',
  });
}
