/**
 * What the collector knows of one container, from the Docker list and inspect
 * answers; pure conversion, no I/O.
 */
import type Docker from 'dockerode';
import { postureInput, type PostureInput } from './posture/checks.js';

/** Where a container sits on the network, for the service map. */
export interface NetFacts {
  /** its addresses on Docker networks, IPv4 and IPv6 */
  addresses: string[];
  /** the gateways of its networks: addresses of the Docker host */
  gateways: string[];
  /** its IPv4 networks as address/prefix length, e.g. 172.17.0.2/16 */
  subnets: string[];
  /** TCP ports of the host published to it */
  published: number[];
  /** its ephemeral port range (net.ipv4.ip_local_port_range), first and last */
  portRange: [number, number];
}

/** The kernel's default ephemeral port range, which a new network namespace starts with. */
export const DEFAULT_PORT_RANGE: [number, number] = [32768, 60999];

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
  /** from inspect only */
  net?: NetFacts;
  /** what the security posture checks read, from inspect only */
  security?: PostureInput;
  /** the memory limit set on the container (HostConfig.Memory), bytes; 0 = none */
  memLimit?: number;
}

export { parseImage } from './imageref.js';

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

function portRange(sysctls: Record<string, string> | undefined): [number, number] {
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(sysctls?.['net.ipv4.ip_local_port_range'] ?? '');
  return m && Number(m[1]) <= Number(m[2]) ? [Number(m[1]), Number(m[2])] : DEFAULT_PORT_RANGE;
}

function netFacts(i: Docker.ContainerInspectInfo): NetFacts {
  const nets = Object.values(i.NetworkSettings?.Networks ?? {}) as Array<Docker.NetworkInfo & { IPv6Gateway?: string }>;
  const bindings = (i.HostConfig?.PortBindings ?? {}) as Record<string, Array<{ HostPort?: string }> | null>;
  const published = new Set<number>();
  for (const [key, bs] of Object.entries(bindings)) {
    if (!key.endsWith('/tcp')) continue;
    for (const b of bs ?? []) if (Number(b.HostPort) > 0) published.add(Number(b.HostPort));
  }
  return {
    addresses: nets.flatMap((n) => [n.IPAddress, n.GlobalIPv6Address]).filter(Boolean),
    gateways: [...new Set(nets.flatMap((n) => [n.Gateway, n.IPv6Gateway ?? '']).filter(Boolean))],
    subnets: nets.filter((n) => n.IPAddress && n.IPPrefixLen).map((n) => `${n.IPAddress}/${n.IPPrefixLen}`),
    published: [...published].sort((a, b) => a - b),
    portRange: portRange((i.HostConfig as { Sysctls?: Record<string, string> } | undefined)?.Sysctls),
  };
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
    // Podman reports an empty Health for containers without a health check.
    health: state.Health?.Status ? { status: state.Health.Status, failingStreak: state.Health.FailingStreak } : undefined,
    hasHealthcheck: !!i.Config?.Healthcheck && !(i.Config.Healthcheck.Test?.[0] === 'NONE'),
    tty: !!i.Config?.Tty,
    net: netFacts(i),
    security: postureInput(i),
    memLimit: i.HostConfig?.Memory ?? 0,
  };
}
