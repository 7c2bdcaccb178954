// Real config files: the shipped etc/ samples, the lab pair keepalived ran in the captures,
// keepalived's own shipped sample, and fixtures for brace styles and brace errors.
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/config/config.js';
import type { Config } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/load.js';
import { CAPTURES_DIR, KEEPALIVED_SAMPLES_DIR } from '../helpers/captures.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string): string => join(repo, 'test/fixtures/config', name);
const captures = CAPTURES_DIR;
const samples = KEEPALIVED_SAMPLES_DIR;

const formatted = (path: string): string[] => loadConfig(path).diagnostics.map(formatDiagnostic);

/** The Config without source positions, to compare files written differently. */
function withoutPositions(config: Config | undefined): unknown {
  return JSON.parse(JSON.stringify(config ?? null, (key, value: unknown) => (key === 'pos' ? undefined : value)));
}

/** What the seed pair's node must look like once typed (h1/node A: MASTER 150, h2/node B: BACKUP 100). */
function expectSeedNode(config: Config | undefined, node: 'A' | 'B', file: string): void {
  expect(config?.global).toMatchObject({
    routerId: `Node${node}`,
    notificationEmail: ['root@localhost'],
    notificationEmailFrom: 'keepalived@localhost',
    smtpServer: '127.0.0.1',
    smtpConnectTimeoutSec: 30,
    skipCheckAdvAddr: true,
    vrrpStrict: false,
    garpIntervalMs: 0,
    gnaIntervalMs: 0,
  });
  expect(config?.instances).toHaveLength(1);
  const vi = config?.instances[0];
  expect(vi).toMatchObject({
    name: 'VI_1',
    wantState: node === 'A' ? 'MASTER' : 'BACKUP',
    interface: 'eth0',
    vrid: 51,
    priority: node === 'A' ? 150 : 100,
    advertIntMs: 1000,
    auth: { type: 'PASS', password: '1111' },
    preempt: true,
    skipCheckAdvAddr: true,
    garpMasterDelayMs: 5000,
    garpMasterRepeat: 5,
    garpLowerPrioDelayMs: 5000,
    garpLowerPrioRepeat: 5,
    downTimerAdverts: 3,
    strict: false,
    accept: true,
  });
  expect(vi?.pos.file).toBe(file);
  expect(vi?.vips.map((v) => [v.address, v.prefixLength, v.dev, v.label])).toEqual([['192.0.2.200', 32, undefined, undefined]]);
}

describe('etc/ samples', () => {
  it.each([
    ['etc/node-a.conf', 'A'],
    ['etc/node-b.conf', 'B'],
    ['etc/vrrpd.conf', 'A'],
  ] as const)('%s loads with no diagnostics at all and gives node %s', (name, node) => {
    const path = join(repo, name);
    const result = loadConfig(path);
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
    expectSeedNode(result.config, node, path);
  });

  it('etc/vrrpd.conf is node A', () => {
    expect(withoutPositions(loadConfig(join(repo, 'etc/vrrpd.conf')).config)).toEqual(
      withoutPositions(loadConfig(join(repo, 'etc/node-a.conf')).config),
    );
  });
});

describe('the lab pair keepalived 2.2.7 ran (captures/h1.conf, h2.conf)', () => {
  it.each([
    ['h1.conf', 'A'],
    ['h2.conf', 'B'],
  ] as const)('%s loads with no errors and gives node %s', (name, node) => {
    const path = join(captures, name);
    const result = loadConfig(path);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expectSeedNode(result.config, node, path);
    // The lab additions: script_user / enable_script_security are typed; notify is not run yet.
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(result.config?.global).toMatchObject({ scriptUser: { user: 'root', group: undefined }, enableScriptSecurity: true });
    expect(result.config?.instances[0]?.notify.generic?.argv).toEqual(['/usr/local/bin/notify.sh']);
  });
});

describe("keepalived's shipped keepalived.conf", () => {
  const path = join(samples, 'keepalived.conf.shipped');

  it('loads: the VRRP part is understood with strict mode applied, LVS skipped', () => {
    const result = loadConfig(path);
    // No errors. keepalived 2.2.7 -t gives 5 on this file: it rejects `vrrp_garp_interval 0` /
    // `vrrp_gna_interval 0` (we accept them, rightly) and reports the two strict-mode corrections
    // below as config errors while running on with them; here they are warnings, applied.
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      `${path}:14: (VI_1) vrrp_strict: the VIPs 192.168.200.16 192.168.200.17 192.168.200.18 of VI_1 accept no traffic while this node is MASTER with priority 100 (strict mode implies no_accept: firewall rules drop all packets to and from them, RFC 3768 §6.4.3), so a service behind them (nginx) is unreachable although the VIPs answer ARP; to serve traffic on them remove vrrp_strict (or add 'strict_mode off' to VI_1) - 'accept' is not allowed with VRRPv2 under strict mode`,
      `${path}:20: (VI_1) State MASTER must match being address owner (strict mode from line 14): priority 100 starts as BACKUP`,
      `${path}:26: (VI_1) Strict mode does not support authentication. Ignoring. (strict mode from line 14: adverts go out with auth type 0 and no password, as a strict keepalived sends them, and only such adverts are accepted: a peer that is not strict and uses auth_type PASS rejects them and both nodes become MASTER)`,
      ...[36, 61, 109].map((line) => `${path}:${line}: 'virtual_server' ignored: vrrpd implements only keepalived's VRRP side`),
    ]);

    expect(result.config?.global).toMatchObject({
      routerId: 'LVS_DEVEL',
      notificationEmail: ['acassen@firewall.loc', 'failover@firewall.loc', 'sysadmin@firewall.loc'],
      notificationEmailFrom: 'Alexandre.Cassen@firewall.loc',
      smtpServer: '192.168.200.1',
      vrrpStrict: true,
      skipCheckAdvAddr: true,
      garpIntervalMs: 0,
      gnaIntervalMs: 0,
    });
    expect(result.config?.instances.map((i) => [i.name, i.wantState, i.priority, i.vrid, i.vips.map((v) => v.address)])).toEqual([
      ['VI_1', 'BACKUP', 100, 51, ['192.168.200.16', '192.168.200.17', '192.168.200.18']],
    ]);
    // What a strict keepalived does: no password, no accept mode, no lower-priority GARP repeats.
    expect(result.config?.instances[0]).toMatchObject({
      strict: true, auth: { type: 'NONE' }, accept: false, garpLowerPrioRepeat: 0, garpLowerPrioDelayMs: 0, lowerPrioNoAdvert: true,
    });
    expect(result.config?.recognised.map((r) => [r.keyword, r.pos.line])).toEqual([['virtual_server', 36], ['virtual_server', 61], ['virtual_server', 109]]);
  });
});

describe("keepalived's doc/samples: the VRRP parts typed, the LVS parts skipped with one warning each", () => {
  const load = (name: string) => {
    const path = join(samples, `keepalived.conf.${name}`);
    const result = loadConfig(path);
    // `LINE: message` (a whole-file message has no line: just the message).
    const messages = result.diagnostics.map(formatDiagnostic).map((m) => m.slice(path.length + 1).trimStart());
    return { path, result, messages, config: result.config };
  };
  const lvsWarning = (keyword: string, line: number): string => `${line}: '${keyword}' ignored: vrrpd implements only keepalived's VRRP side`;

  it.each([
    ['HTTP_GET.port', [lvsWarning('virtual_server', 13)]],
    ['PING_CHECK', [lvsWarning('virtual_server', 14)]],
    ['SMTP_CHECK', [lvsWarning('virtual_server', 25)]],
    ['UDP_CHECK', [lvsWarning('virtual_server', 14)]],
    ['fwmark', [lvsWarning('virtual_server', 7)]],
    ['inhibit', [lvsWarning('virtual_server', 13)]],
    ['misc_check', [lvsWarning('virtual_server', 14)]],
    ['misc_check_arg', [lvsWarning('virtual_server', 13)]],
    ['quorum', [lvsWarning('virtual_server', 23)]],
    ['status_code', [lvsWarning('virtual_server', 14)]],
    ['virtualhost', [lvsWarning('virtual_server', 13)]],
    ['IPv6', [lvsWarning('virtual_server_group', 7), lvsWarning('virtual_server', 13)]],
    ['virtual_server_group', [lvsWarning('virtual_server_group', 13), lvsWarning('virtual_server', 22)]],
  ])('%s: LVS only - one warning per block, and "nothing to run" (an error: vrrpd refuses it)', (name, lvs) => {
    const { messages, config } = load(name);
    expect(messages).toEqual(['no vrrp_instance defined: there is nothing to run', ...lvs]);
    expect(config).toBeUndefined();
  });

  it('sample: nopreempt without state is honoured; the LVS block is skipped', () => {
    const { messages, config } = load('sample');
    expect(messages).toEqual([lvsWarning('virtual_server', 26)]);
    expect(config?.instances[0]).toMatchObject({ name: 'VI_1', wantState: undefined, vrid: 50, priority: 100, preempt: false });
    expect(config?.instances[0]?.vips.map((v) => v.address)).toEqual(['192.168.200.11', '192.168.200.12', '192.168.200.13']);
  });

  it('SSL_GET: auth_type AH is refused (peers check the AH header), the rest still read', () => {
    const { messages, config } = load('SSL_GET');
    expect(config).toBeUndefined();
    expect(messages).toEqual([
      "20: 'auth_type AH' is not supported yet; running without it would send adverts without the IPsec AH header the peers check",
      lvsWarning('virtual_server', 30),
      lvsWarning('virtual_server', 55),
    ]);
  });

  it('conditional_conf: VRRPv3 and use_vmac refused, each at its line', () => {
    const { messages } = load('conditional_conf');
    expect(messages).toContain("22: 'version 3': VRRPv3 is not supported (vrrpd speaks VRRPv2, RFC 3768)");
    expect(messages.some((m) => m.startsWith("23: 'use_vmac' is not supported yet; running without it would put the VIPs on eth0"))).toBe(true);
  });

  it('vrrp: four instances, smtp_alert typed and reported once, the repeated VIP kept with its label', () => {
    const { messages, config } = load('vrrp');
    expect(messages).toEqual([
      "17: 'smtp_alert' is not supported yet - no e-mail is sent",
      '32: virtual IP 192.168.200.18 is listed twice (first at line 28): kept, because keepalived advertises it twice and peers compare the address count; remove it on every node',
    ]);
    expect(config?.instances.map((i) => [i.name, i.wantState, i.priority, i.vrid, i.interface, i.smtpAlert, i.auth.type])).toEqual([
      ['VI_1', 'MASTER', 100, 51, 'eth0', true, 'PASS'],
      ['VI_2', undefined, 50, 50, 'eth0', true, 'NONE'],
      ['VI_3', 'MASTER', 100, 52, 'eth1', true, 'PASS'],
      ['VI_4', undefined, 50, 53, 'eth1', true, 'NONE'],
    ]);
    expect(config?.instances[0]).toMatchObject({ garpMasterDelayMs: 10_000, garpLowerPrioDelayMs: 5000 });
    expect(config?.instances[0]?.vips[3]).toMatchObject({ address: '192.168.200.18', label: 'eth0:1' });
  });

  it('vrrp.localcheck: scripts typed (forward of use), open tests exempt from security, weights resolved', () => {
    const { messages, config } = load('vrrp.localcheck');
    expect(messages).toEqual([
      "12: SECURITY VIOLATION - scripts are being executed but script_security not enabled. (add 'enable_script_security' to global_defs, and make sure no user but root can change the scripts)",
    ]);
    expect(config?.scripts.map((s) => [s.name, s.command.argv, s.intervalMs, s.weight, s.rise, s.fall])).toEqual([
      ['chk_sshd', ['killall', '-0', 'sshd'], 2000, -4, 2, 2],
      ['chk_haproxy', ['killall', '-0', 'haproxy'], 2000, 0, 1, 1],
      ['chk_http_port', ['</dev/tcp/127.0.0.1/80'], 1000, -2, 1, 1],
      ['chk_https_port', ['</dev/tcp/127.0.0.1/443'], 1000, -2, 1, 1],
      ['chk_smtp_port', ['</dev/tcp/127.0.0.1/25'], 1000, -2, 1, 1],
    ]);
    const vi1 = config?.instances[0];
    expect(vi1?.trackInterfaces.map((t) => [t.name, t.weight])).toEqual([['eth1', 2], ['eth2', -2], ['eth3', 0]]);
    expect(vi1?.trackScripts.map((t) => [t.name, t.weight])).toEqual([
      ['chk_sshd', -4], ['chk_haproxy', 2], ['chk_http_port', -2], ['chk_https_port', -2], ['chk_smtp_port', -2],
    ]);
    expect(config?.instances.map((i) => i.name)).toEqual(['VI_1', 'VI_2', 'VI_3', 'VI_4', 'VI_5', 'VI_6', 'VI_7', 'VI_8', 'VI_9']);
  });

  it('vrrp.lvs_syncd: members outside group {} are unknown keywords and the group is dropped; lvs_sync_daemon_interface skipped', () => {
    const { messages, config } = load('vrrp.lvs_syncd');
    expect(messages).toEqual([
      "3: Sync group VG1 has no members - removing (members go inside 'group { ... }')",
      "4: unknown keyword 'VI_2'",
      "5: unknown keyword 'VI_3'",
      lvsWarning('lvs_sync_daemon_interface', 11),
      lvsWarning('virtual_server', 50),
    ]);
    expect(config?.syncGroups).toEqual([]);
    expect(config?.instances.map((i) => [i.name, i.priority, i.auth])).toEqual([
      ['VI_1', 150, { type: 'PASS', password: 'grr02' }],
      ['VI_2', 100, { type: 'NONE' }],
      ['VI_3', 100, { type: 'NONE' }],
    ]);
  });

  it('vrrp.routes / vrrp.rules / track_interface / static_ipaddress: routes, rules and static entries kept as words', () => {
    const routes = load('vrrp.routes');
    expect(routes.messages).toEqual(["7: 'static_routes' is not supported yet - these routes are not added", "26: 'virtual_routes' is not supported yet - these routes are not added"]);
    expect(routes.config?.instances[0]?.virtualRoutes.map((r) => r.words.join(' '))).toEqual([
      'src 192.168.100.1 192.168.109.0/24 via 192.168.200.254 dev eth1',
      '192.168.110.0/24 via 192.168.200.254 dev eth1',
      '192.168.111.0/24 dev eth2',
      '192.168.112.0/24 via 192.168.100.254',
      '192.168.113.0/24 via 192.168.100.252 or 192.168.100.253',
      'blackhole 192.168.113.1/32',
      '0.0.0.0/0 gw 192.168.0.1 table 100',
    ]);
    expect(routes.config?.statics.routes).toHaveLength(5);
    expect(routes.config?.instances[0]?.vips.map((v) => [v.address, v.dev])).toEqual([
      ['192.168.200.16', undefined], ['192.168.200.17', 'eth1'], ['192.168.200.18', 'eth2'],
    ]);

    const rules = load('vrrp.rules');
    expect(rules.messages).toEqual(["9: 'static_rules' is not supported yet - these rules are not added", "25: 'virtual_rules' is not supported yet - these rules are not added"]);
    expect(rules.config?.instances[0]?.virtualRules.map((r) => r.words)).toEqual([['from', '192.168.200.0/24', 'table', '2'], ['to', '192.168.200./24', 'table', '2']]);

    const tracked = load('track_interface');
    expect(tracked.messages).toEqual([
      "7: 'static_routes' is not supported yet - these routes are not added",
      "29: 'virtual_routes' is not supported yet - these routes are not added",
    ]);
    expect(tracked.config?.instances[0]).toMatchObject({ interface: 'eth0.1', wantState: 'MASTER' });
    expect(tracked.config?.instances[0]?.trackInterfaces.map((t) => [t.name, t.weight, t.reverse])).toEqual([['eth0', 0, false], ['eth1', 0, false]]);

    const statics = load('vrrp.static_ipaddress');
    expect(statics.messages[0]).toBe("7: 'static_ipaddress' is not supported yet - these addresses are not added");
    expect(statics.config?.statics.addresses.map((a) => [a.address, a.dev, a.scope])).toEqual([
      ['192.168.200.16', 'eth0', 253], ['192.168.200.17', 'eth1', 253], ['192.168.200.18', 'eth2', undefined],
    ]);
  });

  it('vrrp.scripts: quoted notify command lines become argv; the sync group members start as BACKUP as in keepalived', () => {
    const { messages, config } = load('vrrp.scripts');
    expect(messages).toEqual([
      '6: (G1) VI_2, VI_3 want to start as MASTER but not every member can (only address owners with state MASTER start as MASTER): every member of the group starts as BACKUP, as in keepalived',
      "11: SECURITY VIOLATION - scripts are being executed but script_security not enabled. (add 'enable_script_security' to global_defs, and make sure no user but root can change the scripts)",
      "19: 'smtp_alert' is not supported yet - no e-mail is sent",
    ]);
    expect(config?.syncGroups.map((g) => [g.name, g.members, g.notify.master?.argv])).toEqual([
      ['G1', ['VI_2', 'VI_3'], ['/usr/local/bin/vrrp.mast', 'arg1', 'arg2']],
    ]);
    expect(config?.instances[0]?.notify.backup).toMatchObject({ argv: ['/usr/local/bin/vrrp.sh', 'BACKUP', 'VI_1'], user: undefined });
    expect(config?.instances.map((i) => [i.name, i.wantState, i.syncGroup])).toEqual([
      ['VI_1', 'MASTER', undefined], ['VI_2', 'BACKUP', 'G1'], ['VI_3', 'BACKUP', 'G1'],
    ]);
  });

  it('vrrp.sync: two groups, every member placed', () => {
    const { config } = load('vrrp.sync');
    expect(config?.syncGroups.map((g) => [g.name, g.members.length, g.trackingWeight])).toEqual([['G1', 7, false], ['G2', 2, false]]);
    expect(config?.instances.every((i) => i.syncGroup !== undefined)).toBe(true);
  });
});

describe('fixtures', () => {
  it('every brace style gives the same Config as etc/node-a.conf', () => {
    const result = loadConfig(fixture('brace-styles.conf'));
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(withoutPositions(result.config)).toEqual(withoutPositions(loadConfig(join(repo, 'etc/node-a.conf')).config));
  });

  it('every keyword keepalived 2.2 accepts for VRRP (but the refused few) is recognised: it loads, typed', () => {
    const path = fixture('every-keyword.conf');
    const result = loadConfig(path);
    expect(result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
    expect(result.diagnostics.filter((d) => /unknown (keyword|block)/.test(d.message)).map(formatDiagnostic)).toEqual([]);
    const c = result.config;
    expect(c?.instances.map((i) => [i.name, i.priority, i.preempt, i.accept, i.syncGroup])).toEqual([
      ['VI_1', 150, false, true, 'G1'],
      ['VI_2', 100, true, false, 'G1'],
    ]);
    const vi1 = c?.instances[0];
    expect(vi1?.notify.masterRxLowerPri?.argv).toEqual(['/usr/local/bin/vi.sh', 'LOWER']);
    expect(vi1?.trackScripts).toEqual([{ name: 'chk_nginx', weight: -20, reverse: false, pos: { file: path, line: 226 } }]);
    expect(vi1?.trackFiles.map((t) => [t.name, t.weight, t.reverse])).toEqual([['nginx_weight', 2, true]]);
    expect(vi1?.trackBfds.map((t) => [t.name, t.weight])).toEqual([['bfd_peer', -5]]);
    expect(vi1?.vips[0]).toMatchObject({ address: '192.0.2.200', prefixLength: 24, dev: 'eth0', label: 'eth0:vip', noTrack: true });
    expect(vi1).toMatchObject({ timerExpiredBackup: 200, oldUnicastChecksum: 'never', kernelRxBufSize: 262144, auth: { type: 'PASS', password: 'secret' } });
    expect(c?.syncGroups[0]).toMatchObject({ name: 'G1', members: ['VI_1', 'VI_2'], trackingWeight: true });
    expect(c?.scripts[0]).toMatchObject({ name: 'chk_nginx', intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3, initFail: true });
    expect(c?.trackFiles.map((f) => f.name)).toEqual(['nginx_weight', 'old_style']);
    expect(c?.trackProcesses[0]).toMatchObject({ name: 'nginx', paramMatch: 'initial', fullCommand: true, quorumMax: 4, terminateDelayMs: 500 });
    expect(c?.garpGroups[0]).toMatchObject({ garpIntervalMs: 1, gnaIntervalMs: 1, interfaces: ['eth1', 'eth2'] });
    expect(c?.global).toMatchObject({ routerId: 'node1', enableScriptSecurity: true, scriptUser: { user: 'root' }, garpExtraIf: { intervalSec: 10, all: false } });
  });

  it('unknown blocks are skipped whole, in an instance and at the top', () => {
    const path = fixture('unknown-block.conf');
    const result = loadConfig(path);
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      `${path}:6: unknown block 'frobnicate' - skipped`,
      `${path}:15: unknown block 'mystery_top' - skipped`,
    ]);
    expect(result.config?.instances.map((i) => [i.name, i.priority, i.wantState])).toEqual([['VI_1', 100, undefined]]);
  });

  it('a missing } is an error at the line of the unclosed block', () => {
    const path = fixture('missing-brace.conf');
    const result = loadConfig(path);
    expect(result.config).toBeUndefined();
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      `${path}:5: missing '}': the 'vrrp_instance' block opened here is never closed`,
    ]);
  });

  it('a stray } is an error at its line', () => {
    const path = fixture('stray-brace.conf');
    const result = loadConfig(path);
    expect(result.config).toBeUndefined();
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([`${path}:8: unexpected '}' (no block is open)`]);
  });
});

describe('loadConfig: unreadable files are diagnostics, not exceptions', () => {
  it('a missing file', () => {
    const result = loadConfig('/nonexistent/vrrpd.conf');
    expect(result.config).toBeUndefined();
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toMatchObject({ severity: 'error', pos: { file: '/nonexistent/vrrpd.conf', line: 0 } });
    expect(formatted('/nonexistent/vrrpd.conf')[0]).toMatch(/^\/nonexistent\/vrrpd\.conf: cannot read config file: ENOENT/);
  });

  it('a directory', () => {
    expect(formatted(repo)[0]).toMatch(/: cannot read config file: EISDIR/);
  });

  it('a file without read permission (when not root) or binary garbage never throws', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vrrpd-config-'));
    try {
      const garbage = join(dir, 'garbage.conf');
      writeFileSync(garbage, Buffer.from([0, 0xff, 0xfe, 0x7b, 0x0a, 0x7d, 0x7d, 0x22, 0x0d, 0x0a, 0x80]));
      const result = loadConfig(garbage);
      expect(result.config).toBeUndefined();
      expect(result.diagnostics.some((d) => d.severity === 'error')).toBe(true);

      const locked = join(dir, 'locked.conf');
      writeFileSync(locked, 'vrrp_instance X {\n}\n');
      chmodSync(locked, 0o000);
      expect(() => loadConfig(locked)).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
