// Issue 8: vrrp_strict as keepalived 2.2.7 does it, measured side by side in network namespaces.
// The seed's two configs (etc/node-a.conf, etc/node-b.conf) with the `vrrp_strict` line the seed
// had. Under strict mode both daemons ignore PASS authentication (auth type 0 on the wire), start
// `state MASTER` below 255 as BACKUP, and drop all IP traffic to and from the VIP on the master
// (no_accept, RFC 3768 §6.4.3): the client's ARP entry follows the master, pings go unanswered -
// also with `accept` added, which strict mode resets. Without vrrp_strict, ping and HTTP to nginx
// on the VIP work. A strict and a non-strict node reject each other, and each vrrpd says which
// side is strict. A rule table a crash leaves is removed by the next start.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { advertsFrom, startCapture } from '../../lab/capture.js';
import { startKeepalived, type Keepalived } from '../../lab/keepalived.js';
import { httpGetArgv, startNginx } from '../../lab/nginx.js';
import { createLab, LAB_VIP, labAvailable, pairLabSpec, type Lab } from '../../lab/netns.js';
import { sleep, waitUntil } from '../../lab/process.js';
import { repoRoot, startVrrpd, vrrpdCli, type Vrrpd } from '../../lab/vrrpd.js';
import { describeUnless } from '../helpers/unmet.js';

const available = labAvailable();
const nft = existsSync('/usr/sbin/nft') || existsSync('/sbin/nft');
const skipped = !available.ok ? ` (skipped: ${available.reason})` : nft ? '' : ' (skipped: nft is not installed: scripts/setup.sh installs nftables)';
const A_IP = '192.0.2.11';
const B_IP = '192.0.2.12';
const A_MAC = '02:00:c0:00:02:0b';
const B_MAC = '02:00:c0:00:02:0c';

function unwrap<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** The seed's config of a node, as it is: with the `vrrp_strict` line of keepalived's sample. */
function seed(node: 'a' | 'b', opts: { strict?: boolean; accept?: boolean } = {}): string {
  let text = readFileSync(join(repoRoot(), 'etc', `node-${node}.conf`), 'utf8');
  if (opts.strict ?? true) text = text.replace('   vrrp_skip_check_adv_addr\n', '   vrrp_skip_check_adv_addr\n   vrrp_strict\n');
  if (opts.accept === true) text = text.replace('    advert_int 1\n', '    advert_int 1\n    accept\n');
  return text;
}

describeUnless(!available.ok || !nft)(`vrrp_strict, as keepalived 2.2.7 does it${skipped}`, () => {
  let lab: Lab;
  const vipMac = async (): Promise<string | undefined> => (await lab.neigh('client', LAB_VIP))?.mac;
  const pingVip = async (): Promise<number> => (await lab.ping('client', LAB_VIP, { count: 3, intervalMs: 200, timeoutMs: 2500 })).received;
  const tables = async (host: string): Promise<string> => (await lab.exec(host, ['nft', 'list', 'tables'])).stdout;
  const table = async (host: string, name: string): Promise<string> => (await lab.exec(host, ['nft', 'list', 'table', 'ip', name])).stdout;
  /** Every daemon a test starts, stopped at its end whatever happened. */
  let running: (Vrrpd | Keepalived)[] = [];
  const vrrpd = async (host: 'a' | 'b', text: string): Promise<Vrrpd> => {
    const d = unwrap(await startVrrpd(lab, host, text));
    running.push(d);
    return d;
  };
  const keepalived = async (host: 'a' | 'b', text: string): Promise<Keepalived> => {
    const d = unwrap(await startKeepalived(lab, host, text, { extraArgs: ['-D'] }));
    running.push(d);
    return d;
  };
  const stopAll = async (): Promise<void> => {
    for (const d of running) await d.stop();
    running = [];
  };

  beforeAll(async () => {
    lab = await createLab(pairLabSpec());
  }, 20_000);

  afterAll(async () => {
    await stopAll().catch(() => undefined);
    await lab?.destroy();
  });

  it('vrrpd -t names the VIP, the instance and the fix once, with keepalived\'s strict-mode messages', async () => {
    const path = join(tmpdir(), `${lab.id}-strict-a.conf`);
    writeFileSync(path, seed('a'));
    lab.onDestroy(
      () => rmSync(path, { force: true }),
      () => rmSync(path, { force: true }),
    );
    const r = await lab.exec('a', [process.execPath, vrrpdCli(), '-t', '-f', path], { timeoutMs: 10_000 });
    const out = r.stderr.split('\n');
    // keepalived -t exits 5 on the same file: both corrections below are config errors there.
    expect(r.code).toBe(5);
    expect(out.filter((l) => l.includes('(VI_1) State MASTER must match being address owner'))).toHaveLength(1);
    expect(out.filter((l) => l.includes('(VI_1) Strict mode does not support authentication. Ignoring.'))).toHaveLength(1);
    const warning = out.filter((l) => l.includes('accept no traffic'));
    expect(warning).toHaveLength(1);
    expect(warning[0]).toContain(`the VIPs ${LAB_VIP} of VI_1 accept no traffic`);
    expect(warning[0]).toContain('a service behind them (nginx) is unreachable');
    expect(warning[0]).toContain("remove vrrp_strict (or add 'strict_mode off' to VI_1) - 'accept' is not allowed with VRRPv2 under strict mode");
  }, 15_000);

  it('vrrpd pair: one master, the client\'s ARP follows it, pings to the VIP go unanswered (firewall as keepalived\'s)', async () => {
    try {
      const a = await vrrpd('a', seed('a'));
      const b = await vrrpd('b', seed('b'));
      // At start-up, the warning once, and keepalived's lines.
      expect(a.logLines().filter((l) => l.includes('accept no traffic'))).toHaveLength(1);
      // keepalived 2.2.7's start-up lines, in its order.
      const startup = a.logLines().filter((l) => /^use_vmac|^\(VI_1\) removing|^Startup complete/.test(l));
      expect(startup.slice(0, 4)).toEqual([
        'use_vmac or no_accept/strict specified, but no firewall configured - using nftables',
        '(VI_1) removing VIPs.',
        '(VI_1) removing firewall drop rule',
        'Startup complete',
      ]);
      // state MASTER at 150 starts as BACKUP, as a strict keepalived does; PASS is dropped.
      expect(a.logLines().filter((l) => l.includes('(VI_1) State MASTER must match being address owner'))).toHaveLength(1);
      expect(a.logLines().filter((l) => l.includes('(VI_1) Strict mode does not support authentication. Ignoring.'))).toHaveLength(1);
      unwrap(await a.waitForLog(/^\(VI_1\) Entering BACKUP STATE \(init\)$/, { timeoutMs: 2000 }));
      unwrap(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 8000 }));
      await sleep(1500);
      expect(b.logLines().some((l) => /Entering MASTER STATE/.test(l))).toBe(false);
      // PASS is ignored on both: auth 0 both ways, no drop.
      for (const d of [a, b]) expect(d.logLines().filter((l) => /auth, expecting|invalid passwd/.test(l))).toEqual([]);
      const setting = a.logLines().indexOf('(VI_1) setting firewall drop rule');
      expect(setting).toBeGreaterThan(-1);
      expect(a.logLines().indexOf('(VI_1) setting VIPs.')).toBeGreaterThan(setting);
      const at = (msg: string): number => a.records().find((r) => r.msg === msg)?.time ?? NaN;
      console.info(`drop rule (nft table created) before the VIP: ${at('(VI_1) setting VIPs.') - at('(VI_1) setting firewall drop rule')} ms`);
      expect(await lab.hasAddress('a', LAB_VIP)).toBe(true);
      expect(await pingVip()).toBe(0);
      expect(await vipMac()).toBe(A_MAC);
      const rules = await table('a', 'vrrpd');
      expect(rules).toMatch(/set vips \{\s+type ipv4_addr\s+elements = \{ 192\.0\.2\.200 \}/);
      expect(rules).toMatch(/chain out \{\s+type filter hook output priority filter - 1; policy accept;\s+ip saddr @vips drop/);
      expect(rules).toMatch(/chain in \{\s+type filter hook input priority filter - 1; policy accept;\s+ip daddr @vips drop/);
      expect(await tables('b')).not.toContain('vrrpd');

      // A stops: B takes over, the client follows, still no answer; A's table is gone with it.
      const since = b.logMark();
      expect((await a.stop()).code).toBe(0);
      running = running.filter((d) => d !== a);
      expect(a.logLines().slice(-8)).toContain('(VI_1) removing firewall drop rule');
      expect(await tables('a')).not.toContain('vrrpd');
      unwrap(await b.waitForState('VI_1', 'MASTER', { timeoutMs: 5000, since }));
      await sleep(300);
      expect(await vipMac()).toBe(B_MAC);
      expect(await pingVip()).toBe(0);
      expect(await table('b', 'vrrpd')).toContain('elements = { 192.0.2.200 }');
    } finally {
      await stopAll();
    }
    expect(await tables('b')).not.toContain('vrrpd');
  }, 40_000);

  it('mixed with keepalived (strict on both): one master either way, pings unanswered, no drops', async () => {
    const capture = unwrap(await startCapture(lab, 'client'));
    try {
      const ka = await keepalived('a', seed('a'));
      const b = await vrrpd('b', seed('b'));
      unwrap(await ka.waitForState('VI_1', 'MASTER', { timeoutMs: 8000 }));
      await sleep(1500);
      expect(b.logLines().some((l) => /Entering MASTER STATE/.test(l))).toBe(false);
      expect(await vipMac()).toBe(A_MAC);
      expect(await pingVip()).toBe(0);
      expect(await table('a', 'keepalived')).toContain('elements = { 192.0.2.200 }');
      // keepalived stops (priority 0): vrrpd takes over, its own table drops the traffic.
      const since = b.logMark();
      await ka.stop();
      running = running.filter((d) => d !== ka);
      unwrap(await b.waitForState('VI_1', 'MASTER', { timeoutMs: 5000, since }));
      await sleep(300);
      expect(await vipMac()).toBe(B_MAC);
      expect(await pingVip()).toBe(0);
      // keepalived comes back and preempts: vrrpd's drop rule goes with the VIP.
      const since2 = b.logMark();
      const ka2 = await keepalived('a', seed('a'));
      unwrap(await ka2.waitForState('VI_1', 'MASTER', { timeoutMs: 8000 }));
      unwrap(await b.waitForState('VI_1', 'BACKUP', { timeoutMs: 3000, since: since2 }));
      await sleep(300);
      expect(b.logLines().slice(since2)).toContain('(VI_1) removing firewall drop rule');
      expect(await table('b', 'vrrpd')).not.toContain('elements');
      expect(await vipMac()).toBe(A_MAC);
      expect(await pingVip()).toBe(0);
      for (const l of [...b.logLines(), ...ka.logLines(), ...ka2.logLines()]) expect(l).not.toMatch(/auth, expecting|invalid passwd|CONFIGURATION ERROR/);
      // On the wire, PASS is gone from both: auth type 0 and eight zero bytes (the stored capture's form).
      const frames = unwrap(await capture.stop());
      for (const [who, src] of [['keepalived', A_IP], ['vrrpd', B_IP]] as const) {
        const adverts = advertsFrom(frames, src).filter((f) => f.priority > 0);
        expect(adverts.length, `${who}'s adverts`).toBeGreaterThan(0);
        for (const f of adverts) {
          expect({ who, authType: f.authType, authBytes: f.rawVrrp.subarray(-8).toString('hex') }).toEqual({ who, authType: 0, authBytes: '00'.repeat(8) });
        }
      }
    } finally {
      await capture.stop();
      await stopAll();
    }
  }, 60_000);

  it('`accept` added: reset with keepalived\'s warning, and pings stay unanswered, on both daemons', async () => {
    const reset = '(VI_1) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting';
    try {
      const ka = await keepalived('a', seed('a', { accept: true }));
      unwrap(await ka.waitForState('VI_1', 'MASTER', { timeoutMs: 8000 }));
      await sleep(300);
      expect(ka.logLines()).toContain(reset);
      expect(await pingVip()).toBe(0);
      await ka.stop();
      running = [];
      const a = await vrrpd('a', seed('a', { accept: true }));
      unwrap(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 8000 }));
      await sleep(300);
      expect(a.logLines().some((l) => l.includes(reset))).toBe(true);
      expect(await pingVip()).toBe(0);
    } finally {
      await stopAll();
    }
  }, 40_000);

  it('without vrrp_strict: ping and HTTP to nginx on the VIP work', async () => {
    unwrap(await startNginx(lab, 'a'));
    unwrap(await startNginx(lab, 'b'));
    try {
      const a = await vrrpd('a', seed('a', { strict: false }));
      await vrrpd('b', seed('b', { strict: false }));
      unwrap(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 8000 }));
      await sleep(300);
      expect(a.logLines().filter((l) => /accept no traffic|firewall/.test(l))).toEqual([]);
      expect(await pingVip()).toBe(3);
      const http = await lab.exec('client', httpGetArgv(LAB_VIP, 80, 1), { timeoutMs: 5000 });
      expect(http.code).toBe(0);
      expect(http.stdout.trim()).toBe('node-a');
      expect(await tables('a')).not.toContain('vrrpd');
    } finally {
      await stopAll();
    }
  }, 40_000);

  it('a strict node with a non-strict node: both MASTER, each vrrpd says once which side is strict', async () => {
    try {
      const a = await vrrpd('a', seed('a'));
      const b = await vrrpd('b', seed('b', { strict: false }));
      unwrap(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 8000 }));
      unwrap(await b.waitForState('VI_1', 'MASTER', { timeoutMs: 8000 }));
      await sleep(4000);
      const onA = a.logLines().filter((l) => l.includes('auth, expecting'));
      const onB = b.logLines().filter((l) => l.includes('auth, expecting'));
      expect(onA).toHaveLength(1);
      expect(onB).toHaveLength(1);
      expect(onA[0]).toMatch(new RegExp(`^\\(VI_1\\) received a 1 auth, expecting 0! - peer ${B_IP.replace(/\./g, '\\.')} uses auth type PASS, ours \\(${A_IP.replace(/\./g, '\\.')}\\) none: we are strict`));
      expect(onB[0]).toMatch(new RegExp(`^\\(VI_1\\) received a 0 auth, expecting 1! - peer ${A_IP.replace(/\./g, '\\.')} uses auth type none, ours \\(${B_IP.replace(/\./g, '\\.')}\\) PASS: the peer is strict`));
      for (const line of [...onA, ...onB]) expect(line).toContain('make vrrp_strict (and the authentication) the same on both nodes');
      // The status output (SIGUSR1's data dump) lists the peer problem.
      const file = join(a.dir, 'vrrpd.data');
      expect(a.signal('SIGUSR1')).toBe(true);
      expect(await waitUntil(() => existsSync(file) && readFileSync(file, 'utf8').includes('Peer problems'), { timeoutMs: 3000, intervalMs: 50 })).toBe(true);
      expect(readFileSync(file, 'utf8')).toMatch(new RegExp(`${B_IP.replace(/\./g, '\\.')} authType: \\d+ adverts ignored`));
    } finally {
      await stopAll();
    }
  }, 40_000);

  it('a crash leaves the table; the next start removes it, before any VIP is served', async () => {
    try {
      const a = await vrrpd('a', seed('a'));
      unwrap(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 8000 }));
      expect(await waitUntil(() => lab.hasAddress('a', LAB_VIP), { timeoutMs: 2000, intervalMs: 50 })).toBe(true);
      await a.crash();
      running = [];
      expect(await table('a', 'vrrpd')).toContain('elements = { 192.0.2.200 }');
      // Restarted without vrrp_strict: a left-over table would silently keep the VIP unreachable.
      // Every instance accepts: the table is looked for once the instances run, long before the
      // first takeover could serve the VIP.
      const again = await vrrpd('a', seed('a', { strict: false }));
      unwrap(await again.waitForLog(/^removed leftover nftables table ip vrrpd of an earlier run$/, { timeoutMs: 3000 }));
      expect(await tables('a')).not.toContain('vrrpd');
      unwrap(await again.waitForState('VI_1', 'MASTER', { timeoutMs: 8000 }));
      const lines = again.logLines();
      expect(lines.indexOf('removed leftover nftables table ip vrrpd of an earlier run')).toBeLessThan(lines.indexOf('(VI_1) Entering MASTER STATE'));
      await sleep(300);
      expect(await pingVip()).toBe(3);
    } finally {
      await stopAll();
    }
  }, 40_000);
});
