/**
 * The `alerter` section of the configuration (docs/alerter.md): routing tree,
 * receivers, delivery, silences' defaults, recovery actions and the HTTP API.
 * Kept apart from common/config.ts, which includes it.
 */
import { realpathSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { duration, durationOrZero, optionalDuration } from './config-duration.js';
import { parseMatcher, type Matcher } from './matchers.js';
import { DOCKER_ACTIONS } from './queue/actions.js';

/** `severity="critical"`, checked when the config loads. */
export const MatcherSchema = z.string().transform((s, ctx): Matcher => {
  try {
    return parseMatcher(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

/** The API token's minimum length. */
export const MIN_TOKEN_LENGTH = 24;

const name = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'names: letters, digits, _ . - only');

export interface ChildRoute {
  receiver?: string;
  matchers: Matcher[];
  continue: boolean;
  groupBy?: string[];
  groupWait?: number;
  immediate?: boolean;
  groupInterval?: number;
  repeatInterval?: number;
  routes: ChildRoute[];
}

/** A child route: unset fields are inherited from its parent. */
const ChildRouteSchema: z.ZodType<ChildRoute> = z.lazy(() =>
  z.strictObject({
    receiver: z.string().min(1).optional(),
    matchers: z.array(MatcherSchema).default([]),
    /** keep looking at the next sibling routes after this one matched */
    continue: z.boolean().default(false),
    groupBy: z.array(z.string().min(1)).optional(),
    groupWait: optionalDuration(true),
    immediate: z.boolean().optional(),
    groupInterval: optionalDuration(false),
    repeatInterval: optionalDuration(false),
    routes: z.array(ChildRouteSchema).default([]),
  }),
) as unknown as z.ZodType<ChildRoute>;

/** The root route matches every alert; its settings are the defaults of the tree. */
const RootRouteSchema = z.strictObject({
  /** receiver of alerts no child route takes; empty: such alerts are recorded, not sent */
  receiver: z.string().default(''),
  /** labels that make up a group: rule, severity, host, container or any alert label; ["..."] = one group per alert */
  groupBy: z.array(z.string().min(1)).default(['rule', 'host']),
  /** immediate: window in which alerts following a notification are batched; otherwise the wait before a new group's first notification */
  groupWait: durationOrZero('30s'),
  /**
   * a firing alert new to a group that notified nothing for groupWait is notified at once, and new
   * firing alerts never wait longer than groupWait after the group's last notification; false:
   * Alertmanager's timing (first notification after groupWait, later ones on groupInterval ticks)
   */
  immediate: z.boolean().default(true),
  /** wait before notifying about alerts added to a group already notified */
  groupInterval: duration('5m'),
  /** a group still firing and unchanged is notified again after this long */
  repeatInterval: duration('4h'),
  routes: z.array(ChildRouteSchema).default([]),
});

const headers = z.record(z.string(), z.string()).default({});
const httpUrl = z.url({ protocol: /^https?$/ });

const EmailSchema = z.strictObject({
  to: z.array(z.string().min(3)).min(1),
  /** overrides alerter.smtp.from */
  from: z.string().default(''),
});

const WebhookSchema = z.strictObject({
  url: httpUrl,
  /** shipwatch: the documented JSON body (docs/alerter.md); slack: a Slack incoming-webhook body */
  format: z.enum(['shipwatch', 'slack']).default('shipwatch'),
  headers,
});

const SmsSchema = z.strictObject({
  /** the gateway; {{to}} and {{message}} may appear in it (URL-encoded) */
  url: httpUrl,
  method: z.enum(['POST', 'PUT', 'GET']).default('POST'),
  headers,
  /** request body with {{to}} and {{message}}; empty: none (e.g. GET) */
  body: z.string().default('{"to":"{{to}}","text":"{{message}}"}'),
  /** how values are escaped into the body: json (inside a JSON string), form (URL-encoded), raw */
  encoding: z.enum(['json', 'form', 'raw']).default('json'),
  to: z.array(z.string().min(1)).min(1),
  /** characters per message; longer texts are cut */
  maxLength: z.number().int().min(20).max(1600).default(160),
});

const PushSchema = z.strictObject({
  url: httpUrl,
  /** ntfy: JSON publish to the server root with `topic`; gotify: /message JSON; json: the ntfy fields, generic */
  format: z.enum(['ntfy', 'gotify', 'json']).default('ntfy'),
  /** ntfy topic */
  topic: z.string().default('shipwatch'),
  headers,
});

const ReceiverSchema = z.strictObject({
  name,
  /** also notify when the alerts of a group resolve */
  sendResolved: z.boolean().default(true),
  email: EmailSchema.optional(),
  webhook: WebhookSchema.optional(),
  sms: SmsSchema.optional(),
  push: PushSchema.optional(),
});

const InhibitSchema = z.strictObject({
  /** a firing alert matching these... */
  source: z.array(MatcherSchema).min(1),
  /** ...mutes the alerts matching these... */
  target: z.array(MatcherSchema).min(1),
  /** ...that have the same values of these labels */
  equal: z.array(z.string().min(1)).default([]),
});

/** Signal names a kill action may send (SIGTERM, SIGHUP, ...). */
export const SIGNALS = Object.keys(constants.signals) as [string, ...string[]];

const ActionRuleSchema = z
  .strictObject({
    name,
    /** alerts this action answers (firing only) */
    matchers: z.array(MatcherSchema).min(1),
    /** a file in actions.scriptsDir (resolved path must stay inside it) */
    script: z.string().min(1).optional(),
    /** fixed arguments; alert facts come as environment variables, never as arguments */
    args: z.array(z.string().max(4096)).max(64).default([]),
    /** a built-in action on the alert's container instead of a script, through the Docker API */
    docker: z.enum(DOCKER_ACTIONS).optional(),
    /** kill: the signal sent (default SIGKILL, as docker kill) */
    signal: z.enum(SIGNALS).optional(),
    /** exec: the command run in the container, as an argument list (no shell unless it names one) */
    command: z.array(z.string().min(1).max(4096)).min(1).max(64).optional(),
    /** check afterwards that the container is up (and healthy); default: yes, but for a stop. No for an action that only collects */
    verify: z.boolean().optional(),
  })
  .superRefine((r, ctx) => {
    if ((r.script === undefined) === (r.docker === undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of script or docker' });
    if (r.signal !== undefined && r.docker !== 'kill') ctx.addIssue({ code: 'custom', path: ['signal'], message: 'only with docker: kill' });
    if (r.docker === 'exec' && r.command === undefined) ctx.addIssue({ code: 'custom', path: ['command'], message: 'docker: exec needs a command' });
    if (r.command !== undefined && r.docker !== 'exec') ctx.addIssue({ code: 'custom', path: ['command'], message: 'only with docker: exec' });
  });

const ActionsSchema = z.strictObject({
  /** directory recovery scripts are taken from; required when a rule names a script */
  scriptsDir: z.string().default(''),
  rules: z.array(ActionRuleSchema).default([]),
  /** every action's limit: a script still running is killed with its whole process group, a Docker call is abandoned */
  timeout: duration('60s'),
  /** stop and restart: Docker's wait between SIGTERM and SIGKILL (at most half the timeout) */
  stopGrace: duration('10s'),
  /**
   * shared by the alerter and the agents: the alerter signs each action (HMAC-SHA256), an agent runs
   * only actions signed with it. At least 32 characters; empty: actions unsigned (the agent warns)
   */
  signingKey: z.string().refine((k) => k === '' || k.length >= 32, 'at least 32 characters (e.g. openssl rand -hex 32)').default(''),
  /** an agent refuses an action queued longer ago than this (it waited out an outage; the alert may be old news) */
  maxJobAge: duration('10m'),
  /** runs at once per agent */
  concurrency: z.number().int().min(1).max(64).default(2),
  /** no new action on the same container within this time after one was queued */
  cooldown: durationOrZero('5m'),
  /** actions per container within attemptWindow; beyond, the alert is escalated instead */
  maxAttempts: z.number().int().min(1).max(100).default(3),
  attemptWindow: duration('1h'),
  /** bytes of stdout and of stderr kept per run */
  outputLimit: z.number().int().min(0).max(60_000).default(8192),
  /**
   * where the agent gives each script run a directory of its own (SHIPWATCH_OUTPUT_DIR, <dir>/<run ID>);
   * the files a script leaves there are attached to the run by path. Empty: <the system's temp dir>/shipwatch-recovery
   */
  outputDir: z.string().default(''),
  /** run directories older than this are removed */
  outputRetention: duration('7d'),
  /** the container must be running (and healthy, if it has a health check) within this after the action */
  verifyWithin: duration('60s'),
  /** receiver of "still failing" escalations; empty: the receivers the alert was routed to */
  escalateTo: z.string().default(''),
});

export const AlerterSchema = z
  .strictObject({
    route: RootRouteSchema.prefault({}),
    receivers: z.array(ReceiverSchema).default([]),
    inhibit: z.array(InhibitSchema).default([]),
    smtp: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(1).max(65_535).default(25),
        /** TLS from the start (port 465); otherwise STARTTLS when the server offers it */
        secure: z.boolean().default(false),
        user: z.string().default(''),
        password: z.string().default(''),
        from: z.string().min(3).default('shipwatch@localhost'),
        timeout: duration('10s'),
      })
      .prefault({}),
    /** links in notifications to the container's dashboard */
    grafana: z
      .strictObject({
        url: z.string().default('http://127.0.0.1:3000'),
        dashboardUid: z.string().min(1).default('shipwatch-container'),
      })
      .prefault({}),
    delivery: z
      .strictObject({
        /** deliveries in flight per alerter */
        concurrency: z.number().int().min(1).max(256).default(8),
        /** tries per (notification, receiver, channel), waiting backoff, 2 x backoff, ... in between */
        attempts: z.number().int().min(1).max(100).default(10),
        backoff: duration('1s'),
        /** one HTTP request or SMTP session */
        timeout: duration('10s'),
        /** a delivery whose alerter died is taken up again after this */
        stalledAfter: duration('30s'),
        /** bytes of a receiver's answer read; the rest is not read (redirects are never followed) */
        maxResponseBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(65_536),
      })
      .prefault({}),
    actions: ActionsSchema.prefault({}),
    api: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** loopback unless you mean it */
        host: z.string().min(1).default('127.0.0.1'),
        /** 0: any free port */
        port: z.number().int().min(0).max(65_535).default(9095),
        /** bearer token for everything but /healthz and /readyz, at least 24 characters; empty: those answer 401 */
        token: z
          .string()
          .refine((t) => t === '' || t.length >= MIN_TOKEN_LENGTH, `at least ${MIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 24)`)
          .default(''),
        /**
         * the API's address as the browsers of on-call staff reach it, for the snapshot links in notifications;
         * empty: http://host:port when host is a specific address, else no links
         */
        publicUrl: z.union([z.literal(''), httpUrl]).default(''),
        /** a snapshot link in a notification opens its page without the token for this long; 0: links ask for the token */
        linkTtl: durationOrZero('7d'),
        /** requests per client address and window; beyond, 429 until the window passes */
        rateLimit: z
          .strictObject({ requests: z.number().int().min(1).default(300), window: duration('1m') })
          .prefault({}),
        silences: z
          .strictObject({
            /** silences kept (pending and active); more are refused until some expire or are deleted */
            max: z.number().int().min(1).max(100_000).default(1000),
            /** longest silence */
            maxDuration: duration('30d'),
            /** matchers per silence */
            maxMatchers: z.number().int().min(1).max(100).default(16),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .superRefine((a, ctx) => {
    const names = new Set<string>();
    a.receivers.forEach((r, i) => {
      if (names.has(r.name)) ctx.addIssue({ code: 'custom', path: ['receivers', i, 'name'], message: `duplicate receiver "${r.name}"` });
      names.add(r.name);
      if (!r.email && !r.webhook && !r.sms && !r.push) {
        ctx.addIssue({ code: 'custom', path: ['receivers', i], message: 'a receiver needs at least one of email, webhook, sms, push' });
      }
    });
    const known = (n: string | undefined, p: (string | number)[]) => {
      if (n && !names.has(n)) ctx.addIssue({ code: 'custom', path: p, message: `unknown receiver "${n}"` });
    };
    known(a.route.receiver, ['route', 'receiver']);
    const walk = (routes: ChildRoute[], p: (string | number)[]) =>
      routes.forEach((r, i) => {
        known(r.receiver, [...p, i, 'receiver']);
        walk(r.routes, [...p, i, 'routes']);
      });
    walk(a.route.routes, ['route', 'routes']);
    known(a.actions.escalateTo, ['actions', 'escalateTo']);
    checkScripts(a.actions, ctx);
    const rules = new Set<string>();
    a.actions.rules.forEach((r, i) => {
      if (rules.has(r.name)) ctx.addIssue({ code: 'custom', path: ['actions', 'rules', i, 'name'], message: `duplicate action rule "${r.name}"` });
      rules.add(r.name);
    });
  });

/**
 * A script must stay inside scriptsDir: checked on the path as written by
 * every component, and with symlinks resolved wherever the directory exists
 * (the agent's host; the agent checks again before each run). Components on
 * other machines load the same file without the scripts.
 */
function checkScripts(actions: z.infer<typeof ActionsSchema>, ctx: z.RefinementCtx) {
  const withScript = actions.rules.map((r, i) => [r, i] as const).filter(([r]) => r.script !== undefined);
  if (withScript.length === 0) return;
  if (!actions.scriptsDir) {
    ctx.addIssue({ code: 'custom', path: ['actions', 'scriptsDir'], message: 'needed by rules with a script: not set' });
    return;
  }
  const written = path.resolve(actions.scriptsDir);
  let dir: string | undefined;
  try {
    dir = realpathSync(written);
  } catch {
    dir = undefined;
  }
  for (const [r, i] of withScript) {
    const p = ['actions', 'rules', i, 'script'];
    const lexical = path.resolve(written, r.script!);
    if (!lexical.startsWith(written + path.sep)) {
      ctx.addIssue({ code: 'custom', path: p, message: `${r.script} is outside actions.scriptsDir (${written})` });
      continue;
    }
    if (!dir) continue;
    let real: string;
    try {
      real = realpathSync(path.resolve(dir, r.script!));
    } catch {
      ctx.addIssue({ code: 'custom', path: p, message: `${r.script} does not exist in ${dir}` });
      continue;
    }
    if (!real.startsWith(dir + path.sep)) {
      ctx.addIssue({ code: 'custom', path: p, message: `${r.script} resolves to ${real}, outside actions.scriptsDir (${dir})` });
      continue;
    }
    const st = statSync(real);
    if (!st.isFile() || (st.mode & 0o111) === 0) ctx.addIssue({ code: 'custom', path: p, message: `${real} is not an executable file` });
  }
}

export type AlerterConfig = z.infer<typeof AlerterSchema>;
export type ReceiverConfig = AlerterConfig['receivers'][number];
export type RootRoute = AlerterConfig['route'];
export type ActionRule = AlerterConfig['actions']['rules'][number];
export type InhibitRule = AlerterConfig['inhibit'][number];
