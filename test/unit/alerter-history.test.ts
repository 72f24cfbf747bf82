/** Line protocol of the handling history and of an alert's time to resolve. */
import { expect } from 'chai';
import { handlingLine, silenceLine } from '../../alerter/lines.js';
import { alertLine } from '../../processor/lines.js';
import { parseMatcher } from '../../common/matchers.js';

const msg = { key: 'died|h1|web-1', rule: 'died', host: 'h1', container: 'web-1', startsAt: 1_000 };

describe('handling history lines', () => {
  it('an acknowledgement carries who, why and the time to acknowledge', () => {
    expect(handlingLine(msg, 'acknowledged', { by: 'ann', comment: 'on it, "really"', timeToAckS: 41 }, 42_000)).to.equal(
      'shipwatch_alert_handling,container_name=web-1,engine_host=h1,event=acknowledged,rule=died ' +
      'alert_key="died|h1|web-1",starts_at=1000i,by="ann",comment="on it, \\"really\\"",time_to_ack_s=41 42000000000',
    );
  });

  it('a hold names the silences or the inhibiting alert, and what was held back', () => {
    expect(handlingLine(msg, 'silenced', { silenceIds: ['a', 'b'], held: 'recovery' }, 5_000))
      .to.equal('shipwatch_alert_handling,container_name=web-1,engine_host=h1,event=silenced,rule=died alert_key="died|h1|web-1",starts_at=1000i,silence_ids="a,b",held="recovery" 5000000000');
    expect(handlingLine(msg, 'inhibited', { inhibitedBy: 'died|h1|db', held: 'notification' }, 5_000)).to.contain('inhibited_by="died|h1|db",held="notification"');
  });

  it('a silence point holds its matchers as written, who and why', () => {
    const s = { id: 's1', matchers: [parseMatcher('host="h1"'), parseMatcher('container=~"web-.*"')], startsAt: 1_000, endsAt: 9_000, createdBy: 'ann', comment: 'deploy', createdAt: 1_000 };
    expect(silenceLine(s, 'deleted', 'bob', 'done', 4_000)).to.equal(
      'shipwatch_silence,event=deleted silence_id="s1",matchers="host=\\"h1\\", container=~\\"web-.*\\"",by="bob",comment="done",starts_at=1000i,ends_at=9000i 4000000000',
    );
  });

  it('a resolved alert point carries its time to resolve; a firing one does not', () => {
    const alert = { status: 'firing' as const, rule: 'died', severity: 'critical' as const, container: 'web-1', containerId: 'id', labels: {}, summary: 's', value: 1, since: 1_000, startsAt: 1_000, snapshotId: null };
    expect(alertLine('h1', { status: 'resolved', key: msg.key, alert, time: 91_000 })).to.contain(',duration_s=90 91000000000');
    expect(alertLine('h1', { status: 'firing', key: msg.key, alert, time: 1_000 })).to.not.contain('duration_s');
  });
});
