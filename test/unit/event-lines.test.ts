import { expect } from 'chai';
import { eventLine, eventFields, actionName, eventFilter, keyAtResume, eventNano } from '../../collector/eventlines.js';
import { eventKey, type DockerEvent } from '../../collector/events.js';
import { eventResumeFrom, logResumeFrom } from '../../collector/resume.js';
import { parseRfc3339Nano, formatRfc3339Nano } from '../../collector/nstime.js';

const engine = { host: 'host-1', serverVersion: '20.10.24' };
const ev = (over: Partial<DockerEvent> & { attrs?: Record<string, string> }): DockerEvent => ({
  Type: 'container',
  Action: 'die',
  Actor: { ID: 'abc123', Attributes: over.attrs ?? { name: 'web', image: 'nginx:1.25', exitCode: '137' } },
  scope: 'local',
  time: 1715116176,
  timeNano: 1715116176123456789,
  ...over,
});

describe('event lines', () => {
  it('a die event: tags bounded, exit code as integer, attributes as JSON, the event time in ns', () => {
    const l = eventLine(ev({}), engine, []);
    expect(l).to.match(/^docker_event,action=die,container_image=nginx,container_name=web,container_version=1\.25,engine_host=host-1,server_version=20\.10\.24,type=container /);
    expect(l).to.include('exitcode=137i');
    expect(l).to.include('container_id="abc123"');
    expect(l).to.include('attributes="{\\"exitCode\\":\\"137\\",\\"image\\":\\"nginx:1.25\\",\\"name\\":\\"web\\"}"');
    // Without the exact value: the JSON number as it came.
    expect(l.endsWith(' ' + BigInt(1715116176123456789).toString())).to.equal(true);
    expect(l).not.to.include('container_status');
  });

  it('kill gives the signal, health_status the status; the tag is the action without its detail', () => {
    expect(eventFields(ev({ Action: 'kill', attrs: { name: 'w', image: 'i', signal: '15' } })).signal).to.deep.equal({ int: 15 });
    const h = ev({ Action: 'health_status: unhealthy', attrs: { name: 'w', image: 'i' } });
    expect(eventFields(h).health_status).to.equal('unhealthy');
    expect(eventLine(h, engine, [])).to.include(',action=health_status,');
    expect(actionName('exec_start: sh -c "x"')).to.equal('exec_start');
  });

  it('labels in labelTags become tags; odd characters are escaped, newlines in tags become spaces', () => {
    const attrs = { name: 'web', image: 'app', 'com.docker.compose.project': 'my proj,a=b\nnext', other: 'x "q" 한국어 😀' };
    const l = eventLine(ev({ Action: 'start', attrs }), engine, ['com.docker.compose.project']);
    expect(l).to.include('com.docker.compose.project=my\\ proj\\,a\\=b\\ next,');
    expect(l).to.include('\\"other\\":\\"x \\\\\\"q\\\\\\" 한국어 😀\\"');
  });

  it('image events carry the image name and version as tags', () => {
    const l = eventLine(ev({ Type: 'image', Action: 'tag', Actor: { ID: 'sha256:ff', Attributes: { name: 'registry:5000/app:v2' } } }), engine, []);
    expect(l).to.match(/^docker_event,action=tag,engine_host=host-1,image_name=registry:5000\/app,image_version=v2,server_version=20\.10\.24,type=image /);
    expect(l).to.include('image="registry:5000/app:v2"');
  });

  it('the filter keeps the configured actions of container and image events only', () => {
    const f = eventFilter(['die', 'health_status', 'pull']);
    expect(f(ev({}))).to.equal(true);
    expect(f(ev({ Action: 'health_status: healthy' }))).to.equal(true);
    expect(f(ev({ Action: 'top' }))).to.equal(false);
    expect(f(ev({ Type: 'network', Action: 'die' }))).to.equal(false);
    expect(f(ev({ Type: 'image', Action: 'pull' }))).to.equal(true);
  });

  it('writes the exact ns time the stream kept, not the rounded JSON number', () => {
    const e = { ...ev({}), nano: 1715116176123456789n };
    expect(eventLine(e, engine, []).endsWith(' 1715116176123456789')).to.equal(true);
  });

  it('the key rebuilt from what InfluxDB holds equals the key of the replayed event', () => {
    const e = { ...ev({}), nano: 1715116176123456789n };
    const stored = eventNano(e);
    const rows = [
      { time: formatRfc3339Nano(stored), type: 'container', raw_action: 'die', actor_id: 'abc123' },
      { time: formatRfc3339Nano(stored - 5n), type: 'container', raw_action: 'start', actor_id: 'abc123' },
    ];
    const r = eventResumeFrom(rows)!;
    expect(r.since).to.equal(stored);
    expect(r.keys).to.deep.equal([eventKey(e)]);
    expect(keyAtResume(stored, 'container', 'die', 'abc123')).to.equal(eventKey(e));
  });
});

describe('ns times', () => {
  it('parses RFC 3339 with up to 9 fraction digits and offsets, and formats back', () => {
    expect(parseRfc3339Nano('2024-05-07T21:09:36.123456789Z')).to.equal(1715116176123456789n);
    expect(parseRfc3339Nano('2024-05-07T21:09:36.1Z')).to.equal(1715116176100000000n);
    expect(parseRfc3339Nano('2024-05-07T21:09:36Z')).to.equal(1715116176000000000n);
    expect(parseRfc3339Nano('2024-05-07T23:09:36.5+02:00')).to.equal(1715116176500000000n);
    expect(parseRfc3339Nano('yesterday')).to.equal(undefined);
    expect(formatRfc3339Nano(1715116176000000001n)).to.equal('2024-05-07T21:09:36.000000001Z');
  });

  it('reads the last log line per container and stream', () => {
    const r = logResumeFrom([
      { time: '2024-05-07T21:09:36.000000001Z', container_id: 'a', container_name: 'x', stream: 'stdout' },
      { time: '2024-05-07T21:09:37Z', container_id: 'a', container_name: 'x', stream: 'stderr' },
      { time: 'bad', container_id: 'b', stream: 'stdout' },
    ]);
    expect([...r.keys()]).to.deep.equal(['a']);
    expect(r.get('a')!.get('stdout')).to.equal(1715116176000000001n);
  });
});
