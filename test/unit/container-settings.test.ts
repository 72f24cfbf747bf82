/** Per-container settings from labels: the collector's parse, the processor's rules and detectors, the alerter's route and recovery choice. */
import { expect } from 'chai';
import { parseSettings, parseLimit, monitored } from '../../collector/settings.js';
import { labelThresholdRules, DetectorChoice } from '../../processor/settings.js';
import { thresholdOptions } from '../../processor/thresholds/index.js';
import { routesFor, recoveryRuleFor } from '../../alerter/settings.js';
import { Router } from '../../alerter/routing.js';
import { parseConfig } from '../../common/config.js';
import { HostEngine } from '../../processor/engine.js';
import { decodeHostState, encodeHostState } from '../../processor/state.js';
import { alertMessage } from '../../processor/alert-publisher.js';
import { AlertMessageSchema } from '../../common/queue/alerts.js';
import { validateSamples, type ContainerSample, type SamplesPayload } from '../../common/queue/payload.js';
import { labelProblemLine } from '../../common/container-settings.js';

const T0 = 1_700_000_000_000;

describe('container settings from labels', () => {
  it('parses every setting; wrong labels are reported with what happens instead, the rest kept', () => {
    const { settings, problems } = parseSettings({
      'com.docker.compose.service': 'web',
      'shipwatch.alert': 'False',
      'shipwatch.threshold.cpu_percent': '80',
      'shipwatch.threshold.mem_usage': '512Mi',
      'shipwatch.threshold.bogus': '1',
      'shipwatch.threshold.pids': 'many',
      'shipwatch.anomaly.cpu_percent': 'HIGH',
      'shipwatch.anomaly.mem_usage': 'off',
      'shipwatch.anomaly.pids': 'extreme',
      'shipwatch.route': 'team-web',
      'shipwatch.recovery': 'restart web',
      'shipwatch.enable': 'maybe',
      'shipwatch.colour': 'blue',
    });
    expect(settings).to.deep.equal({
      alert: false,
      thresholds: { cpu_percent: 80, mem_usage: 512 * 1024 * 1024 },
      anomaly: { cpu_percent: 'high', mem_usage: 'off' },
      route: 'team-web',
    });
    expect(problems.map((p) => p.label)).to.deep.equal([
      'shipwatch.anomaly.pids', 'shipwatch.colour', 'shipwatch.enable', 'shipwatch.recovery', 'shipwatch.threshold.bogus', 'shipwatch.threshold.pids',
    ]);
    expect(problems.find((p) => p.label === 'shipwatch.threshold.bogus')!.problem).to.match(/^unknown metric "bogus" \(one of cpu_percent, /);
    expect(problems.find((p) => p.label === 'shipwatch.enable')!.problem).to.equal('not true or false: the container is monitored');
    expect(parseSettings({ 'com.example': 'x' })).to.deep.equal({ settings: undefined, problems: [] });
  });

  it('reads limits with SI and binary multipliers', () => {
    expect([parseLimit('80'), parseLimit('0.5'), parseLimit('1.5G'), parseLimit('10MiB'), parseLimit('2k'), parseLimit('x'), parseLimit('')])
      .to.deep.equal([80, 0.5, 1.5e9, 10 * 1024 * 1024, 2000, undefined, undefined]);
  });

  it('leaves a container out only for shipwatch.enable=false', () => {
    expect([monitored({ 'shipwatch.enable': 'false' }), monitored({ 'shipwatch.enable': 'FALSE ' }), monitored({ 'shipwatch.enable': 'no' }), monitored({}), monitored(null)])
      .to.deep.equal([false, false, true, true, true]);
  });

  it('a wrong label becomes a docker_container_label_problem point', () => {
    expect(labelProblemLine('h1', 'web', 'abc', { label: 'shipwatch.route', value: 'x y', problem: 'bad' }, 1000))
      .to.equal('docker_container_label_problem,container_name=web,engine_host=h1,label=shipwatch.route value="x y",problem="bad",container_id="abc" 1000000000');
  });

  it('the processor takes label limits as rules on the rolled average, and a sensitivity as a wider or narrower band', () => {
    expect(labelThresholdRules({ thresholds: { cpu_percent: 80 } })).to.deep.equal([
      { name: 'threshold.cpu_percent', metric: 'cpu_percent', aggregate: 'avg', op: '>', value: 80, for: 0, severity: 'warning', labels: {}, containers: '*' },
    ]);
    const th = parseConfig({}).processor.thresholds;
    const d = new DetectorChoice((metric) => thresholdOptions(th, metric), new Set(['cpu_percent']));
    expect(d.optionsFor(undefined, 'cpu_percent')).to.deep.equal(thresholdOptions(th, 'cpu_percent'));
    expect(d.optionsFor(undefined, 'pids')).to.equal(undefined);
    expect(d.optionsFor({ anomaly: { cpu_percent: 'off' } }, 'cpu_percent')).to.equal(undefined);
    expect(d.optionsFor({ anomaly: { pids: 'medium' } }, 'pids')).to.deep.equal(thresholdOptions(th, 'pids'));
    const low = d.optionsFor({ anomaly: { pids: 'low' } }, 'pids')!;
    const high = d.optionsFor({ anomaly: { pids: 'high' } }, 'pids')!;
    expect(low.bandWidth).to.be.greaterThan(high.bandWidth);
    // the metric's own least change is kept at every sensitivity
    expect(high.minWidth).to.equal(th.minChange.pids);
  });

  describe('in the processor engine', () => {
    const cfg = parseConfig({ processor: { thresholds: { warmup: '2m' } } });
    // Every sample closes a window (rollups are written per closed window) and bands are drawn at once.
    const windowed = parseConfig({ processor: { averageWindow: '30s', thresholds: { warmup: '1s' } } });
    const ctr = (cpu: number, settings?: ContainerSample['settings']): ContainerSample => ({
      id: 'a'.repeat(64), name: 'web', image: 'nginx:1', state: 'running', startedAt: T0 - 3_600_000, restartCount: 0,
      cpu: { percent: cpu }, mem: { usage: 100, limit: 1000, percent: null }, pids: { current: 3, limit: null }, ...(settings ? { settings } : {}),
    });
    const job = (i: number, c: ContainerSample): SamplesPayload => ({ v: 1, host: 'h', time: T0 + i * 30_000, containers: [c] });
    function feed(cs: ContainerSample[], c = cfg) {
      const engine = new HostEngine(c.processor);
      let raw: Buffer | null = null;
      const out = { transitions: [] as Array<{ key: string; status: string; route?: string; recovery?: string }>, lines: [] as string[] };
      cs.forEach((c, i) => {
        const p = validateSamples(job(i, c));
        if (!p.ok) throw new Error(p.reason);
        const s = decodeHostState('h', raw);
        const r = engine.applySamples(s, p.value);
        for (const t of r.transitions) {
          const m = alertMessage('h', t);
          expect(AlertMessageSchema.safeParse(m).success).to.equal(true);
          out.transitions.push({ key: t.key, status: t.status, route: m.route, recovery: m.recovery });
        }
        out.lines.push(...r.lines);
        raw = encodeHostState(s);
      });
      return out;
    }

    it('a label limit fires and resolves with the container\'s route and recovery rule on the alert', () => {
      const s = { thresholds: { cpu_percent: 50 }, route: 'team-web', recovery: 'restart-web' };
      const out = feed([ctr(10, s), ctr(200, s), ctr(200, s), ctr(0, s), ctr(0, s), ctr(0, s), ctr(0, s), ctr(0, s), ctr(0, s), ctr(0, s), ctr(0, s), ctr(0, s), ctr(0, s)]);
      expect(out.transitions).to.deep.equal([
        { key: 'threshold.cpu_percent|h|web', status: 'firing', route: 'team-web', recovery: 'restart-web' },
        { key: 'threshold.cpu_percent|h|web', status: 'resolved', route: 'team-web', recovery: 'restart-web' },
      ]);
    });

    it('shipwatch.alert=false keeps the rollups and raises nothing', () => {
      const out = feed([ctr(10, { alert: false, thresholds: { cpu_percent: 5 } }), ctr(90, { alert: false, thresholds: { cpu_percent: 5 } })], windowed);
      expect(out.transitions).to.deep.equal([]);
      expect(out.lines.some((l) => l.startsWith('shipwatch_rollup,'))).to.equal(true);
    });

    it('a sensitivity label feeds a metric the configuration does not to the detector; off takes one away', () => {
      // the detector is warm, and draws its band, after its warm-up and 10 samples
      const bands = (settings?: ContainerSample['settings']) => feed(Array.from({ length: 11 }, (_, i) => ctr(10 + (i % 2), settings)), windowed).lines
        .filter((l) => l.startsWith('shipwatch_threshold,')).flatMap((l) => [...l.matchAll(/[ ,](\w+)_lower=/g)].map((m) => m[1]));
      const banded = (settings?: ContainerSample['settings']) => [...new Set(bands(settings))].sort();
      expect(banded()).to.deep.equal(['cpu_percent', 'mem_usage']);
      expect(banded({ anomaly: { pids: 'high', mem_usage: 'off' } })).to.deep.equal(['cpu_percent', 'pids']);
    });
  });

  it('the alerter routes to the label\'s receiver with the tree\'s grouping, or falls back and says why', () => {
    const cfg = parseConfig({
      alerter: {
        receivers: [{ name: 'ops', webhook: { url: 'http://127.0.0.1:9/' } }, { name: 'team-web', webhook: { url: 'http://127.0.0.1:9/' } }],
        route: { receiver: 'ops', groupBy: ['rule'], routes: [{ matchers: ['severity="critical"'], groupWait: '0s' }] },
      },
    });
    const router = new Router(cfg.alerter.route);
    const tree = router.match({ severity: 'critical' });
    const names = new Set(['ops', 'team-web']);
    const { routes, problem } = routesFor({ route: 'team-web' }, tree, names);
    expect(problem).to.equal(undefined);
    expect(routes).to.deep.equal([{ ...tree[0], id: 'root.0>team-web', receiver: 'team-web' }]);
    // A flush finds the route again by its ID.
    expect(router.byId('root.0>team-web')).to.deep.equal(routes[0]);
    const fallback = routesFor({ route: 'nobody' }, tree, names);
    expect(fallback.routes).to.equal(tree);
    expect(fallback.problem).to.deep.include({ label: 'shipwatch.route', value: 'nobody' });
  });

  it('the alerter runs only the recovery rule the label names, and only for alerts its matchers take', () => {
    const rules = parseConfig({
      alerter: {
        actions: {
          rules: [
            { name: 'restart', matchers: ['rule="died"'], docker: 'restart' },
            { name: 'restart-web', matchers: ['rule=~"died|oom"'], docker: 'restart' },
          ],
        },
      },
    }).alerter.actions.rules;
    const died = { rule: 'died' };
    expect(recoveryRuleFor({}, died, rules).rule?.name).to.equal('restart');
    expect(recoveryRuleFor({ recovery: 'restart-web' }, died, rules).rule?.name).to.equal('restart-web');
    expect(recoveryRuleFor({ recovery: 'restart-web' }, { rule: 'unhealthy' }, rules)).to.deep.equal({});
    expect(recoveryRuleFor({ recovery: 'none' }, died, rules)).to.deep.equal({});
    const missing = recoveryRuleFor({ recovery: 'reboot' }, died, rules);
    expect(missing.rule).to.equal(undefined);
    expect(missing.problem).to.deep.include({ label: 'shipwatch.recovery', value: 'reboot' });
  });
});
