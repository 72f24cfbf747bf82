import { expect } from 'chai';
import { parseConfig } from '../../common/config.js';
import { parseMatcher, matches } from '../../common/matchers.js';
import { Router } from '../../alerter/routing.js';
import { groupOf } from '../../alerter/grouping.js';
import { planFlush, type Notified } from '../../alerter/dedup.js';
import { flushAt } from '../../alerter/flushtime.js';
import { applyTransition, stateId, type AlertRecord } from '../../alerter/record.js';
import { silencedBy, type Silence } from '../../alerter/silences.js';
import { inhibitedBy } from '../../alerter/inhibit.js';
import { alertLabels } from '../../common/queue/alerts.js';
import { AlertMessageSchema, type AlertMessage } from '../../common/queue/alerts.js';

const msg = (over: Partial<AlertMessage> = {}): AlertMessage => ({
  v: 1, key: 'died|h1|web-1', status: 'firing', rule: 'died', severity: 'critical', host: 'h1', container: 'web-1',
  containerId: 'abc', summary: 'exited 1', value: 1, labels: {}, startsAt: 1000, endsAt: null, snapshotId: null, ...over,
});
const rec = (over: Partial<AlertMessage> = {}, ack: AlertRecord['ack'] = null): AlertRecord => ({ msg: msg(over), receivedAt: 0, ack });

describe('alerter: matchers', () => {
  it('parses the four operators, anchors regular expressions, treats a missing label as empty', () => {
    expect(parseMatcher('severity="critical"')).to.deep.equal({ name: 'severity', op: '=', value: 'critical' });
    expect(parseMatcher('container=~"web-.*"').op).to.equal('=~');
    expect(matches(parseMatcher('container=~"web"'), { container: 'web-1' })).to.equal(false);
    expect(matches(parseMatcher('container=~"web-.*"'), { container: 'web-1' })).to.equal(true);
    expect(matches(parseMatcher('container!~"db-.*"'), { container: 'web-1' })).to.equal(true);
    expect(matches(parseMatcher('team!="ops"'), {})).to.equal(true);
    expect(matches(parseMatcher('team=""'), {})).to.equal(true);
    expect(() => parseMatcher('severity')).to.throw(/not a matcher/);
    expect(() => parseMatcher('x=~"("')).to.throw(/regular expression/);
  });
});

describe('alerter: routing', () => {
  const cfg = parseConfig({
    alerter: {
      receivers: ['default', 'pager', 'web', 'audit'].map((name) => ({ name, webhook: { url: 'http://127.0.0.1:1/' } })),
      route: {
        receiver: 'default',
        groupWait: '10s',
        routes: [
          { matchers: ['rule="died"'], receiver: 'audit', continue: true },
          {
            matchers: ['severity="critical"'], receiver: 'pager', groupWait: '0s',
            routes: [{ matchers: ['container=~"web-.*"'], receiver: 'web', groupBy: ['container'] }],
          },
          { matchers: ['host="h1"'], receiver: 'default' },
        ],
      },
    },
  }).alerter;
  const router = new Router(cfg.route);

  it('descends to the deepest match, inherits settings, honours continue', () => {
    const m = router.match(alertLabels(msg()));
    expect(m.map((r) => r.receiver)).to.deep.equal(['audit', 'web']);
    const web = m[1];
    expect(web.groupWait).to.equal(0); // from its parent
    expect(web.groupBy).to.deep.equal(['container']);
    expect(web.repeatInterval).to.equal(4 * 3_600_000); // from the root
  });

  it('stops at the first match without continue; falls back to the root', () => {
    expect(router.match(alertLabels(msg({ rule: 'oom', container: 'db' }))).map((r) => r.id)).to.deep.equal(['root.1']);
    expect(router.match(alertLabels(msg({ rule: 'cpu', severity: 'info', host: 'h2' }))).map((r) => r.id)).to.deep.equal(['root']);
    expect(router.byId('root.1.0')?.receiver).to.equal('web');
  });

  it('rejects unknown receivers at config load, naming the key', () => {
    expect(() => parseConfig({ alerter: { route: { routes: [{ receiver: 'nobody' }] } } })).to.throw(/alerter\.route\.routes\.0\.receiver: unknown receiver "nobody"/);
  });
});

describe('alerter: grouping', () => {
  const route = { id: 'root', receiver: 'r', groupBy: ['rule', 'host'], groupWait: 0, immediate: true, groupInterval: 1, repeatInterval: 1 };
  it('puts alerts with the same groupBy values in one group', () => {
    const a = groupOf(route, alertLabels(msg({ container: 'a' })));
    const b = groupOf(route, alertLabels(msg({ container: 'b' })));
    const c = groupOf(route, alertLabels(msg({ host: 'h2' })));
    expect(a.id).to.equal(b.id);
    expect(a.id).to.not.equal(c.id);
    expect(a.labels).to.deep.equal({ host: 'h1', rule: 'died' });
  });
  it('groupBy ["..."] makes one group per label set', () => {
    const all = { ...route, groupBy: ['...'] };
    expect(groupOf(all, alertLabels(msg({ container: 'a' }))).id).to.not.equal(groupOf(all, alertLabels(msg({ container: 'b' }))).id);
  });
});

describe('alerter: when a group flushes', () => {
  const S = 1000;
  const route = { groupWait: 30 * S, groupInterval: 300 * S, immediate: true };
  const fresh = { pending: 0, flushed: false, newAt: 0 };
  const told = (at: number, pending = at + 300 * S) => ({ pending, flushed: true, newAt: at });

  it('immediate: the first firing alert of a group quiet for groupWait goes out at once', () => {
    expect(flushAt(route, fresh, 'firing', 100 * S)).to.deep.equal({ at: 100 * S, advance: true });
    // A group notified long ago, waiting for its groupInterval tick: brought forward to now.
    expect(flushAt(route, told(0), 'firing', 100 * S)).to.deep.equal({ at: 100 * S, advance: true });
  });

  it('immediate: firing alerts right after a notification are batched groupWait after it', () => {
    expect(flushAt(route, told(100 * S), 'firing', 105 * S)).to.deep.equal({ at: 130 * S, advance: true });
    // The batch is already due then (or sooner): nothing more to schedule.
    expect(flushAt(route, told(100 * S, 130 * S), 'firing', 110 * S)).to.equal(undefined);
  });

  it('resolves wait for the groupInterval tick; without immediate, Alertmanager timing', () => {
    expect(flushAt(route, told(100 * S), 'resolved', 120 * S)).to.equal(undefined);
    expect(flushAt(route, { ...fresh }, 'resolved', 120 * S)).to.deep.equal({ at: 150 * S, advance: false });
    const am = { ...route, immediate: false };
    expect(flushAt(am, fresh, 'firing', 100 * S)).to.deep.equal({ at: 130 * S, advance: false });
    expect(flushAt(am, { pending: 0, flushed: true, newAt: 0 }, 'firing', 100 * S)).to.deep.equal({ at: 400 * S, advance: false });
    expect(flushAt(am, told(0), 'firing', 100 * S)).to.equal(undefined);
  });
});

describe('alerter: dedup of transitions', () => {
  it('keeps one record per alert state; ignores repeats and stale lives', () => {
    const first = applyTransition(undefined, msg(), 5);
    expect(first.change).to.equal('new');
    expect(applyTransition(first.record, msg(), 6).change).to.equal('duplicate');
    const resolved = applyTransition(first.record, msg({ status: 'resolved', endsAt: 2000 }), 7);
    expect(resolved.change).to.equal('changed');
    expect(applyTransition(resolved.record, msg(), 8).change).to.equal('stale'); // late firing of the same life
    expect(applyTransition(resolved.record, msg({ startsAt: 500 }), 8).change).to.equal('stale');
    expect(applyTransition(resolved.record, msg({ startsAt: 3000 }), 9).change).to.equal('changed');
  });
  it('keeps an acknowledgement for its life only', () => {
    const acked = rec({}, { by: 'ann', comment: '', at: 1, startsAt: 1000 });
    expect(applyTransition(acked, msg({ status: 'resolved', endsAt: 2000 }), 2).record.ack).to.not.equal(null);
    expect(applyTransition(acked, msg({ startsAt: 5000 }), 2).record.ack).to.equal(null);
  });
  it('keeps the snapshot facts of the firing on its resolve, not on a later life', () => {
    const snapshot = { facts: [['exit code', '1']] as Array<[string, string]>, logs: [] };
    const fired = applyTransition(undefined, msg({ snapshot }), 1).record;
    const resolved = applyTransition(fired, msg({ status: 'resolved', endsAt: 2000 }), 2).record;
    expect(resolved.msg.snapshot).to.deep.equal(snapshot);
    expect(applyTransition(resolved, msg({ startsAt: 3000 }), 3).record.msg.snapshot).to.equal(null);
  });
  it('refuses snapshot facts beyond their bounds', () => {
    const many = Array.from({ length: 31 }, (_, i) => [`k${i}`, 'v']);
    expect(AlertMessageSchema.safeParse(msg({ snapshot: { facts: many as Array<[string, string]>, logs: [] } })).success).to.equal(false);
    expect(AlertMessageSchema.safeParse(msg({ snapshot: { facts: [], logs: ['x'.repeat(1001)] } })).success).to.equal(false);
    expect(AlertMessageSchema.safeParse(msg()).success).to.equal(true);
  });
});

describe('alerter: group flush plan', () => {
  const base = { muted: new Set<string>(), now: 100_000, repeatInterval: 60_000, sendResolved: true };
  const told = (firing: AlertRecord[], at = 90_000): Notified => ({ firing: firing.map((r) => stateId(r.msg)), resolved: [], at });

  it('notifies a new group, then nothing while unchanged, then a repeat', () => {
    const a = rec();
    const p1 = planFlush({ ...base, records: [a], prev: null });
    expect(p1.reason).to.equal('new');
    const p2 = planFlush({ ...base, records: [a], prev: p1.notified, now: 110_000 });
    expect(p2.reason).to.equal(null);
    expect(planFlush({ ...base, records: [a], prev: p1.notified, now: 160_000 }).reason).to.equal('repeat');
  });

  it('notifies an alert joining the group', () => {
    const a = rec();
    const b = rec({ key: 'died|h1|web-2', container: 'web-2' });
    const p = planFlush({ ...base, records: [a, b], prev: told([a]) });
    expect(p.reason).to.equal('new');
    expect(p.firing).to.have.length(2);
  });

  it('sends resolves only for alerts the receiver was told about, and drops them from the group', () => {
    const a = rec();
    const resolved = rec({ status: 'resolved', endsAt: 5000 });
    const p = planFlush({ ...base, records: [resolved], prev: told([a]) });
    expect(p.reason).to.equal('resolved');
    expect(p.resolved).to.have.length(1);
    expect(p.drop).to.deep.equal([a.msg.key]);
    // resolved within group_wait: never told, so nothing to say
    expect(planFlush({ ...base, records: [resolved], prev: null }).reason).to.equal(null);
    // send_resolved off: quiet, but the receiver's state forgets the alert
    const off = planFlush({ ...base, records: [resolved], prev: told([a]), sendResolved: false });
    expect(off.reason).to.equal(null);
    expect(off.notified?.firing).to.deep.equal([]);
  });

  it('an acknowledgement stops repeats but not news', () => {
    const acked = rec({}, { by: 'ann', comment: '', at: 1, startsAt: 1000 });
    expect(planFlush({ ...base, records: [acked], prev: told([acked], 0) }).reason).to.equal(null);
    const other = rec({ key: 'died|h1|web-2', container: 'web-2' });
    expect(planFlush({ ...base, records: [acked, other], prev: told([acked], 0) }).reason).to.equal('new');
  });

  it('muted (silenced or inhibited) alerts are left out', () => {
    const a = rec();
    expect(planFlush({ ...base, records: [a], prev: null, muted: new Set([a.msg.key]) }).reason).to.equal(null);
  });
});

describe('alerter: silences and inhibition', () => {
  const s: Silence = { id: 's1', matchers: [parseMatcher('container=~"web-.*"'), parseMatcher('rule="died"')], startsAt: 100, endsAt: 200, createdBy: 'ann', comment: 'deploy', createdAt: 50 };
  it('a silence mutes matching alerts inside its window only', () => {
    const l = alertLabels(msg());
    expect(silencedBy(l, [s], 150)).to.deep.equal(['s1']);
    expect(silencedBy(l, [s], 99)).to.deep.equal([]);
    expect(silencedBy(l, [s], 200)).to.deep.equal([]);
    expect(silencedBy(alertLabels(msg({ container: 'db' })), [s], 150)).to.deep.equal([]);
  });
  it('a firing source inhibits targets with equal labels', () => {
    const rules = [{ source: [parseMatcher('rule="host_down"')], target: [parseMatcher('severity=~"warning|info"')], equal: ['host'] }];
    const src = { key: 'host_down|h1|', labels: alertLabels(msg({ rule: 'host_down', container: '' })) };
    const target = alertLabels(msg({ rule: 'cpu', severity: 'warning' }));
    expect(inhibitedBy(target, 'cpu|h1|web-1', [src], rules)).to.equal('host_down|h1|');
    expect(inhibitedBy(alertLabels(msg({ rule: 'cpu', severity: 'warning', host: 'h2' })), 'x', [src], rules)).to.equal(undefined);
    expect(inhibitedBy(alertLabels(msg()), 'died|h1|web-1', [src], rules)).to.equal(undefined); // critical: not a target
  });
});

describe('alerter: configuration', () => {
  it('keeps the API token, SMTP password and gateway headers out of logs; reads the token from a file', async () => {
    const { loadConfig } = await import('../../common/config.js');
    const { redactConfig } = await import('../../common/config-redact.js');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'sw-tok-')), 'token');
    writeFileSync(file, 'api-s3cret-0123456789abcdef\n');
    const cfg = loadConfig({
      env: { SHIPWATCH_ALERTER_API_TOKEN_FILE: file, SHIPWATCH_ALERTER_SMTP_PASSWORD: 'smtp-s3cret' },
      overrides: { 'alerter.receivers': [{ name: 'sms', sms: { url: 'http://127.0.0.1:1/', to: ['1'], headers: { authorization: 'Bearer gw-s3cret' } } }] },
    });
    expect(cfg.alerter.api.token).to.equal('api-s3cret-0123456789abcdef');
    const shown = JSON.stringify(redactConfig(cfg));
    for (const secret of ['api-s3cret', 'smtp-s3cret', 'gw-s3cret']) expect(shown).to.not.contain(secret);
  });

  it('names the key of a bad action rule', () => {
    expect(() => parseConfig({ alerter: { actions: { rules: [{ name: 'x', matchers: ['rule="died"'] }] } } })).to.throw(/alerter\.actions\.rules\.0: give exactly one of script or docker/);
    expect(() => parseConfig({ alerter: { actions: { rules: [{ name: 'x', matchers: ['rule="died"'], script: 'a.sh' }] } } })).to.throw(/alerter\.actions\.scriptsDir: needed by rules with a script/);
  });
});
