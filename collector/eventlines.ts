/**
 * Docker events as docker_event lines. Pure: no I/O. The point's time is the
 * event's own ns time, so writing the same event again overwrites, never doubles.
 */
import { MEASUREMENT, TAG, EVENT_FIELDS, FIELD_CONTAINER_ID } from '../common/schema.js';
import { seriesKey, fieldSet, int, type FieldValue } from '../common/lineprotocol.js';
import { eventKey, type DockerEvent } from './events.js';
import type { EngineInfo } from '../common/docker.js';
import { ContainerSeries } from './points.js';
import { parseImage } from './container.js';
import { partialMeta } from './meta.js';

/**
 * Container actions that change what the registry knows of a container. The
 * shared event stream asks Docker for these (plus the written ones) only, so
 * frequent actions such as top and exec_* (docker top polling) never reach us.
 */
export const REGISTRY_ACTIONS = [
  'create', 'start', 'restart', 'die', 'kill', 'oom', 'stop', 'pause', 'unpause', 'health_status', 'destroy', 'rename', 'update',
] as const;

/** Network actions that change a container's addresses; the event names the container in its `container` attribute. */
export const NETWORK_ACTIONS = ['connect', 'disconnect'] as const;

/** "health_status: healthy" → "health_status"; "exec_start: sh -c ..." → "exec_start". */
export const actionName = (action: string): string => {
  const i = action.indexOf(':');
  return (i >= 0 ? action.slice(0, i) : action).trim();
};

/** The event's time in ns, exact when the stream kept it (DockerEvent.nano). */
export const eventNano = (ev: DockerEvent): bigint =>
  ev.nano ?? BigInt(ev.timeNano ?? Math.round((ev.time ?? 0) * 1e9));

const num = (s: string | undefined): { int: number } | undefined => {
  if (s === undefined || !/^-?\d+$/.test(s)) return undefined;
  return int(Number(s));
};

/** Attributes as a JSON object with keys sorted, so equal events give equal text. */
function attributesJson(attrs: Record<string, string>): string {
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(attrs).sort()) sorted[k] = attrs[k];
  return JSON.stringify(sorted);
}

/** Series key of an event: host tags, type, action; the container's or image's own tags. */
export function eventKeyOf(ev: DockerEvent, engine: EngineInfo, labelTags: string[]): string {
  const attrs = ev.Actor?.Attributes ?? {};
  const action = actionName(ev.Action ?? '');
  if (ev.Type === 'container') {
    // Labels arrive as attributes beside name and image; only those in labelTags become tags.
    const meta = partialMeta({ id: ev.Actor.ID, name: attrs.name ?? '', image: attrs.image ?? '', labels: attrs });
    return new ContainerSeries(meta, engine, labelTags).key(MEASUREMENT.event, {
      [TAG.containerStatus]: undefined,
      [TAG.type]: ev.Type,
      [TAG.action]: action,
    });
  }
  const tags: Record<string, string | undefined> = {
    [TAG.engineHost]: engine.host,
    [TAG.serverVersion]: engine.serverVersion,
    [TAG.type]: ev.Type,
    [TAG.action]: action,
  };
  if (ev.Type === 'image') {
    const ref = attrs.name ?? (ev.Actor.ID.startsWith('sha256:') ? '' : ev.Actor.ID);
    if (ref && !ref.startsWith('sha256:')) {
      const img = parseImage(ref);
      tags[TAG.imageName] = img.name;
      tags[TAG.imageVersion] = img.version;
    }
  }
  return seriesKey(MEASUREMENT.event, tags);
}

/** The fields of an event. */
export function eventFields(ev: DockerEvent): Record<string, FieldValue> {
  const attrs = ev.Actor?.Attributes ?? {};
  const action = ev.Action ?? '';
  const f: Record<string, FieldValue> = {
    [EVENT_FIELDS.rawAction]: action,
    [EVENT_FIELDS.actorId]: ev.Actor.ID,
  };
  if (ev.Type === 'container') {
    f[FIELD_CONTAINER_ID] = ev.Actor.ID;
    f[EVENT_FIELDS.image] = attrs.image;
  } else if (ev.Type === 'image') {
    f[EVENT_FIELDS.image] = attrs.name ?? ev.Actor.ID;
  }
  f[EVENT_FIELDS.name] = attrs.name;
  f[EVENT_FIELDS.exitCode] = num(attrs.exitCode);
  if (attrs.signal !== undefined) f[EVENT_FIELDS.signal] = num(attrs.signal) ?? attrs.signal;
  if (actionName(action) === 'health_status') {
    f[EVENT_FIELDS.healthStatus] = action.slice(action.indexOf(':') + 1).trim();
  }
  f[EVENT_FIELDS.attributes] = attributesJson(attrs);
  if (ev.scope) f[EVENT_FIELDS.scope] = ev.scope;
  return f;
}

/** One docker_event line. */
export function eventLine(ev: DockerEvent, engine: EngineInfo, labelTags: string[]): string {
  return eventKeyOf(ev, engine, labelTags) + ' ' + fieldSet(eventFields(ev)) + ' ' + eventNano(ev).toString();
}

/** Which events are written: the configured actions of container and image events. */
export function eventFilter(actions: readonly string[]): (ev: DockerEvent) => boolean {
  const set = new Set(actions.map(actionName));
  return (ev) => (ev.Type === 'container' || ev.Type === 'image') && set.has(actionName(ev.Action ?? ''));
}

/** The key eventKey gives the event written at `nano`, for seeding DockerEventStream.seenAtResume from InfluxDB. */
export function keyAtResume(nano: bigint, type: string, rawAction: string, actorId: string): string {
  return eventKey({ nano, timeNano: Number(nano), Type: type, Action: rawAction, Actor: { ID: actorId }, time: 0 });
}
