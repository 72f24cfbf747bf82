/** Line protocol of docker_container_posture (pure). */
import { POSTURE_FIELDS } from '../../common/schema.js';
import { fieldSet, int, nsTime } from '../../common/lineprotocol.js';
import { describeFindings, type Posture } from './checks.js';

export function postureLine(key: string, p: Posture, timeMs: number): string {
  return key + ' ' + fieldSet({
    [POSTURE_FIELDS.score]: int(p.score),
    [POSTURE_FIELDS.critical]: int(p.counts.critical),
    [POSTURE_FIELDS.high]: int(p.counts.high),
    [POSTURE_FIELDS.medium]: int(p.counts.medium),
    [POSTURE_FIELDS.low]: int(p.counts.low),
    [POSTURE_FIELDS.failed]: p.failed.map((f) => f.id).join(','),
    [POSTURE_FIELDS.findings]: describeFindings(p.failed),
  }) + ' ' + nsTime(timeMs);
}
