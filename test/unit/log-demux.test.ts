import { expect } from 'chai';
import { Demuxer, FRAME } from '../../collector/logs/demux.js';
import { LineSplitter, utf8Prefix } from '../../collector/logs/splitter.js';
import { parseLogLine } from '../../collector/logs/parse.js';

const frame = (type: number, text: string | Buffer) => {
  const payload = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
};

/** Feeds `bytes` cut at every given offset and returns the lines per stream. */
function demuxLines(bytes: Buffer, cuts: number[], max = 1 << 16) {
  const d = new Demuxer();
  const sp = { 1: new LineSplitter(max), 2: new LineSplitter(max) } as Record<number, LineSplitter>;
  const out: Record<string, string[]> = { stdout: [], stderr: [] };
  const names: Record<number, string> = { 1: 'stdout', 2: 'stderr' };
  let prev = 0;
  for (const at of [...cuts, bytes.length]) {
    d.push(bytes.subarray(prev, at), (type, data) => sp[type].push(data, (l) => out[names[type]].push(l.toString('utf8'))));
    prev = at;
  }
  for (const t of [1, 2]) sp[t].end((l) => out[names[t]].push(l.toString('utf8')));
  return out;
}

describe('log demultiplexer and line splitter', () => {
  const text = ['안녕하세요 세계 😀🚀', 'plain ascii', 'ERROR 한국어 오류 💥', 'last'];
  const bytes = Buffer.concat([
    frame(FRAME.stdout, text[0] + '\n' + text[1] + '\n'),
    frame(FRAME.stderr, text[2] + '\n'),
    frame(FRAME.stdout, text[3]),
  ]);

  it('splits stdout and stderr in one piece', () => {
    const out = demuxLines(bytes, []);
    expect(out.stdout).to.deep.equal([text[0], text[1], text[3]]);
    expect(out.stderr).to.deep.equal([text[2]]);
  });

  it('gives the same lines however the chunks cut headers, frames and characters', () => {
    const want = demuxLines(bytes, []);
    // Every single cut position, and every pair of cuts: covers splits inside headers and inside UTF-8 sequences.
    for (let i = 1; i < bytes.length; i++) expect(demuxLines(bytes, [i])).to.deep.equal(want);
    for (let i = 1; i < bytes.length; i += 3) for (let j = i + 1; j < bytes.length; j += 2) expect(demuxLines(bytes, [i, j])).to.deep.equal(want);
  });

  it('byte-at-a-time delivery keeps emoji and Hangul intact', () => {
    const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    expect(demuxLines(bytes, cuts).stdout[0]).to.equal(text[0]);
  });

  it('a frame of stdin type counts as stdout, the daemon error type is reported separately', () => {
    const d = new Demuxer();
    const seen: number[] = [];
    d.push(Buffer.concat([frame(FRAME.stdin, 'x'), frame(FRAME.systemErr, 'boom')]), (t) => seen.push(t));
    expect(seen).to.deep.equal([0, 3]);
    expect(d.partial).to.equal(false);
  });

  it('cuts a long line at a character boundary and skips the rest of it', () => {
    const sp = new LineSplitter(10);
    const lines: string[] = [];
    sp.push(Buffer.from('abcdefgh한국어 and more\nnext\n'), (l) => lines.push(l.toString('utf8')));
    expect(lines).to.deep.equal(['abcdefgh', 'next']);
    expect(utf8Prefix(Buffer.from('ab😀'), 4).toString()).to.equal('ab');
  });

  it('a long line arriving in many chunks is cut once and memory stays bounded', () => {
    const sp = new LineSplitter(16);
    const lines: string[] = [];
    for (let i = 0; i < 1000; i++) sp.push(Buffer.from('x'.repeat(100)), (l) => lines.push(l.toString()));
    sp.push(Buffer.from('\nok\n'), (l) => lines.push(l.toString()));
    expect(lines).to.deep.equal(['x'.repeat(16), 'ok']);
  });

  it('parses the timestamp Docker puts before each line and drops the \\r of TTY lines', () => {
    const p = parseLogLine(Buffer.from('2024-05-07T21:09:36.123456789Z hello world\r'));
    expect(p.ns).to.equal(1715116176123456789n);
    expect(p.text).to.equal('hello world');
    expect(parseLogLine(Buffer.from('2024-05-07T21:09:36.000000001Z')).text).to.equal('');
    expect(parseLogLine(Buffer.from('no timestamp here')).ns).to.equal(undefined);
  });
});
