// Unicast and multicast addressing in the instance shell, without sockets: what one advert becomes
// on the wire (one copy per peer, same IP id, unicast_ttl, our configured source; or the instance's
// multicast group), which receive checks the instance asks for, which instance of a shared VRID an
// advert is for, and the source-address rule `vrrpd -t` and the start-up share.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { checkSourceAddresses, primaryAddress, sourceAddressProblem } from '../../src/host/source-address.js';
import { formatDiagnostic, type InstanceConfig } from '../../src/config/config.js';
import { parseConfigText } from '../../src/config/load.js';
import type { Ipv4 } from '../../src/types.js';
import { chooseInstance, type DemuxKey } from '../../src/vrrp/demux.js';
import { Instance, type InstancePorts } from '../../src/instance/instance.js';
import { AdvertSender } from '../../src/instance/advert-sender.js';
import { createStats } from '../../src/instance/stats.js';
import { timeoutScheduler } from '../../src/timers/clock.js';
import { decodeDatagram } from '../../src/vrrp/packet.js';

const lines = (...ls: string[]): string => `${ls.join('\n')}\n`;

function config(...body: string[]): InstanceConfig {
  const text = lines(
    'vrrp_instance VI_1 {', 'interface eth0', 'virtual_router_id 51', 'priority 150',
    'authentication {', 'auth_type PASS', 'auth_pass 1111', '}', 'virtual_ipaddress {', '192.0.2.200', '}', ...body, '}',
  );
  const loaded = parseConfigText(text, 'u.conf');
  expect(loaded.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
  const first = loaded.config?.instances[0];
  if (first === undefined) throw new Error('no instance');
  return first;
}

interface Sent {
  readonly dst: string;
  readonly bytes: Buffer;
}

function harness(c: InstanceConfig, ownAddress = '192.0.2.11', failTo: readonly string[] = []) {
  const sent: Sent[] = [];
  const logged: string[] = [];
  const log = pino({ level: 'debug' }, { write: (m: string) => void logged.push((JSON.parse(m) as { msg: string }).msg) });
  const ports: InstancePorts = {
    timers: timeoutScheduler(),
    sendDatagram: (bytes, dst) => {
      if (failTo.includes(dst)) return { ok: false, error: 'Network is unreachable' };
      // A copy: the instance reuses its datagram for the next advert.
      sent.push({ dst, bytes: Buffer.from(bytes) });
      return { ok: true, value: bytes.length };
    },
    addAddress: async () => ({ ok: true, value: undefined }),
    delAddress: async () => ({ ok: true, value: undefined }),
    sendFrames: () => ({ ok: true, value: 0 }),
    now: () => 0,
    log,
  };
  const instance = new Instance(c, { ifname: 'eth0', ifindex: 2, ownAddress: ownAddress as Ipv4, vips: [] }, ports, 0);
  // The instance's advert sender, as the core's sendAdvert runs it.
  const counters = createStats();
  const sender = new AdvertSender(
    { ports, counters, say: (level, message) => log[level](message), resumeAt: () => undefined },
    { config: c, ownAddress: ownAddress as Ipv4, peers: instance.unicastPeers },
  );
  const advert = async (priority: number): Promise<void> => {
    sender.send(priority);
    await instance.idle();
  };
  return { instance, sent, logged, advert, counters };
}

const header = (b: Buffer) => ({
  ttl: b[8],
  id: b.readUInt16BE(4),
  src: [...b.subarray(12, 16)].join('.'),
  dst: [...b.subarray(16, 20)].join('.'),
});

describe('sending: one advert, fanned out', () => {
  it('unicast: one copy per peer, to the peer, with unicast_ttl, from unicast_src_ip, one IP id per advert', async () => {
    const c = config('unicast_src_ip 192.0.2.21', 'unicast_ttl 64', 'unicast_peer {', '192.0.2.12', '192.0.2.13', '}');
    const { sent, advert, counters } = harness(c, '192.0.2.21');
    await advert(150);
    await advert(150);
    expect(sent.map((s) => ({ to: s.dst, ...header(s.bytes) }))).toEqual([
      { to: '192.0.2.12', ttl: 64, id: 1, src: '192.0.2.21', dst: '192.0.2.12' },
      { to: '192.0.2.13', ttl: 64, id: 1, src: '192.0.2.21', dst: '192.0.2.13' },
      { to: '192.0.2.12', ttl: 64, id: 2, src: '192.0.2.21', dst: '192.0.2.12' },
      { to: '192.0.2.13', ttl: 64, id: 2, src: '192.0.2.21', dst: '192.0.2.13' },
    ]);
    // The VRRP part is the same for every peer (VRRPv2's checksum has no pseudo-header).
    expect(new Set(sent.slice(0, 2).map((s) => s.bytes.subarray(20).toString('hex'))).size).toBe(1);
    // keepalived counts an advert once, however many peers it went to.
    expect(counters.advertSent).toBe(2);
  });

  it('unicast: a peer that cannot be reached is logged with keepalived\'s words; the others still get theirs', async () => {
    const c = config('unicast_peer {', '192.0.2.12', '192.0.2.13', '}');
    const { sent, advert, logged, counters } = harness(c, '192.0.2.11', ['192.0.2.12']);
    await advert(150);
    expect(sent.map((s) => s.dst)).toEqual(['192.0.2.13']);
    expect(logged).toContain('(VI_1) Cant send advert to 192.0.2.12 (Network is unreachable)');
    expect(counters.advertSent).toBe(1);
  });

  it('multicast: one copy to mcast_dst_ip, TTL 255, from mcast_src_ip; 224.0.0.18 by default', async () => {
    const own = harness(config('mcast_dst_ip 224.0.0.19', 'mcast_src_ip 192.0.2.21'), '192.0.2.21');
    await own.advert(0);
    expect(own.sent.map((s) => ({ to: s.dst, ...header(s.bytes) }))).toEqual([{ to: '224.0.0.19', ttl: 255, id: 1, src: '192.0.2.21', dst: '224.0.0.19' }]);
    const plain = harness(config());
    await plain.advert(150);
    expect(plain.sent.map((s) => header(s.bytes))).toEqual([{ ttl: 255, id: 1, src: '192.0.2.11', dst: '224.0.0.18' }]);
  });

  it('what one node sends, its unicast peer accepts (and a multicast instance would not)', async () => {
    const a = harness(config('unicast_ttl 250', 'unicast_peer {', '192.0.2.12 min_ttl 250', '}'));
    await a.advert(150);
    const b = harness(config('unicast_peer {', '192.0.2.11 min_ttl 250', '}'), '192.0.2.12').instance;
    const bytes = a.sent[0]?.bytes ?? Buffer.alloc(0);
    const decoded = decodeDatagram(bytes, '192.0.2.11' as Ipv4, () => b.expectation('192.0.2.11' as Ipv4));
    expect(decoded.ok && decoded.advert).toMatchObject({ priority: 150, src: '192.0.2.11', dst: '192.0.2.12', ttl: 250 });
    const m = harness(config()).instance;
    const refused = decodeDatagram(bytes, '192.0.2.11' as Ipv4, () => m.expectation('192.0.2.11' as Ipv4));
    // keepalived's order: a multicast instance checks TTL 255 before the destination.
    expect(!refused.ok && refused.drop.reason).toBe('badTtl');
  });
});

describe('receiving: the checks an instance asks for', () => {
  it('multicast: TTL 255 and its group', () => {
    const e = harness(config('mcast_dst_ip 224.0.0.19')).instance.expectation('192.0.2.12' as Ipv4);
    expect(e).toMatchObject({ multicast: true, group: '224.0.0.19' });
    expect(e.peers).toBeUndefined();
  });

  it('unicast: our source as destination; peers only with check_unicast_src (keyword, global, or a min_ttl/max_ttl)', () => {
    const open = harness(config('unicast_peer {', '192.0.2.12', '}')).instance.expectation('192.0.2.12' as Ipv4);
    expect(open).toMatchObject({ multicast: false, localAddress: '192.0.2.11' });
    expect(open.peers).toBeUndefined();
    const checked = harness(config('check_unicast_src', 'unicast_peer {', '192.0.2.12', '}')).instance.expectation('192.0.2.12' as Ipv4);
    expect(checked.peers).toEqual([{ address: '192.0.2.12', minTtl: 0, maxTtl: 255 }]);
    const ranged = harness(config('unicast_peer {', '192.0.2.12 max_ttl 254', '}')).instance.expectation('192.0.2.12' as Ipv4);
    expect(ranged.peers).toEqual([{ address: '192.0.2.12', minTtl: 0, maxTtl: 254 }]);
  });
});

describe('demultiplexing one VRID among instances on one interface', () => {
  const key = (k: DemuxKey): DemuxKey => k;
  const ip = (s: string): Ipv4 => s as Ipv4;
  const mcast18: DemuxKey = { peers: [], group: ip('224.0.0.18'), localAddress: ip('192.0.2.11') };
  const mcast19: DemuxKey = { peers: [], group: ip('224.0.0.19'), localAddress: ip('192.0.2.11') };
  const toB: DemuxKey = { peers: [ip('192.0.2.12')], group: ip('224.0.0.18'), localAddress: ip('192.0.2.11') };
  const toC: DemuxKey = { peers: [ip('192.0.2.13')], group: ip('224.0.0.18'), localAddress: ip('192.0.2.21') };
  const all = [mcast18, mcast19, toB, toC];

  it('multicast adverts go to the instance of that group; unicast ones to the instance listing the sender', () => {
    expect(chooseInstance(all, key, ip('192.0.2.12'), ip('224.0.0.19'))).toBe(mcast19);
    expect(chooseInstance(all, key, ip('192.0.2.12'), ip('224.0.0.18'))).toBe(mcast18);
    expect(chooseInstance(all, key, ip('192.0.2.13'), ip('192.0.2.21'))).toBe(toC);
    expect(chooseInstance(all, key, ip('192.0.2.12'), ip('192.0.2.11'))).toBe(toB);
  });

  it('a stranger goes to the unicast instance it was sent to, else the first of that mode, so its checks name the drop', () => {
    expect(chooseInstance(all, key, ip('192.0.2.99'), ip('192.0.2.21'))).toBe(toC);
    expect(chooseInstance(all, key, ip('192.0.2.99'), ip('192.0.2.50'))).toBe(toB);
    expect(chooseInstance([toB], key, ip('192.0.2.99'), ip('224.0.0.18'))).toBe(toB);
    expect(chooseInstance([mcast18, toB], key, ip('192.0.2.12'), ip('224.0.0.77'))).toBe(mcast18);
    expect(chooseInstance([], key, ip('192.0.2.12'), ip('224.0.0.18'))).toBeUndefined();
  });
});

describe('the source address must be on the interface (vrrpd -t and start-up)', () => {
  it('unicast_src_ip / mcast_src_ip not among the interface\'s addresses is an error; none configured is fine', () => {
    const uni = config('unicast_src_ip 192.0.2.21', 'unicast_peer {', '192.0.2.12', '}');
    expect(sourceAddressProblem(uni, ['192.0.2.11'])).toBe('(VI_1) unicast_src_ip 192.0.2.21 is not an address of eth0 (it has 192.0.2.11)');
    expect(sourceAddressProblem(uni, ['192.0.2.11', '192.0.2.21'])).toBeUndefined();
    const multi = config('mcast_src_ip 192.0.2.21');
    expect(sourceAddressProblem(multi, [])).toBe('(VI_1) mcast_src_ip 192.0.2.21 is not an address of eth0 (it has no IPv4 address)');
    expect(sourceAddressProblem(config(), [])).toBeUndefined();
  });

  it('as -t diagnostics: one error per instance, none for an interface that is missing (reported on its own)', () => {
    const text = lines(
      'vrrp_instance VI_1 {', 'interface eth0', 'virtual_router_id 51', 'mcast_src_ip 192.0.2.21', 'virtual_ipaddress {', '192.0.2.200', '}', '}',
      'vrrp_instance VI_2 {', 'interface eth9', 'virtual_router_id 52', 'mcast_src_ip 192.0.2.21', 'virtual_ipaddress {', '192.0.2.201', '}', '}',
    );
    const loaded = parseConfigText(text, 'u.conf');
    if (!loaded.config) throw new Error('no config');
    const out = checkSourceAddresses(loaded.config, (ifname) => (ifname === 'eth0' ? ['192.0.2.11'] : undefined));
    expect(out.map(formatDiagnostic)).toEqual(['u.conf:1: (VI_1) mcast_src_ip 192.0.2.21 is not an address of eth0 (it has 192.0.2.11)']);
  });

  it('none configured: the interface\'s first primary address that is not a VIP (RFC 3768 §5.2.1), else its first primary', () => {
    const ip = (address: string, secondary = false) => ({ address: address as Ipv4, secondary });
    const vips = new Set(['192.0.2.200' as Ipv4]);
    // A VIP a crash left behind is listed first (a /32 is never secondary): passed over.
    expect(primaryAddress([ip('192.0.2.200'), ip('192.0.2.11')], vips)).toBe('192.0.2.11');
    expect(primaryAddress([ip('192.0.2.12', true), ip('192.0.2.11')], vips)).toBe('192.0.2.11');
    // An address owner's VIP is its real address: nothing else to pick.
    expect(primaryAddress([ip('192.0.2.200'), ip('192.0.2.201', true)], vips)).toBe('192.0.2.200');
    expect(primaryAddress([ip('192.0.2.11', true)], vips)).toBeUndefined();
    expect(primaryAddress([], vips)).toBeUndefined();
  });
});
