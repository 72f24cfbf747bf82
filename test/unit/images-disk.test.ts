import { expect } from 'chai';
import { imageRows, ImageCatalog } from '../../collector/images/lines.js';
import { diskLines, shortImageId } from '../../collector/disk/lines.js';

const engine = { host: 'h', serverVersion: 'v' };

describe('image rows', () => {
  const images = [
    { Id: 'sha256:0d18bb5ea3e3aaaa', RepoTags: ['shipwatch/busybox:test', 'other/name:second'], RepoDigests: [], Created: 1715000000, Size: 1984000, Labels: { b: '2', a: 'x "y" 한국어' } },
    { Id: 'sha256:1111222233334444', RepoTags: ['<none>:<none>'], RepoDigests: ['<none>@<none>'], Created: 1715000001, Size: 10, Labels: null },
    { Id: 'sha256:5555666677778888', RepoTags: null, Created: 1715000002, Size: 20 },
  ];
  const rows = imageRows(images, (id) => (id.startsWith('sha256:0d') ? { architecture: 'amd64', os: 'linux' } : undefined), (id) => (id.startsWith('sha256:0d') ? 2 : 0), engine);

  it('one row per repository:tag, one <none> row per image without tags', () => {
    expect(rows.map((r) => r.key)).to.deep.equal([
      'docker_image,engine_host=h,image_id=0d18bb5ea3e3,image_name=shipwatch/busybox,image_version=test,server_version=v',
      'docker_image,engine_host=h,image_id=0d18bb5ea3e3,image_name=other/name,image_version=second,server_version=v',
      'docker_image,engine_host=h,image_id=111122223333,image_name=<none>,image_version=<none>,server_version=v',
      'docker_image,engine_host=h,image_id=555566667777,image_name=<none>,image_version=<none>,server_version=v',
    ]);
    expect(rows[0].fields).to.deep.include({ id: 'sha256:0d18bb5ea3e3aaaa', repo_tags: 'shipwatch/busybox:test, other/name:second', architecture: 'amd64', os: 'linux', dangling: false, containers: { int: 2 } });
    expect(rows[0].fields.labels).to.equal('{"a":"x \\"y\\" 한국어","b":"2"}');
    expect(rows[2].fields).to.deep.include({ dangling: true, repo_tags: '', repo_digests: '' });
  });

  it('a row gone since the last refresh gets one removed=true point', () => {
    const cat = new ImageCatalog();
    const out: string[] = [];
    cat.lines(rows, 1000, out);
    out.length = 0;
    const r = cat.lines(rows.slice(0, 2), 2000, out);
    expect(r.removed).to.equal(2);
    expect(out.filter((l) => l.includes('removed=true'))).to.have.length(2);
  });
});

describe('disk usage lines', () => {
  it('Telegraf docker_disk_usage shape plus mounts with volume sizes', () => {
    const out: string[] = [];
    diskLines({
      LayersSize: 123,
      Containers: [{ Id: 'cid', Names: ['/web'], Image: 'app:1', Labels: {}, State: 'running', SizeRw: 10, SizeRootFs: 2000,
        Mounts: [
          { Type: 'volume', Name: 'data', Source: '/var/lib/docker/volumes/data/_data', Destination: '/my data, "x"=y', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
          { Type: 'bind', Source: '/etc/hosts', Destination: '/etc/hosts2', Mode: 'ro', RW: false, Propagation: 'rprivate' },
        ] }],
      Images: [{ Id: 'sha256:abcdefabcdef1234', RepoTags: ['<none>:<none>'], Size: 5, SharedSize: -1 }],
      Volumes: [{ Name: 'data', UsageData: { Size: 4096, RefCount: 1 } }, { Name: 'unknown', UsageData: { Size: -1, RefCount: -1 } }],
    }, engine, { labelTags: [] }, 1000, out);
    const lines = out.filter(Boolean);
    expect(lines).to.include('docker_disk_usage,engine_host=h,server_version=v layers_size=123i 1000000000');
    expect(lines).to.include('docker_disk_usage,engine_host=h,server_version=v,volume_name=data size=4096i 1000000000');
    expect(lines).to.include('docker_disk_usage,container_image=app,container_name=web,container_version=1,engine_host=h,server_version=v size_rw=10i,size_root_fs=2000i,container_id="cid" 1000000000');
    expect(lines).to.include('docker_disk_usage,engine_host=h,image_id=abcdefabcdef,image_name=<none>,image_version=<none>,server_version=v size=5i 1000000000');
    const vol = lines.find((l) => l.startsWith('docker_container_mount') && l.includes('volume'))!;
    expect(vol).to.include('destination=/my\\ data\\,\\ "x"\\=y').and.include('size=4096i').and.include('rw=true');
    expect(lines.find((l) => l.includes('destination=/etc/hosts2'))).to.include('rw=false').and.include('propagation="rprivate"');
    expect(shortImageId('sha256:0123456789abcdef')).to.equal('0123456789ab');
  });
});

describe('filesystem usage for exhaustion prediction', () => {
  it('is the writable layer, limited by what Docker\'s filesystem has left', async () => {
    const { containerFsUsage } = await import('../../collector/disk/fsusage.js');
    const { containerSample } = await import('../../collector/queue-feed.js');
    const df = { Containers: [{ Id: 'a', SizeRw: 100 }, { Id: 'b', SizeRw: -1 }, { Id: 'c' }] };
    const known = containerFsUsage(df, 1000);
    expect([...known.entries()]).to.deep.equal([['a', { usage: 100, limit: 1100 }]]);
    expect(containerFsUsage(df, undefined).get('a')).to.deep.equal({ usage: 100, limit: null });
    const meta = {
      id: 'a', name: 'n', image: 'i', imageId: 'x', state: 'running', created: 0, labels: {}, ips: [], networks: [], ports: '',
      command: '', networkMode: '', pid: 1, exitCode: 0, oomKilled: false, restartCount: 0, startedAt: 1, finishedAt: 0,
      hasHealthcheck: false, tty: false,
    };
    expect(containerSample(meta, undefined, undefined, [], { fs: known.get('a') }).fs).to.deep.equal({ usage: 100, limit: 1100 });
    expect(containerSample(meta, undefined, undefined, []).fs).to.equal(undefined);
  });
});
