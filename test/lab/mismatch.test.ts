// Bad input from the LAN that is not damage but configuration (issue "Drop-in replacement", Bad
// input): two nodes whose VIP lists differ, and a foreign router on our VRID. keepalived logs one
// line per ignored advert, forever, naming neither side. vrrpd says it once per peer and cause,
// with both sides and the fix, and keeps quiet after that (a reminder at most every minute).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { renderKeepalivedConfig } from '../../lab/keepalived.js';
import { createLab, LAB_VIP, labAvailable, pairLabSpec, type Lab } from '../../lab/netns.js';
import { sleep, waitUntil } from '../../lab/process.js';
import { repoRoot, startVrrpd, type Vrrpd } from '../../lab/vrrpd.js';
import { parseIpv4, toPriority, toVrid, type Ipv4 } from '../../src/types.js';
import { encodeDatagram } from '../../src/vrrp/packet.js';
import { A_IP, B_IP, CLIENT_IP, unwrap } from '../helpers/lab.js';
import { describeUnless } from '../helpers/unmet.js';

const available = labAvailable();
const skipped = available.ok ? '' : ` (skipped: ${available.reason})`;
const EXTRA_VIP = '192.0.2.201';
/** How long both nodes run with mismatching configs: several adverts each way. */
const WATCH_MS = 6000;

const config = (node: 'a' | 'b'): string =>
  renderKeepalivedConfig({
    routerId: node,
    instances: [
      {
        state: node === 'a' ? 'MASTER' : 'BACKUP',
        vrid: 51,
        priority: node === 'a' ? 150 : 100,
        authPass: '1111',
        // B got a second VIP (a reload on one node only,
        // docs/reference/keepalived-behaviour.md#reload): each rejects the other.
        vips: node === 'a' ? [LAB_VIP] : [LAB_VIP, EXTRA_VIP],
      },
    ],
  });

/** A foreign cluster's advert on VRID 51, from the client, announcing VIPs that are not ours. */
function foreignAdvert(): Buffer {
  return encodeDatagram({
    vrid: toVrid(51)!,
    priority: toPriority(120)!,
    advertIntSec: 1,
    auth: { type: 'PASS', password: 'theirs' },
    addresses: [parseIpv4('192.0.2.77') as Ipv4],
    src: parseIpv4(CLIENT_IP) as Ipv4,
    dst: parseIpv4('224.0.0.18') as Ipv4,
    id: 9,
  });
}

describeUnless(!available.ok)(`peer mismatch and foreign routers: once per peer and cause, both sides named${skipped}`, () => {
  let lab: Lab;
  let a: Vrrpd;
  let b: Vrrpd;

  beforeAll(async () => {
    lab = await createLab(pairLabSpec());
    a = unwrap(await startVrrpd(lab, 'a', config('a')));
    b = unwrap(await startVrrpd(lab, 'b', config('b')));
    await sleep(WATCH_MS);
  }, 30_000);

  afterAll(async () => {
    await lab?.destroy();
  });

  it('each node reports the other once, naming both addresses, both VIP lists and the fix', () => {
    const onA = a.logLines().filter((l) => l.includes(`peer ${B_IP} advertises VIPs`));
    const onB = b.logLines().filter((l) => l.includes(`peer ${A_IP} advertises VIPs`));
    expect(onA).toHaveLength(1);
    expect(onB).toHaveLength(1);
    // keepalived's own words come first, so existing alerts on them keep firing.
    expect(onA[0]).toMatch(/^\(VI_1\) received an unexpected ip number count 2, expected 1! - /);
    expect(onA[0]).toContain(`VIPs ${LAB_VIP} ${EXTRA_VIP}, ours (${A_IP}) ${LAB_VIP}`);
    expect(onB[0]).toMatch(/^\(VI_1\) received an unexpected ip number count 1, expected 2! - /);
    expect(onB[0]).toContain(`ours (${B_IP}) ${LAB_VIP} ${EXTRA_VIP}`);
    for (const line of [...onA, ...onB]) expect(line).toMatch(/both nodes may be MASTER; make virtual_ipaddress the same on both nodes/);
  });

  it('and does not flood: no other drop line while the mismatch lasts (keepalived logs one per advert)', () => {
    for (const d of [a, b]) expect(d.logLines().filter((l) => /unexpected ip number count/.test(l))).toHaveLength(1);
    // Both went MASTER: the mismatch is real, not a quiet BACKUP.
    for (const d of [a, b]) expect(d.logLines().some((l) => /^\(VI_1\) Entering MASTER STATE/.test(l))).toBe(true);
  });

  it('SIGUSR1\'s data dump shows the peer problem under the instance (the status output until `vrrpd status`)', async () => {
    const file = join(a.dir, 'vrrpd.data');
    expect(a.signal('SIGUSR1')).toBe(true);
    expect(await waitUntil(() => existsSync(file) && readFileSync(file, 'utf8').includes('Peer problems'), { timeoutMs: 3000, intervalMs: 50 })).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(new RegExp(`Peer problems \\(1\\):\\n     ${B_IP.replace(/\./g, '\\.')} vipList: \\d+ adverts ignored, last \\d+ s ago, ongoing`));
  });

  it('a foreign router on VRID 51 is named as such once, however often it sends', async () => {
    const datagrams = Array.from({ length: 10 }, () => foreignAdvert().toString('hex'));
    const r = await lab.exec('client', [process.execPath, join(repoRoot(), 'dist', 'lab', 'inject.js'), 'eth0', ...datagrams], { timeoutMs: 5000 });
    expect(r.code, r.stderr).toBe(0);
    await sleep(500);
    for (const d of [a, b]) {
      const lines = d.logLines().filter((l) => l.includes(`VRID 51 is also used by ${CLIENT_IP}`));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('VIPs 192.0.2.77');
      expect(lines[0]).toContain('give one of the two clusters another virtual_router_id');
    }
  });
});
