import { expect } from 'chai';
import { z } from 'zod';
import { Serializer } from '../../common/serial.js';
import { formatIssues, issueList } from '../../common/validation.js';

describe('common: Serializer', () => {
  it('runs the tasks of one key in order, those of other keys meanwhile, and goes on after a failure', async () => {
    const s = new Serializer();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a1 = s.run('a', async () => { await gate; order.push('a1'); });
    const a2 = s.run('a', async () => { order.push('a2'); throw new Error('boom'); });
    const a3 = s.run('a', async () => { order.push('a3'); return 3; });
    await s.run('b', async () => { order.push('b1'); });
    expect(order).to.deep.equal(['b1']);
    release();
    await a1;
    await a2.then(() => expect.fail('a2 should fail'), (e: Error) => expect(e.message).to.equal('boom'));
    expect(await a3).to.equal(3);
    expect(order).to.deep.equal(['b1', 'a1', 'a2', 'a3']);
  });
});

describe('common: validation errors', () => {
  const schema = z.object({ a: z.object({ b: z.number() }), c: z.string(), d: z.string(), e: z.string(), f: z.string(), g: z.string() });
  it('names each issue by its path, the first five on one line', () => {
    const r = schema.safeParse({ a: { b: 'x' } });
    expect(r.success).to.equal(false);
    const text = formatIssues(r.error!);
    expect(text).to.match(/^a\.b: .+; c: .+; d: .+; e: .+; f: .+ \(\+1 more\)$/);
  });
  it('lists issues with a root name for the whole value', () => {
    const r = z.number().safeParse('x');
    expect(issueList(r.error!, '(body)')).to.deep.equal([{ path: '(body)', message: r.error!.issues[0].message }]);
  });
});
