/** Socket tables and the service map, on /proc/<pid>/net files recorded from real containers. */
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { SocketScan, scanTcp, scanUdp, ipKey, ipv6Key, parseSockstat, tablesToRead } from '../../collector/network/procnet.js';
import { addressIndex, serviceEdges, hostNode, type ScannedContainer } from '../../collector/network/servicemap.js';
import { netstatCounts, netstatLine, edgeLines } from '../../collector/network/lines.js';
import { SERVICE_NODE } from '../../common/schema.js';
import { FIXTURES } from '../helpers/paths.js';

const DIR = path.join(FIXTURES, 'netstat');
const file = (c: string, f: string) => readFileSync(path.join(DIR, c, f));

/** Parses a recorded folder the way the collector does, in chunks of `chunk` bytes with the partial last line carried over. */
function scanFolder(c: string, chunk = 1 << 20, scan = new SocketScan()): SocketScan {
  for (const f of ['tcp', 'tcp6', 'udp', 'udp6']) {
    const all = file(c, f);
    const buf = Buffer.alloc(chunk + 512);
    let have = 0;
    for (let pos = 0; pos < all.length; pos += chunk) {
      const n = all.copy(buf, have, pos, Math.min(all.length, pos + chunk));
      const end = have + n;
      const rest = f.startsWith('tcp') ? scanTcp(buf, 0, end, f === 'tcp6', scan) : scanUdp(buf, 0, end, scan);
      buf.copy(buf, 0, rest, end);
      have = end - rest;
    }
    expect(have, `${c}/${f} ends with a newline`).to.equal(0);
  }
  return scan;
}

const dotted = (k: number) => [k >>> 24, (k >>> 16) & 255, (k >>> 8) & 255, k & 255].join('.');
function established(s: SocketScan): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.established; i++) {
    const k = s.remoteKey(i);
    out.push(`${s.localPort[i]} ${typeof k === 'number' ? dotted(k) : k}:${s.remotePort[i]}`);
  }
  return out.sort();
}

describe('socket tables (/proc/<pid>/net/tcp, tcp6, udp, udp6)', () => {
  const cases = readdirSync(DIR).filter((d) => !d.includes('.'));
  for (const c of cases) {
    const want = JSON.parse(readFileSync(path.join(DIR, c, 'expected.json'), 'utf8'));
    it(`${c}: counts by state under Telegraf's names, listening ports, established peers`, () => {
      const s = scanFolder(c);
      expect(netstatCounts(s)).to.deep.equal(want.fields);
      expect([...s.listening].sort((a, b) => a - b)).to.deep.equal(want.listening);
      expect(established(s)).to.deep.equal([...want.established].sort());
    });
    it(`${c}: the same when read in 97-byte chunks (lines cut anywhere)`, () => {
      expect(netstatCounts(scanFolder(c, 97))).to.deep.equal(want.fields);
    });
  }

  it('a reused scan starts from zero after reset()', () => {
    const s = scanFolder('srv');
    s.reset();
    expect(netstatCounts(scanFolder('cli', 1 << 20, s))).to.deep.equal(JSON.parse(readFileSync(path.join(DIR, 'cli', 'expected.json'), 'utf8')).fields);
  });

  it('records at most maxEstablished connections and counts the rest as skipped', () => {
    const s = scanFolder('srv', 1 << 20, new SocketScan(2));
    expect(s.established).to.equal(2);
    expect(s.skipped).to.equal(3);
    expect(s.tcp[1]).to.equal(5);
  });

  it('a line it cannot read is counted under tcp_none, not thrown on', () => {
    const s = new SocketScan();
    const text = Buffer.from('  sl  local_address rem_address   st\n   0: 0100007F:1B58 00000000:0000 ZZ 0\n   1: short\n');
    scanTcp(text, 0, text.length, false, s);
    expect(s.tcp[0]).to.equal(1);
    expect(s.sockets).to.equal(1);
  });

  it('sockstat says which tables hold sockets (recorded beside netns/)', () => {
    const s = parseSockstat(file('netns', 'sockstat').toString(), file('netns', 'sockstat6').toString())!;
    expect(s).to.deep.equal({ tcp: 3, tw: 0, udp: 3, tcp6: 5, udp6: 2 });
    expect(tablesToRead(s)).to.deep.equal({ tcp: true, tcp6: true, udp: true, udp6: true });
    // An idle namespace: nothing to read. TIME_WAIT, counted for both families together, makes both tcp tables worth reading.
    expect(tablesToRead({ tcp: 0, tw: 0, udp: 0, tcp6: 0, udp6: 0 })).to.deep.equal({ tcp: false, tcp6: false, udp: false, udp6: false });
    expect(tablesToRead({ tcp: 0, tw: 2, udp: 0, tcp6: 1, udp6: 0 })).to.deep.equal({ tcp: true, tcp6: true, udp: false, udp6: false });
    expect(parseSockstat('sockets: used 1\n', '')).to.equal(undefined);
  });

  it('address keys: IPv4, IPv6 in any notation, IPv4-mapped IPv6 as IPv4', () => {
    expect(ipKey('10.104.255.3')).to.equal(0x0a68ff03);
    expect(ipKey('::ffff:10.104.255.3')).to.equal(0x0a68ff03);
    expect(ipv6Key('fd00::1')).to.equal('fd00:0000:0000:0000:0000:0000:0000:0001');
    expect(ipv6Key('FD00:0:0:0:0:0:0:1')).to.equal(ipv6Key('fd00::1'));
    expect(ipKey('not an address')).to.equal(undefined);
    expect(ipKey('1.2.3.256')).to.equal(undefined);
  });
});

describe('service map', () => {
  const srv = { name: 'srv', addresses: ['10.104.255.2'], gateways: ['10.104.255.1'], published: [9000] };
  const cli = { name: 'cli', addresses: ['10.104.255.3'], gateways: ['10.104.255.1'], published: [] };
  const opts = { maxPeers: 20, maxPorts: 3 };

  it('a connection between two containers is one edge from the client, with the server port', () => {
    const idx = addressIndex([srv, cli], [], 'h1');
    const edges = serviceEdges([{ name: 'srv', scan: scanFolder('srv') }, { name: 'cli', scan: scanFolder('cli') }], idx, opts);
    expect(edges).to.deep.equal([{ source: 'cli', target: 'srv', connections: 5, ports: '9000' }]);
  });

  it('when the client is not a container read this cycle, the server side reports it', () => {
    // cli's address unknown: its connections come from outside.
    const edges = serviceEdges([{ name: 'srv', scan: scanFolder('srv') }], addressIndex([srv], [], 'h1'), opts);
    expect(edges).to.deep.equal([{ source: SERVICE_NODE.outside, target: 'srv', connections: 5, ports: '9000' }]);
    // cli known but not read (stopped between list and read): still counted once, as from cli.
    const again = serviceEdges([{ name: 'srv', scan: scanFolder('srv') }], addressIndex([srv, cli], [], 'h1'), opts);
    expect(again).to.deep.equal([{ source: 'cli', target: 'srv', connections: 5, ports: '9000' }]);
  });

  it('an unknown address on a Docker network is a container not listed yet: left for the next pass, not drawn as outside', () => {
    const idx = addressIndex([{ ...srv, subnets: ['10.104.255.2/24'] }], [], 'h1');
    expect(serviceEdges([{ name: 'srv', scan: scanFolder('srv') }], idx, opts)).to.deep.equal([]);
  });

  it('the host: a gateway address, and a port published on it maps to its container', () => {
    // Seen from cli, the server as the host's address: the published port names the container.
    const viaHost = addressIndex([{ ...srv, addresses: [] }, cli], ['10.104.255.2'], 'h1');
    expect(serviceEdges([{ name: 'cli', scan: scanFolder('cli') }], viaHost, opts)).to.deep.equal([{ source: 'cli', target: 'srv', connections: 5, ports: '9000' }]);
    const unpublished = addressIndex([{ ...srv, addresses: [], published: [] }, cli], ['10.104.255.2'], 'h1');
    expect(serviceEdges([{ name: 'cli', scan: scanFolder('cli') }], unpublished, opts)).to.deep.equal([{ source: 'cli', target: hostNode('h1'), connections: 5, ports: '9000' }]);
  });

  it('IPv6 peers resolve like IPv4 ones; loopback connections are left out', () => {
    const lab: ScannedContainer = { name: 'lab', scan: scanFolder('netns') };
    const idx = addressIndex([{ name: 'lab', addresses: ['fd00::1'], gateways: [], published: [] }], [], 'h1');
    // Both ends are the container itself: nothing to draw.
    expect(serviceEdges([lab], idx, opts)).to.deep.equal([]);
    const other = addressIndex([{ name: 'peer6', addresses: ['fd00::1'], gateways: [], published: [] }], [], 'h1');
    // One outbound connection to peer6:7001; the inbound one, from peer6 which is not read, counts too.
    expect(serviceEdges([lab], other, opts)).to.deep.equal([
      { source: 'lab', target: 'peer6', connections: 1, ports: '7001' },
      { source: 'peer6', target: 'lab', connections: 1, ports: '7001' },
    ]);
  });

  it('peers beyond maxPeers fold into "(others)", busiest kept', () => {
    const s = new SocketScan();
    // 5 peers with 5, 4, 3, 2, 1 connections to port 80
    let port = 40000;
    for (let p = 0; p < 5; p++) for (let n = 0; n < 5 - p; n++) s.addEstablished(port++, 80, 0x0a000010 + p);
    const idx = addressIndex(
      [0, 1, 2, 3, 4].map((p) => ({ name: `p${p}`, addresses: [`10.0.0.${16 + p}`], gateways: [], published: [] })), [], 'h1',
    );
    const edges = serviceEdges([{ name: 'c', scan: s }], idx, { maxPeers: 2, maxPorts: 3 });
    expect(edges.map((e) => [e.target, e.connections])).to.deep.equal([[SERVICE_NODE.others, 6], ['p0', 5], ['p1', 4]]);
  });

  it('lines: netstat with the container key; one edge line per pair with its identity tag', () => {
    const s = scanFolder('srv');
    expect(netstatLine('docker_container_netstat,container_name=srv', s, false, 1000)).to.equal(
      'docker_container_netstat,container_name=srv tcp_none=0i,tcp_established=5i,tcp_syn_sent=0i,tcp_syn_recv=0i,tcp_fin_wait1=0i,' +
        'tcp_fin_wait2=0i,tcp_time_wait=0i,tcp_close=0i,tcp_close_wait=3i,tcp_last_ack=0i,tcp_listen=2i,tcp_closing=0i,udp_socket=0i 1000000000',
    );
    expect(netstatLine('m', s, true, 1000)).to.contain(',incomplete=true ');
    const out: string[] = [];
    edgeLines('h1', [{ source: 'cli', target: 'srv', connections: 5, ports: '9000' }, { source: '(outside)', target: 'srv', connections: 1, ports: '' }], 1000, out);
    expect(out).to.deep.equal([
      'docker_service_edge,edge=cli->srv,engine_host=h1,source=cli,target=srv connections=5i,ports="9000" 1000000000',
      'docker_service_edge,edge=(outside)->srv,engine_host=h1,source=(outside),target=srv connections=1i 1000000000',
    ]);
  });
});

describe('service map JSON (GET /api/service-map)', () => {
  it('qualifies container nodes by host, keeps one outside node, sums connections per node', async () => {
    const { assembleServiceMap } = await import('../../alerter/servicemap.js');
    const map = assembleServiceMap([
      { host: 'host1', source: 'api', target: 'db', connections: 12, ports: '5432' },
      { host: 'host1', source: '(outside)', target: 'api', connections: 3, ports: '8080' },
      { host: 'host2', source: 'api', target: '(outside)', connections: 1, ports: '443,80' },
      { host: 'host2', source: 'host:host2', target: 'api', connections: 2, ports: '' },
    ]);
    expect(map.hosts).to.deep.equal(['host1', 'host2']);
    expect(map.nodes.map((n) => [n.id, n.kind, n.connectionsIn, n.connectionsOut])).to.deep.equal([
      ['(outside)', 'outside', 1, 3], ['host1/api', 'container', 3, 12], ['host1/db', 'container', 12, 0], ['host2/api', 'container', 2, 1],
      ['host:host2', 'host', 0, 2],
    ]);
    expect(map.edges.find((e) => e.source === 'host1/api')).to.deep.equal(
      { id: 'host1/api->host1/db', host: 'host1', source: 'host1/api', target: 'host1/db', connections: 12, ports: [5432] },
    );
    expect(map.edges.find((e) => e.source === 'host2/api')!.ports).to.deep.equal([443, 80]);
  });
});
