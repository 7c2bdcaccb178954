// `vrrpd -t`'s verdict, pure: keepalived's exit-code ranking, which warnings fail the test, the
// summary line, the interface and script checks on faked kernel/file-system facts, and the dump.
import { describe, expect, it } from 'vitest';
import type { Config, ConfigDiagnostic } from '../../src/config/config.js';
import { parseConfigText } from '../../src/config/load.js';
import { dumpConfig } from '../../src/config/dump.js';
import {
  checkInterfaces,
  checkScripts,
  interfaceUses,
  parseUserDb,
  resolveCommand,
  scriptRunAs,
  scriptUses,
  type FileFacts,
  type FsProbe,
  type LinkFacts,
  type RunAs,
  type ScriptUse,
} from '../../src/host/rules.js';
import { configTestExit, forConfigTest, summaryLine } from '../../src/check/config-test.js';
import { CONFIG_TEST_EXIT } from '../../src/exit-codes.js';

const at = (line: number) => ({ file: 'k.conf', line });
const error = (message: string, cls?: 'missing' | 'security'): ConfigDiagnostic =>
  cls === undefined ? { severity: 'error', pos: at(1), message } : { severity: 'error', pos: at(1), message, class: cls };
const warning = (message: string, cls?: 'missing' | 'security'): ConfigDiagnostic =>
  cls === undefined ? { severity: 'warning', pos: at(1), message } : { severity: 'warning', pos: at(1), message, class: cls };

const instance = (body: string, name = 'VI_1'): string => `vrrp_instance ${name} {\n${body}\n}\n`;
const basic = (extra = ''): string =>
  instance(`    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.200/24\n    }\n${extra}`);

function parsed(text: string): { config: Config | undefined; diagnostics: readonly ConfigDiagnostic[] } {
  return parseConfigText(text, 'k.conf');
}

describe('configTestExit: keepalived config_test_exit(), the most severe class wins', () => {
  it('no diagnostics, or only warnings: 0', () => {
    expect(configTestExit([])).toBe(CONFIG_TEST_EXIT.ok);
    expect(configTestExit([warning('x'), warning('y', 'missing')])).toBe(0);
  });

  it('a missing file or interface: 4', () => {
    expect(configTestExit([error('gone', 'missing'), warning('w')])).toBe(4);
  });

  it('any other error: 5, also when a missing file/interface is reported too', () => {
    expect(configTestExit([error('bad')])).toBe(5);
    expect(configTestExit([error('gone', 'missing'), error('bad')])).toBe(5);
  });

  it('script security: 6 over everything, even as a warning (keepalived runs the scripts, -t still exits 6)', () => {
    expect(configTestExit([error('bad'), error('gone', 'missing'), warning('no script security', 'security')])).toBe(6);
    expect(configTestExit([error('no script security', 'security')])).toBe(6);
  });
});

describe('forConfigTest: warnings the daemon lives with but -t fails on', () => {
  it('an unknown keyword (a typo like priorty) is an error for -t, as keepalived -t exits 5', () => {
    const r = parsed(basic('    priorty 150'));
    const d = r.diagnostics.find((x) => x.message.includes('priorty'));
    expect(d?.severity).toBe('warning'); // the daemon runs without it, as keepalived's does
    const t = forConfigTest(r.diagnostics);
    expect(t.find((x) => x.message.includes('priorty'))?.severity).toBe('error');
    expect(configTestExit(t)).toBe(5);
  });

  it('an unknown block is an error for -t', () => {
    const t = forConfigTest(parsed(basic('    foo_block {\n        priority 200\n    }')).diagnostics);
    expect(t.filter((x) => x.severity === 'error').map((x) => x.message)).toEqual([expect.stringContaining("'foo_block'")]);
  });

  it('no vrrp_instance at all fails: the daemon would refuse to start', () => {
    const t = forConfigTest(parsed('global_defs {\n    router_id x\n}\n').diagnostics);
    expect(configTestExit(t)).toBe(5);
    expect(t.find((x) => x.severity === 'error')?.message).toMatch(/no vrrp_instance/);
  });

  it("a keyword vrrpd does not implement yet stays a warning: -t's exit follows the daemon, the summary counts it", () => {
    const t = forConfigTest(parsed(basic('    smtp_alert')).diagnostics);
    expect(t.map((x) => [x.severity, x.message])).toEqual([['warning', expect.stringMatching(/^'smtp_alert' is not supported yet/)]]);
    expect(configTestExit(t)).toBe(0);
    expect(summaryLine('k.conf', t, 1, 1)).toBe('k.conf: 0 errors, 1 warning in 1 file, 1 vrrp_instance - configuration OK; 1 setting vrrpd does not support yet');
  });

  it('other warnings stay warnings, errors stay as they are', () => {
    const input = [warning('(VI_1) no virtual_ipaddress: the instance will advertise no addresses'), warning("'virtual_server' ignored: vrrpd implements only keepalived's VRRP side"), error('x', 'missing')];
    expect(forConfigTest(input)).toEqual(input);
    // An LVS block is out of vrrpd's scope by design, not a gap: it does not fail the test.
    const lvs = forConfigTest(parsed(`${basic()}virtual_server 192.0.2.1 80 {\n    delay_loop 6\n}\n`).diagnostics);
    expect(lvs.map((d) => [d.severity, d.message])).toEqual([['warning', expect.stringContaining("'virtual_server' ignored")]]);
  });

  it('a clean config has nothing to report', () => {
    expect(forConfigTest(parsed(basic()).diagnostics)).toEqual([]);
  });
});

describe('summaryLine', () => {
  it('counts errors and warnings, files and instances, and gives the verdict', () => {
    expect(summaryLine('/etc/vrrpd.conf', [error('a'), error('b'), warning('c'), warning('d'), warning('e')], 3, 4)).toBe(
      '/etc/vrrpd.conf: 2 errors, 3 warnings in 3 files, 4 vrrp_instances - exit 5: configuration errors',
    );
    expect(summaryLine('k.conf', [], 1, 1)).toBe('k.conf: 0 errors, 0 warnings in 1 file, 1 vrrp_instance - configuration OK');
  });

  it('without a Config the instance count is not guessed', () => {
    expect(summaryLine('k.conf', [error('gone', 'missing')], 1, undefined)).toBe(
      'k.conf: 1 error, 0 warnings in 1 file - exit 4: a file or interface is missing',
    );
  });
});

// ---------------------------------------------------------------------------------------------

const links = (...names: string[]): Map<string, LinkFacts> =>
  new Map(names.map((n) => [n, { name: n, loopback: n === 'lo' || n === 'lo9' }]));

describe('interface checks', () => {
  const config = (text: string): Config => {
    const r = parsed(text);
    if (r.config === undefined) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
    return r.config;
  };

  it('every interface the instances and VIP devs name, in file order', () => {
    const c = config(
      basic() +
        instance('    interface eth1\n    virtual_router_id 52\n    virtual_ipaddress {\n        198.51.100.1/24 dev eth2\n        198.51.100.2\n    }', 'VI_2'),
    );
    expect(interfaceUses(c).map((u) => [u.role, u.name, u.owner])).toEqual([
      ['instance', 'eth0', 'VI_1'],
      ['instance', 'eth1', 'VI_2'],
      ['vip', 'eth2', '198.51.100.1/24'],
    ]);
  });

  it('also track_interface entries (of instances and sync groups) and excluded VIP devs', () => {
    const c = config(
      basic('    track_interface {\n        eth3 weight -20\n    }\n    virtual_ipaddress_excluded {\n        198.51.100.5/24 dev eth4\n    }') +
        'vrrp_sync_group G1 {\n    group {\n        VI_1\n    }\n    track_interface {\n        eth5\n    }\n}\n',
    );
    expect(interfaceUses(c).map((u) => [u.role, u.name, u.owner])).toEqual([
      ['instance', 'eth0', 'VI_1'],
      ['vip', 'eth4', '198.51.100.5/24'],
      ['track', 'eth3', 'VI_1'],
      ['track', 'eth5', 'G1'],
    ]);
  });

  it("a missing instance interface or VIP dev is class 'missing' with keepalived's words", () => {
    const c = config(instance('    interface eth9\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.200/24 dev eth8\n    }'));
    const d = checkInterfaces(interfaceUses(c), links('lo', 'eth0'));
    expect(d.map((x) => [x.severity, x.class, x.pos.line, x.message])).toEqual([
      ['error', 'missing', 1, "interface eth9 for vrrp_instance VI_1 doesn't exist"],
      ['error', 'missing', 5, "interface eth8 for ip address 192.0.2.200/24 doesn't exist"],
    ]);
    expect(configTestExit(d)).toBe(4);
  });

  it('a loopback interface (whatever its name) is a config error for an instance, not for a VIP dev', () => {
    const uses = [
      { name: 'lo9', pos: at(3), role: 'instance' as const, owner: 'VI_1' },
      { name: 'lo9', pos: at(7), role: 'vip' as const, owner: '192.0.2.1/32' },
    ];
    const d = checkInterfaces(uses, links('lo9'));
    expect(d).toEqual([{ severity: 'error', pos: at(3), message: '(VI_1) cannot use a loopback interface (lo9) for vrrp' }]);
    expect(configTestExit(d)).toBe(5);
  });

  it('a tracked interface that is missing', () => {
    const d = checkInterfaces([{ name: 'eth9', pos: at(15), role: 'track', owner: 'VI_1' }], links('eth0'));
    expect(d.map((x) => [x.class, x.message])).toEqual([['missing', "(VI_1) tracked interface eth9 doesn't exist"]]);
  });

  it('all present: nothing to say', () => {
    expect(checkInterfaces(interfaceUses(config(basic())), links('lo', 'eth0'))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

const file = (mode: number, uid = 0, gid = 0): FileFacts => ({ isFile: true, isDirectory: false, isSymbolicLink: false, mode: 0o100000 | mode, uid, gid });
const dir = (mode = 0o755, uid = 0, gid = 0): FileFacts => ({ isFile: false, isDirectory: true, isSymbolicLink: false, mode: 0o40000 | mode, uid, gid });
const symlink: FileFacts = { isFile: false, isDirectory: false, isSymbolicLink: true, mode: 0o120777, uid: 0, gid: 0 };

/** A fake file system: paths to facts; symlinks as path -> target (the target must be an entry). */
function fakeFs(entries: Record<string, FileFacts>, links: Record<string, string> = {}): FsProbe {
  const resolve = (p: string): string => {
    for (const [from, to] of Object.entries(links)) if (p === from || p.startsWith(`${from}/`)) return to + p.slice(from.length);
    return p;
  };
  return {
    stat: (p) => entries[resolve(p)],
    lstat: (p) => (links[p] !== undefined ? symlink : entries[resolve(p)]),
    realpath: (p) => (entries[resolve(p)] !== undefined ? resolve(p) : undefined),
  };
}

const root = { uid: 0, gid: 0 };

describe('resolveCommand: keepalived find_path()', () => {
  const fs = fakeFs({
    '/usr/local/bin/chk': file(0o755),
    '/usr/bin/chk': file(0o755),
    '/bin/noexec': file(0o644),
    '/usr/bin/noexec': file(0o644),
    '/opt/mine': file(0o700, 1000, 1000),
    '/usr/bin': dir(),
  });

  it('a bare name: the first PATH entry holding an executable file', () => {
    expect(resolveCommand('chk', root, '/usr/local/bin:/usr/bin', fs)).toEqual({ kind: 'found', path: '/usr/local/bin/chk', viaPath: true });
    expect(resolveCommand('chk', root, '/usr/bin:/usr/local/bin', fs)).toEqual({ kind: 'found', path: '/usr/bin/chk', viaPath: true });
  });

  it('a bare name found only without x bits: not executable (EACCES), named after the first hit', () => {
    expect(resolveCommand('noexec', root, '/bin:/usr/bin', fs)).toEqual({ kind: 'not-executable', path: '/bin/noexec' });
  });

  it('a directory on PATH with the name is a permission failure, as in glibc/keepalived (EACCES)', () => {
    expect(resolveCommand('bin', root, '/usr', fs)).toEqual({ kind: 'not-executable', path: '/usr/bin' });
  });

  it('not on PATH at all, or an empty command: missing', () => {
    expect(resolveCommand('nope', root, '/bin:/usr/bin', fs)).toEqual({ kind: 'missing' });
    expect(resolveCommand('', root, '/bin', fs)).toEqual({ kind: 'missing' });
  });

  it('a name with a slash is not searched (its permissions are checked later, on the file)', () => {
    expect(resolveCommand('/usr/bin/chk', root, '', fs)).toEqual({ kind: 'found', path: '/usr/bin/chk', viaPath: false });
    expect(resolveCommand('/bin/noexec', root, '', fs)).toEqual({ kind: 'found', path: '/bin/noexec', viaPath: false });
    expect(resolveCommand('/nope/chk', root, '/usr/bin', fs)).toEqual({ kind: 'missing' });
  });

  it('execute permission is judged for the script user', () => {
    expect(resolveCommand('mine', { uid: 1000, gid: 1000 }, '/opt', fs)).toEqual({ kind: 'found', path: '/opt/mine', viaPath: true });
    expect(resolveCommand('mine', { uid: 1001, gid: 1001 }, '/opt', fs)).toEqual({ kind: 'not-executable', path: '/opt/mine' });
    expect(resolveCommand('mine', root, '/opt', fs)).toEqual({ kind: 'found', path: '/opt/mine', viaPath: true });
  });
});

describe('checkScripts', () => {
  const use = (command: string, line = 7, runAs: RunAs = { ok: true, uid: 0, gid: 0 }): ScriptUse => ({ label: 'vrrp_script chk', command, pos: at(line), runAs });
  const fs = fakeFs(
    {
      '/': dir(),
      '/etc': dir(),
      '/etc/keepalived': dir(),
      '/etc/keepalived/ok.sh': file(0o755),
      '/etc/keepalived/noexec.sh': file(0o644),
      '/tmp': dir(0o1777),
      '/tmp/open.sh': file(0o777),
      '/usr': dir(),
      '/usr/bin': dir(),
      '/usr/bin/true': file(0o755),
    },
    { '/etc/link.sh': '/tmp/open.sh' },
  );
  const secure = { pathEnv: '/usr/bin', fs, scriptSecurity: true };

  it('a script that is there, executable and safe: nothing; a file-open test is never looked up', () => {
    expect(checkScripts([use('/etc/keepalived/ok.sh'), use('</dev/tcp/127.0.0.1/80')], secure)).toEqual([]);
  });

  it('missing, or not executable: errors at the script line (keepalived disables it with a log line)', () => {
    const d = checkScripts([use('/etc/keepalived/gone.sh', 8), use('/etc/keepalived/noexec.sh', 9), use('nope', 10)], secure);
    expect(d.map((x) => [x.severity, x.class, x.pos.line])).toEqual([
      ['error', undefined, 8],
      ['error', undefined, 9],
      ['error', undefined, 10],
    ]);
    expect(d[0]?.message).toMatch(/^vrrp_script chk: .*gone\.sh/);
    expect(d[1]?.message).toMatch(/^vrrp_script chk: .*noexec\.sh.* not executable for uid:gid 0:0/);
    expect(d[2]?.message).toBe("vrrp_script chk: script 'nope' not found in PATH (/usr/bin)");
    expect(configTestExit(d)).toBe(5);
  });

  it("a bare name found on PATH: keepalived's 'give the full path' warning", () => {
    expect(checkScripts([use('true')], secure)).toEqual([
      { severity: 'warning', pos: at(7), message: "vrrp_script chk: script 'true' resolved by PATH search to '/usr/bin/true' - please give the full path" },
    ]);
  });

  it('insecure (writable by others), directly or behind a symlink: a security error with enable_script_security', () => {
    for (const command of ['/tmp/open.sh', '/etc/link.sh']) {
      const d = checkScripts([use(command)], secure);
      expect(d.map((x) => [x.severity, x.class])).toEqual([['error', 'security']]);
      expect(d[0]?.message).toMatch(/^vrrp_script chk: Unsafe permissions .*open\.sh/);
      expect(configTestExit(d)).toBe(6);
    }
  });

  it('insecure without enable_script_security: keepalived runs it, so a security warning (still exit 6)', () => {
    const d = checkScripts([use('/tmp/open.sh')], { ...secure, scriptSecurity: false });
    expect(d.map((x) => [x.severity, x.class])).toEqual([['warning', 'security']]);
    expect(configTestExit(d)).toBe(6);
  });

  it('a script user that cannot be resolved is an error, and the file is not looked at', () => {
    const d = checkScripts([use('/tmp/open.sh', 12, { ok: false, error: "script user 'nginx' does not exist" })], secure);
    expect(d).toEqual([{ severity: 'error', pos: at(12), message: "vrrp_script chk: script user 'nginx' does not exist" }]);
  });
});

describe('scriptUses: which scripts a config runs, as whom', () => {
  const db = parseUserDb('root:x:0:0::/:\nnginx:x:101:102::/:\n', 'root:x:0:\nweb:x:33:\n');
  const own = { uid: 0, gid: 0 };
  const text = (globals: string): string =>
    `global_defs {\n${globals}\n}\n` +
    'vrrp_script chk_a {\n    script "/usr/bin/true arg"\n    user nginx web\n}\n' +
    'vrrp_script chk_b {\n    script "/usr/bin/false"\n}\n' +
    basic('    notify_master "/etc/keepalived/master.sh x"\n    notify /etc/keepalived/any.sh nginx\n    track_script {\n        chk_a\n    }');

  it('vrrp_scripts then notify scripts, argv[0] as the command, the line\'s user first, then script_user', () => {
    const r = parsed(text('    script_user root'));
    if (r.config === undefined) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
    expect(scriptUses(r.config, db, own).map((u) => [u.label, u.command, u.runAs])).toEqual([
      ['vrrp_script chk_a', '/usr/bin/true', { ok: true, uid: 101, gid: 33 }],
      ['vrrp_script chk_b', '/usr/bin/false', { ok: true, uid: 0, gid: 0 }],
      ['(VI_1) notify_master', '/etc/keepalived/master.sh', { ok: true, uid: 0, gid: 0 }],
      ['(VI_1) notify', '/etc/keepalived/any.sh', { ok: true, uid: 101, gid: 102 }],
    ]);
  });

  it('with enable_script_security and no script_user, scripts without a user of their own cannot run as root', () => {
    const r = parsed(text('    enable_script_security'));
    if (r.config === undefined) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
    const uses = scriptUses(r.config, db, own);
    expect(uses.map((u) => u.runAs.ok)).toEqual([true, false, false, true]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('dumpConfig', () => {
  const c = parsed(basic('    priority 150')).config;

  it('is JSON with every default, sorted keys at every level, and no source positions', () => {
    if (c === undefined) throw new Error('config expected');
    const text = dumpConfig(c);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).not.toMatch(/"pos"|"line"|k\.conf/);
    const value = JSON.parse(text) as { global: Record<string, unknown>; instances: Record<string, unknown>[] };
    const keysSorted = (o: object): boolean => {
      const keys = Object.keys(o);
      return keys.every((k, i) => i === 0 || (keys[i - 1] as string) < k);
    };
    expect(keysSorted(value)).toBe(true);
    expect(keysSorted(value.global)).toBe(true);
    expect(value.instances[0] !== undefined && keysSorted(value.instances[0])).toBe(true);
    // Defaults applied and visible; unset optional values are null, not missing.
    expect(value.global['routerId']).toBeNull();
    expect(value.instances[0]).toMatchObject({ name: 'VI_1', priority: 150, advertIntMs: 1000, garpMasterRepeat: 5, preempt: true });
    expect(value.instances[0]?.['vips']).toEqual([expect.objectContaining({ address: '192.0.2.200', dev: null, label: null, prefixLength: 24 })]);
  });

  it('depends on the values, not on where lines stand or the order keys were built in', () => {
    const moved = parsed(`\n\n# moved down\n${instance('    virtual_ipaddress {\n        192.0.2.200/24\n    }\n    priority 150\n    virtual_router_id 51\n    interface eth0')}`).config;
    if (c === undefined || moved === undefined) throw new Error('config expected');
    expect(dumpConfig(moved)).toBe(dumpConfig(c));
  });

  it('Maps and Sets (should the Config grow them) come out as sorted objects and arrays', () => {
    const odd = { global: c?.global, instances: [], extra: new Map<string, unknown>([['b', 1], ['a', new Set([2, 3])]]) } as unknown as Config;
    const value = JSON.parse(dumpConfig(odd)) as { extra: unknown };
    expect(value.extra).toEqual({ a: [2, 3], b: 1 });
    expect(Object.keys(value.extra as object)).toEqual(['a', 'b']);
  });
});

describe('script users: keepalived set_uid_gid() / get_default_script_user()', () => {
  const db = parseUserDb(
    '# comment\nroot:x:0:0:root:/root:/bin/bash\nnginx:x:101:102::/:/sbin/nologin\nbroken:x:abc:1::/:\n\n',
    'root:x:0:\nnginx:x:102:\nwww:x:33:nginx\n',
  );
  const own = { uid: 0, gid: 0 };

  it('reads passwd and group, skipping comments and malformed lines', () => {
    expect([...db.users.entries()]).toEqual([['root', { uid: 0, gid: 0 }], ['nginx', { uid: 101, gid: 102 }]]);
    expect(db.groups.get('www')).toBe(33);
  });

  it("a named user runs with its primary group unless a group is named", () => {
    expect(scriptRunAs('nginx', undefined, db, { own, scriptSecurity: true })).toEqual({ ok: true, uid: 101, gid: 102 });
    expect(scriptRunAs('nginx', 'www', db, { own, scriptSecurity: true })).toEqual({ ok: true, uid: 101, gid: 33 });
  });

  it('an unknown user or group is an error', () => {
    expect(scriptRunAs('nobody2', undefined, db, { own, scriptSecurity: false })).toEqual({ ok: false, error: "script user 'nobody2' does not exist" });
    expect(scriptRunAs('nginx', 'staff', db, { own, scriptSecurity: false })).toEqual({ ok: false, error: "script group 'staff' does not exist" });
  });

  it('no user anywhere: keepalived_script if it exists, else our own ids, but not under enable_script_security', () => {
    expect(scriptRunAs(undefined, undefined, db, { own, scriptSecurity: false })).toEqual({ ok: true, uid: 0, gid: 0 });
    const refused = scriptRunAs(undefined, undefined, db, { own, scriptSecurity: true });
    expect(refused.ok).toBe(false);
    expect(refused.ok ? '' : refused.error).toMatch(/keepalived_script does not exist/);
    const withDefault = parseUserDb('keepalived_script:x:990:990::/:/sbin/nologin\n', '');
    expect(scriptRunAs(undefined, undefined, withDefault, { own, scriptSecurity: true })).toEqual({ ok: true, uid: 990, gid: 990 });
  });
});
