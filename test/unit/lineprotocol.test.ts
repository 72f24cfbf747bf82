import { expect } from 'chai';
import { seriesKey, fieldSet, line, int, nsTime } from '../../common/lineprotocol.js';

describe('line protocol', () => {
  it('sorts tags and leaves out empty ones', () => {
    expect(seriesKey('m', { b: '2', a: '1', c: '' })).to.equal('m,a=1,b=2');
  });
  it('drops a tag value\'s trailing backslashes, which would escape the next separator', () => {
    expect(seriesKey('m', { a: 'C:\\dir\\', b: 'x' })).to.equal('m,a=C:\\dir,b=x');
    expect(seriesKey('m', { a: '\\', b: 'x' })).to.equal('m,b=x');
  });
  it('formats integers, floats, strings and booleans; skips NaN and undefined', () => {
    expect(fieldSet({ i: int(3.7), f: 0.5, s: 'a "q" \\ b', b: true, n: NaN, u: undefined, inf: Infinity }))
      .to.equal('i=3i,f=0.5,s="a \\"q\\" \\\\ b",b=true');
  });
  it('returns no line when no field is left', () => {
    expect(line('m', { x: undefined }, 1)).to.equal('');
  });
  it('writes ms timestamps as ns, keeping sub-ms parts', () => {
    expect(nsTime(1700000000000)).to.equal('1700000000000000000');
    expect(nsTime(1.5)).to.equal('1500000');
  });
});
