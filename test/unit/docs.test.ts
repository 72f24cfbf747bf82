import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderConfigDoc, CONFIG_DOC } from '../../scripts/config-doc.js';
import { renderAclTemplate, ACL_TEMPLATE } from '../../scripts/redis-acl.js';
import * as schema from '../../common/schema.js';
import { ROOT } from '../helpers/paths.js';

describe('documentation stays true', () => {
  it('docs/configuration.md lists every configuration key (regenerate with npx tsx scripts/config-doc.ts)', () => {
    expect(readFileSync(CONFIG_DOC, 'utf8')).to.equal(renderConfigDoc());
  });

  it('deploy/redis/users.acl.in is the ACL of common/queue/acl.ts (regenerate with npx tsx scripts/redis-acl.ts --template)', () => {
    expect(readFileSync(ACL_TEMPLATE, 'utf8')).to.equal(renderAclTemplate());
  });

  it('docs/schema.md documents every measurement in common/schema.ts', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/schema.md'), 'utf8');
    for (const m of Object.values(schema.MEASUREMENT)) expect(doc, m).to.contain('`' + m + '`');
  });

  it('docs/schema.md documents every metric of the Prometheus exposition', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/schema.md'), 'utf8');
    for (const m of Object.values(schema.PROM_METRIC)) {
      const short = m.name.replace(/^container_network_(receive|transmit)_/, '..._');
      expect(doc.includes('`' + m.name + '`') || doc.includes('`' + short + '`'), m.name).to.equal(true);
    }
    for (const l of Object.values(schema.PROM_LABEL)) expect(doc, l).to.contain('`' + l + '`');
  });

  it('field keys written unescaped on the hot path need no escaping', () => {
    const keys = [
      ...Object.values(schema.CPU_FIELDS), ...Object.values(schema.MEM_FIELDS), ...schema.MEM_STAT_FIELDS,
      ...schema.NET_FIELDS, ...Object.values(schema.BLKIO_FIELDS), ...Object.values(schema.PIDS_FIELDS),
    ];
    for (const k of keys) expect(k).to.match(/^[a-z0-9_]+$/);
  });
});
