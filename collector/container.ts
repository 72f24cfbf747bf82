/**
 * What the collector knows of one container, from the Docker list and inspect
 * answers; pure conversion, no I/O.
 */
import type Docker from 'dockerode';

export interface ContainerMeta {
  id: string;
  name: string;
  /** image reference the container was created from, e.g. "redis:7" */
  image: string;
  imageId: string;
  state: string;
  created: number;
  labels: Record<string, string>;
  ips: string[];
  networks: string[];
  ports: string;
  command: string;
  networkMode: string;
  pid: number;
  exitCode: number;
  oomKilled: boolean;
  restartCount: number;
  startedAt: number;
  finishedAt: number;
  health?: { status: string; failingStreak: number };
  /** the container has a HEALTHCHECK: its failing streak moves without events */
  hasHealthcheck: boolean;
  tty: boolean;
}

/** Telegraf's image split: name and version ("unknown" without a tag); a registry port is not a tag. */
export function parseImage(image: string): { name: string; version: string } {
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  let domain = '';
  let rest = ref;
  const slash = ref.indexOf('/');
  if (slash >= 0 && (/[.:]/.test(ref.slice(0, slash)) || ref.slice(0, slash) === 'localhost')) {
    domain = ref.slice(0, slash);
    rest = ref.slice(slash + 1);
  }
  let name = rest;
  let version = 'unknown';
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    name = rest.slice(0, colon);
    version = rest.slice(colon + 1);
  }
  return { name: domain ? `${domain}/${name}` : name, version };
}

const time = (s: string | undefined) => {
  if (!s || s.startsWith('0001-')) return 0;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : 0;
};

/** Docker's "0.0.0.0:8080->80/tcp, 443/tcp" form from list port entries. */
export function formatPorts(ports: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }>): string {
  const seen = new Set<string>();
  for (const p of ports) {
    seen.add(p.PublicPort ? `${p.IP ? p.IP + ':' : ''}${p.PublicPort}->${p.PrivatePort}/${p.Type}` : `${p.PrivatePort}/${p.Type}`);
  }
  return [...seen].sort().join(', ');
}

function portsFromInspect(bindings: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | undefined): string {
  const list: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }> = [];
  for (const [key, b] of Object.entries(bindings ?? {})) {
    const [port, type] = key.split('/');
    if (!b || b.length === 0) list.push({ PrivatePort: Number(port), Type: type });
    else for (const x of b) list.push({ IP: x.HostIp, PrivatePort: Number(port), PublicPort: Number(x.HostPort), Type: type });
  }
  return formatPorts(list);
}

export function fromInspect(i: Docker.ContainerInspectInfo): ContainerMeta {
  const nets = i.NetworkSettings?.Networks ?? {};
  const state = i.State as Docker.ContainerInspectInfo['State'] & { Health?: { Status: string; FailingStreak: number } };
  return {
    id: i.Id,
    name: i.Name.replace(/^\//, ''),
    image: i.Config?.Image ?? i.Image,
    imageId: i.Image,
    state: state.Status,
    created: time(i.Created),
    labels: i.Config?.Labels ?? {},
    ips: Object.values(nets).map((n) => n.IPAddress).filter(Boolean),
    networks: Object.keys(nets).sort(),
    ports: portsFromInspect(i.NetworkSettings?.Ports as never),
    command: [...(i.Path ? [i.Path] : []), ...(i.Args ?? [])].join(' '),
    networkMode: i.HostConfig?.NetworkMode ?? '',
    pid: state.Pid,
    exitCode: state.ExitCode,
    oomKilled: state.OOMKilled,
    restartCount: i.RestartCount ?? 0,
    startedAt: time(state.StartedAt),
    finishedAt: time(state.FinishedAt),
    health: state.Health ? { status: state.Health.Status, failingStreak: state.Health.FailingStreak } : undefined,
    hasHealthcheck: !!i.Config?.Healthcheck && !(i.Config.Healthcheck.Test?.[0] === 'NONE'),
    tty: !!i.Config?.Tty,
  };
}
