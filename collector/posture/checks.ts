/**
 * A container's security posture from its inspect answer (pure), following
 * the container checks of the CIS Docker Benchmark as docker-bench-security
 * numbers them (tests/5_container_runtime.sh, and 4.1 from
 * tests/4_container_images.sh; CIS Docker Benchmark v1.4.0 numbering).
 * Titles are docker-bench-security's. Checks that need `docker exec`, the
 * daemon's configuration or manual review (5.6, 5.8, 5.18, 5.22, 5.23, 5.29)
 * are left out. Where a test differs from docker-bench-security's, the
 * check says how (docs/security.md lists them).
 */
import { POSTURE_SEVERITIES, type PostureSeverity } from '../../common/schema.js';
import { parseImage } from '../imageref.js';

/** The parts of GET /containers/{id}/json the checks read. */
export interface PostureInput {
  AppArmorProfile?: string;
  Config?: { User?: string; Image?: string; Healthcheck?: { Test?: string[] } | null };
  HostConfig?: {
    Privileged?: boolean;
    NetworkMode?: string;
    PidMode?: string;
    IpcMode?: string;
    UTSMode?: string;
    UsernsMode?: string;
    CapAdd?: string[] | null;
    SecurityOpt?: string[] | null;
    ReadonlyRootfs?: boolean;
    Memory?: number;
    CpuShares?: number;
    NanoCpus?: number;
    CpuQuota?: number;
    PidsLimit?: number | null;
    RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
    PortBindings?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null;
    Devices?: unknown[] | null;
    CgroupParent?: string;
  };
  Mounts?: Array<{ Type?: string; Source?: string; Destination?: string; RW?: boolean; Propagation?: string }>;
}

/** Security features of the engine (docker info SecurityOptions): some checks only apply where they run. */
export interface EngineSecurity {
  apparmor: boolean;
  selinux: boolean;
}

export function engineSecurity(securityOptions: string[] | undefined): EngineSecurity {
  const names = (securityOptions ?? []).map((o) => /(?:^|,)name=([^,]+)/.exec(o)?.[1] ?? o);
  return { apparmor: names.includes('apparmor'), selinux: names.includes('selinux') };
}

export interface Finding {
  id: string;
  severity: PostureSeverity;
  /** short statement of what is wrong */
  what: string;
  detail: string;
}

export interface Posture {
  /** 100 × (1 − weight of failed checks / weight of applicable checks) */
  score: number;
  /** most severe first, then by check ID */
  failed: Finding[];
  counts: Record<PostureSeverity, number>;
  /** checks that applied */
  checked: number;
}

export const SEVERITY_WEIGHT: Record<PostureSeverity, number> = { critical: 10, high: 5, medium: 3, low: 1 };

/** A check's verdict: undefined when it passes, else the severity of this failure and what was found. */
type Verdict = { severity?: PostureSeverity; detail: string } | undefined;

export interface Check {
  id: string;
  /** docker-bench-security's description */
  title: string;
  what: string;
  /** the most a failure of this check weighs */
  severity: PostureSeverity;
  applies?: (i: PostureInput, e: EngineSecurity) => boolean;
  test: (i: PostureInput) => Verdict;
}

const fail = (detail = '', severity?: PostureSeverity): Verdict => ({ detail, severity });

/** Capabilities Docker grants by default: adding them changes nothing (docker-bench-security's list). */
const DEFAULT_CAPS = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'NET_RAW',
  'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);
/** Added capabilities that let a process leave its container. */
const ESCAPE_CAPS = new Set(['ALL', 'SYS_ADMIN', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_PTRACE', 'DAC_READ_SEARCH', 'SYS_BOOT', 'BPF']);
/** docker-bench-security's sensitive host directories. */
const SENSITIVE_DIRS = new Set(['/', '/boot', '/dev', '/etc', '/lib', '/proc', '/sys', '/usr']);

const secOpts = (i: PostureInput) => i.HostConfig?.SecurityOpt ?? [];
const hasOpt = (i: PostureInput, re: RegExp) => secOpts(i).some((o) => re.test(o));
const bindings = (i: PostureInput) =>
  Object.entries(i.HostConfig?.PortBindings ?? {}).flatMap(([port, bs]) => (bs ?? []).map((b) => ({ port, ip: b.HostIp ?? '', hostPort: Number(b.HostPort) })));
const hostMode = (v: string | undefined) => v === 'host';
const trimSlash = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);

export const CHECKS: Check[] = [
  {
    id: '4.1', title: 'Ensure that a user for the container has been created', what: 'runs as root', severity: 'medium',
    test: (i) => {
      const u = (i.Config?.User ?? '').split(':')[0];
      return u === '' || u === '0' || u === 'root' ? fail(i.Config?.User ? `user ${i.Config.User}` : 'no user set') : undefined;
    },
  },
  {
    id: '5.1', title: 'Ensure that, if applicable, an AppArmor Profile is enabled', what: 'no AppArmor profile', severity: 'medium',
    applies: (_i, e) => e.apparmor,
    test: (i) => (!i.AppArmorProfile || i.AppArmorProfile === 'unconfined' ? fail(i.AppArmorProfile || 'none') : undefined),
  },
  {
    // docker-bench-security fails any container without security options; SELinux labels containers by itself, so only "label=disable" fails here.
    id: '5.2', title: 'Ensure that, if applicable, SELinux security options are set', what: 'SELinux separation disabled', severity: 'medium',
    applies: (_i, e) => e.selinux,
    test: (i) => (hasOpt(i, /^label[=:]disable$/) ? fail('label=disable') : undefined),
  },
  {
    id: '5.3', title: 'Ensure that Linux kernel capabilities are restricted within containers', what: 'capabilities added', severity: 'critical',
    test: (i) => {
      const added = (i.HostConfig?.CapAdd ?? []).map((c) => c.toUpperCase().replace(/^CAP_/, '')).filter((c) => !DEFAULT_CAPS.has(c));
      if (!added.length) return undefined;
      return fail(added.join(', '), added.some((c) => ESCAPE_CAPS.has(c)) ? 'critical' : 'high');
    },
  },
  {
    id: '5.4', title: 'Ensure that privileged containers are not used', what: 'privileged', severity: 'critical',
    test: (i) => (i.HostConfig?.Privileged ? fail() : undefined),
  },
  {
    // docker-bench-security fails read-write mounts only; a read-only one still exposes the host and fails as high.
    id: '5.5', title: 'Ensure sensitive host system directories are not mounted on containers', what: 'sensitive host directory mounted', severity: 'critical',
    test: (i) => {
      const found = (i.Mounts ?? []).filter((m) => m.Type !== 'volume' && SENSITIVE_DIRS.has(trimSlash(m.Source ?? '')));
      if (!found.length) return undefined;
      const rw = found.some((m) => m.RW);
      return fail(found.map((m) => `${m.Source} ${m.RW ? 'read-write' : 'read-only'}`).join(', '), rw ? 'critical' : 'high');
    },
  },
  {
    id: '5.7', title: 'Ensure privileged ports are not mapped within containers', what: 'privileged host port published', severity: 'low',
    test: (i) => {
      const low = bindings(i).filter((b) => b.hostPort > 0 && b.hostPort < 1024);
      return low.length ? fail(low.map((b) => `${b.hostPort}->${b.port}`).join(', ')) : undefined;
    },
  },
  {
    id: '5.9', title: "Ensure that the host's network namespace is not shared", what: 'host network', severity: 'high',
    test: (i) => (hostMode(i.HostConfig?.NetworkMode) ? fail() : undefined),
  },
  {
    id: '5.10', title: 'Ensure that the memory usage for containers is limited', what: 'no memory limit', severity: 'medium',
    test: (i) => (!i.HostConfig?.Memory ? fail() : undefined),
  },
  {
    // docker-bench-security reads CPU shares only; a CPU quota (--cpus) counts as a limit here too.
    id: '5.11', title: 'Ensure that CPU priority is set appropriately on containers', what: 'no CPU shares or limit', severity: 'low',
    test: (i) => {
      const h = i.HostConfig ?? {};
      return !h.CpuShares && !h.NanoCpus && !(h.CpuQuota && h.CpuQuota > 0) ? fail() : undefined;
    },
  },
  {
    id: '5.12', title: "Ensure that the container's root filesystem is mounted as read only", what: 'writable root filesystem', severity: 'low',
    test: (i) => (!i.HostConfig?.ReadonlyRootfs ? fail() : undefined),
  },
  {
    id: '5.13', title: 'Ensure that incoming container traffic is bound to a specific host interface', what: 'published on every interface', severity: 'low',
    test: (i) => {
      const wild = bindings(i).filter((b) => b.ip === '' || b.ip === '0.0.0.0' || b.ip === '::');
      return wild.length ? fail(wild.map((b) => `${b.ip || '0.0.0.0'}:${b.hostPort}->${b.port}`).join(', ')) : undefined;
    },
  },
  {
    // docker-bench-security fails every policy but on-failure:5; here only policies that restart without a limit fail.
    id: '5.14', title: "Ensure that the 'on-failure' container restart policy is set to '5'", what: 'restarts without limit', severity: 'low',
    test: (i) => {
      const r = i.HostConfig?.RestartPolicy;
      if (r?.Name === 'always' || r?.Name === 'unless-stopped') return fail(r.Name);
      if (r?.Name === 'on-failure' && !r.MaximumRetryCount) return fail('on-failure without a maximum');
      return undefined;
    },
  },
  {
    id: '5.15', title: "Ensure that the host's process namespace is not shared", what: 'host PID namespace', severity: 'high',
    test: (i) => (hostMode(i.HostConfig?.PidMode) ? fail() : undefined),
  },
  {
    id: '5.16', title: "Ensure that the host's IPC namespace is not shared", what: 'host IPC namespace', severity: 'high',
    test: (i) => (hostMode(i.HostConfig?.IpcMode) ? fail() : undefined),
  },
  {
    id: '5.17', title: 'Ensure that host devices are not directly exposed to containers', what: 'host devices exposed', severity: 'high',
    test: (i) => ((i.HostConfig?.Devices ?? []).length ? fail(`${i.HostConfig!.Devices!.length} device(s)`) : undefined),
  },
  {
    id: '5.19', title: 'Ensure mount propagation mode is not set to shared', what: 'shared mount propagation', severity: 'medium',
    test: (i) => {
      const shared = (i.Mounts ?? []).filter((m) => m.Propagation === 'shared' || m.Propagation === 'rshared');
      return shared.length ? fail(shared.map((m) => m.Destination).join(', ')) : undefined;
    },
  },
  {
    id: '5.20', title: "Ensure that the host's UTS namespace is not shared", what: 'host UTS namespace', severity: 'medium',
    test: (i) => (hostMode(i.HostConfig?.UTSMode) ? fail() : undefined),
  },
  {
    id: '5.21', title: 'Ensure the default seccomp profile is not Disabled', what: 'seccomp unconfined', severity: 'high',
    test: (i) => (hasOpt(i, /^seccomp[=:]unconfined$/) ? fail() : undefined),
  },
  {
    id: '5.24', title: 'Ensure that cgroup usage is confirmed', what: 'own cgroup parent', severity: 'low',
    test: (i) => (i.HostConfig?.CgroupParent ? fail(i.HostConfig.CgroupParent) : undefined),
  },
  {
    id: '5.25', title: 'Ensure that the container is restricted from acquiring additional privileges', what: 'may gain privileges (no no-new-privileges)', severity: 'low',
    test: (i) => (hasOpt(i, /^no-new-privileges(?:[=:]true)?$/) ? undefined : fail()),
  },
  {
    id: '5.26', title: 'Ensure that container health is checked at runtime', what: 'no health check', severity: 'low',
    test: (i) => {
      const t = i.Config?.Healthcheck?.Test;
      return !t || t.length === 0 || t[0] === 'NONE' ? fail() : undefined;
    },
  },
  {
    // A manual check in docker-bench-security; its remediation asks for pinned versions: an image without a tag, or "latest", fails.
    id: '5.27', title: 'Ensure that Docker commands always make use of the latest version of their image', what: 'image not pinned', severity: 'low',
    test: (i) => {
      const image = i.Config?.Image ?? '';
      if (image.includes('@') || /^(sha256:)?[0-9a-f]{12,64}$/.test(image)) return undefined;
      const { version } = parseImage(image);
      return version === 'unknown' || version === 'latest' ? fail(image) : undefined;
    },
  },
  {
    id: '5.28', title: 'Ensure that the PIDs cgroup limit is used', what: 'no PIDs limit', severity: 'medium',
    test: (i) => {
      const l = i.HostConfig?.PidsLimit;
      return !l || l <= 0 ? fail() : undefined;
    },
  },
  {
    id: '5.30', title: "Ensure that the host's user namespaces are not shared", what: 'host user namespace', severity: 'medium',
    test: (i) => (hostMode(i.HostConfig?.UsernsMode) ? fail() : undefined),
  },
  {
    id: '5.31', title: 'Ensure that the Docker socket is not mounted inside any containers', what: 'Docker socket mounted', severity: 'critical',
    test: (i) => {
      const socks = (i.Mounts ?? []).filter((m) => /docker\.sock$/.test(m.Source ?? '') || /docker\.sock$/.test(m.Destination ?? ''));
      return socks.length ? fail(socks.map((m) => `${m.Source} ${m.RW ? 'read-write' : 'read-only'}`).join(', ')) : undefined;
    },
  },
];

const rank = (s: PostureSeverity) => POSTURE_SEVERITIES.indexOf(s);
const idOrder = (a: string, b: string) => {
  const [a1, a2] = a.split('.').map(Number);
  const [b1, b2] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
};

export function assessPosture(i: PostureInput, engine: EngineSecurity): Posture {
  const failed: Finding[] = [];
  let total = 0;
  let lost = 0;
  let checked = 0;
  for (const c of CHECKS) {
    if (c.applies && !c.applies(i, engine)) continue;
    checked++;
    total += SEVERITY_WEIGHT[c.severity];
    const v = c.test(i);
    if (!v) continue;
    const severity = v.severity ?? c.severity;
    lost += SEVERITY_WEIGHT[severity];
    failed.push({ id: c.id, severity, what: c.what, detail: v.detail });
  }
  failed.sort((a, b) => rank(a.severity) - rank(b.severity) || idOrder(a.id, b.id));
  const counts = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const f of failed) counts[f.severity]++;
  return { score: total ? Math.round(100 * (1 - lost / total)) : 100, failed, counts, checked };
}

/** "5.4 privileged (critical); 5.3 capabilities added: SYS_ADMIN (critical)" */
export function describeFindings(failed: Finding[]): string {
  return failed.map((f) => `${f.id} ${f.what}${f.detail ? ': ' + f.detail : ''} (${f.severity})`).join('; ');
}

/** The subset of an inspect answer the checks read, so a container's metadata does not keep the whole answer. */
export function postureInput(i: PostureInput): PostureInput {
  const h = i.HostConfig ?? {};
  return {
    AppArmorProfile: i.AppArmorProfile,
    Config: { User: i.Config?.User, Image: i.Config?.Image, Healthcheck: i.Config?.Healthcheck ? { Test: i.Config.Healthcheck.Test } : undefined },
    HostConfig: {
      Privileged: h.Privileged, NetworkMode: h.NetworkMode, PidMode: h.PidMode, IpcMode: h.IpcMode, UTSMode: h.UTSMode,
      UsernsMode: h.UsernsMode, CapAdd: h.CapAdd, SecurityOpt: h.SecurityOpt, ReadonlyRootfs: h.ReadonlyRootfs,
      Memory: h.Memory, CpuShares: h.CpuShares, NanoCpus: h.NanoCpus, CpuQuota: h.CpuQuota, PidsLimit: h.PidsLimit,
      RestartPolicy: h.RestartPolicy, PortBindings: h.PortBindings, Devices: h.Devices, CgroupParent: h.CgroupParent,
    },
    Mounts: (i.Mounts ?? []).map((m) => ({ Type: m.Type, Source: m.Source, Destination: m.Destination, RW: m.RW, Propagation: m.Propagation })),
  };
}
