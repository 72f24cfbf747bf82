/**
 * The whole path with a real container: collector (Docker events and
 * samples) → processor (died rule, snapshot) → alert queue → alerter →
 * SMTP peer. A crash gives exactly one email with the container's name and
 * the snapshot's facts; running again, exactly one resolve email.
 */
import { expect } from 'chai';
import { services, docker, freshDatabase, uniqueRun, runContainer, cleanup } from '../helpers/services.js';
import { SmtpPeer, until, pipelineConfig } from '../helpers/alerter.js';
import { createLogger } from '../../common/log.js';
import { startCollectorParts, type RunningCollector } from '../../collector/service.js';
import { startProcessorParts, type RunningProcessor } from '../../processor/service.js';
import { startAlerterParts, type RunningAlerter } from '../../alerter/service.js';
import { EventEmitter } from 'node:events';

describe('alerter: a crashing container end to end', function () {
  this.timeout(240_000);
  const run = uniqueRun('ale2e');
  const db = `ale2e_${process.pid}`;
  const smtp = new SmtpPeer();
  const d = docker();
  const log = createLogger('e2e', process.env.SHIPWATCH_TEST_LOG ?? 'silent');
  let collector: RunningCollector;
  let processor: RunningProcessor;
  let alerter: RunningAlerter;

  after(async () => {
    await cleanup(d, run);
    await collector?.stop();
    await processor?.stop();
    await alerter?.stop();
    await smtp.stop();
  });

  it('sends one email on the crash and one when it runs again', async () => {
    services();
    await freshDatabase(db);
    await smtp.start();
    const name = `${run}-web`;
    const cfg = pipelineConfig(db, {
      host: `e2e-${run}`, prefix: run, container: name, smtpPort: smtp.port, stopGrace: '500ms',
    }, { 'alerter.api': { port: 0, token: 'e2e-token-0123456789abcdef' } });
    processor = await startProcessorParts(cfg, log.child({ c: 'processor' }));
    alerter = await startAlerterParts(cfg, log.child({ c: 'alerter' }));
    collector = await startCollectorParts(cfg, log.child({ c: 'collector' }));
    const cycles = new EventEmitter();
    let cycleCount = 0;
    collector.cycles.on('cycle', () => {
      cycleCount++;
      cycles.emit('cycle');
    });

    // Runs until /crash appears, then exits 3; a restart clears it and runs again.
    const c = await runContainer(d, run, { name, cmd: ['sh', '-c', 'rm -f /crash; echo running; while [ ! -e /crash ]; do sleep 0.2; done; echo crashing; exit 3'] });
    const seen = cycleCount;
    await until(cycles, 'cycle', () => cycleCount >= seen + 2, 60_000, 'two collector cycles with the container');
    const ex = await c.exec({ Cmd: ['touch', '/crash'] });
    await ex.start({});
    await c.wait();

    await smtp.waitFor(1, 90_000);
    const fired = smtp.mails[0].parsed;
    if (process.env.SHIPWATCH_TEST_SHOW_MAIL) process.stderr.write(`${fired.subject}\n${fired.text}\n`);
    expect(fired.subject).to.equal(`[FIRING:1] died ${name} on e2e-${run}`);
    expect(fired.text).to.contain(name);
    // The snapshot's facts.
    expect(fired.text).to.match(/exit code: 3/);
    expect(fired.text).to.contain('image: shipwatch/busybox:test');
    expect(fired.text).to.match(/recent events: .*die exitCode=3/);
    expect(fired.html).to.contain(`var-container=${name}`);
    // The snapshot named in the email, through the API.
    const snapshotId = /snapshot: (\S+)/.exec(fired.text!)![1];
    const res = await fetch(`http://127.0.0.1:${alerter.apiPort}/api/snapshots/${snapshotId}`, { headers: { authorization: 'Bearer e2e-token-0123456789abcdef' } });
    expect(res.status).to.equal(200);
    const snap = (await res.json()) as { id: string; container: { name: string; info: { exitCode: number } } };
    expect(snap.id).to.equal(snapshotId);
    expect(snap.container.name).to.equal(name);
    expect(snap.container.info.exitCode).to.equal(3);

    await c.start();
    await smtp.waitFor(2, 90_000);
    const resolved = smtp.mails[1].parsed;
    expect(resolved.subject).to.equal(`[RESOLVED] died ${name} on e2e-${run}`);
    // Quiet afterwards: a few more cycles bring no further mail.
    const after = cycleCount;
    await until(cycles, 'cycle', () => cycleCount >= after + 3, 60_000, 'three more cycles');
    expect(smtp.mails).to.have.length(2);
  });
});
