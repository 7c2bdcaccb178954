// Script command lines (keepalived's shell-like re-read of `script` and `notify*` lines) and the
// pure script-file check `vrrpd -t` runs on what it finds on disk.
import { describe, expect, it } from 'vitest';
import { splitQuotedEscaped } from '../../src/config/command-line.js';
import { formatDiagnostic } from '../../src/config/config.js';
import { parseConfigText } from '../../src/config/load.js';
import { checkScriptFile, isExecutableBy, isOpenTest, scriptPathPrefixes } from '../../src/config/script-check.js';
import type { FileFacts, ScriptFacts } from '../../src/config/script-check.js';

const lines = (...ls: string[]): string => `${ls.join('\n')}\n`;
const base = ['interface eth0', 'virtual_router_id 51', 'virtual_ipaddress {', '192.0.2.200', '}'];
/** Script security on (no SECURITY VIOLATION noise); the instance body starts at line 4. */
const secure = (...body: string[]): string => lines('global_defs {', 'enable_script_security', '}', 'vrrp_instance VI_1 {', ...body, ...base, '}');
const load = (text: string) => parseConfigText(text, 's.conf');
const messages = (text: string): string[] => load(text).diagnostics.map(formatDiagnostic);
const words = (src: string): string[] | string => {
  const r = splitQuotedEscaped(src);
  return r.ok ? r.words.map((w) => w.text) : r.error;
};

describe('splitQuotedEscaped: keepalived alloc_strvec_quoted_escaped', () => {
  it.each([
    ['/bin/x a b', ['/bin/x', 'a', 'b']],
    ['  /bin/x \t a  ', ['/bin/x', 'a']],
    // The man page's own examples (keepalived.conf(5), "Quoted strings").
    ['abcd" efg h jkl "mnop', ['abcd efg h jkl mnop']],
    ['abcd "efg h jkl" mnop', ['abcd', 'efg h jkl', 'mnop']],
    ["/bin/x 'a b' \"c d\"", ['/bin/x', 'a b', 'c d']],
    ["'it'\"'\"'s'", ["it's"]],
    ['""', ['']],
    ['', []],
    ['a\\ b', ['a b']],
    ['\\x41\\x4a', ['AJ']],
    ['\\x141', ['A']],
    ['\\101\\0', ['A\u0000']],
    ['\\777', ['\u00ff']],
    ['\\cA', ['\u0001']],
    ['\\t\\n\\E', ['\t\n\u001b']],
    ['"a\\"b"', ['a"b']],
    ["'a\\'b'", ["a'b"]],
    ['\\\\', ['\\']],
    ['\\q', ['q']],
  ])('%j -> %j', (src, expected) => {
    expect(words(src)).toEqual(expected);
  });

  it.each([
    ['"abc', "missing terminating \" in '\"abc'"],
    ["a 'b c", "missing terminating ' in 'a 'b c'"],
    ['abc\\', "missing escape character at the end of 'abc\\'"],
  ])('%j is an error: %s', (src, error) => {
    expect(words(src)).toBe(error);
  });

  it('says which words were quoted (a quoted command is not followed by a user by mistake)', () => {
    const r = splitQuotedEscaped('"/bin/x" root a\\b');
    expect(r.ok && r.words.map((w) => w.quoted)).toEqual([true, false, true]);
  });
});

describe('notify command lines', () => {
  it('the first word is the command, split again into argv; then user and group', () => {
    const vi = load(secure('notify "/usr/bin/n.sh \'a b\' c" nobody nogroup')).config?.instances[0];
    expect(vi?.notify.generic).toEqual({ argv: ['/usr/bin/n.sh', 'a b', 'c'], user: 'nobody', group: 'nogroup', pos: { file: 's.conf', line: 5 } });
  });

  it("single quotes on the line itself work as in keepalived (the lexer alone would split them)", () => {
    const vi = load(secure("notify_master '/usr/bin/n.sh MASTER'")).config?.instances[0];
    expect(vi?.notify.master?.argv).toEqual(['/usr/bin/n.sh', 'MASTER']);
  });

  it('concatenated quoting and escapes reach argv', () => {
    const vi = load(secure('notify_backup /usr/bin/n"ot"i\\x66y.sh')).config?.instances[0];
    expect(vi?.notify.backup?.argv).toEqual(['/usr/bin/notify.sh']);
  });

  it('an unquoted argument is read as the user, as keepalived does, with a warning on how to quote', () => {
    const text = secure('notify_master /path/x.sh arg1');
    const vi = load(text).config?.instances[0];
    expect(vi?.notify.master).toMatchObject({ argv: ['/path/x.sh'], user: 'arg1', group: undefined });
    expect(messages(text)).toContain(
      's.conf:5: (VI_1) notify_master: \'arg1\' is read as the user to run /path/x.sh as, not as an argument (keepalived reads it the same way); ' +
        'to pass arguments quote the whole command: notify_master "/path/x.sh arg1"; to run it as that user write notify_master "/path/x.sh" arg1',
    );
  });

  it('two unquoted arguments: user and group, and the warning says so', () => {
    const text = secure('notify_fault /path/x.sh FAULT VI_1');
    expect(load(text).config?.instances[0]?.notify.fault).toMatchObject({ argv: ['/path/x.sh'], user: 'FAULT', group: 'VI_1' });
    expect(messages(text).some((m) => m.includes("'FAULT' is read as the user to run /path/x.sh as and 'VI_1' as its group, not as arguments"))).toBe(true);
  });

  it('a quoted command with a user is what the warning recommends: no warning', () => {
    const text = secure('notify_stop "/path/x.sh" root');
    expect(load(text).config?.instances[0]?.notify.stop).toMatchObject({ argv: ['/path/x.sh'], user: 'root' });
    expect(messages(text)).toEqual([]);
  });

  it('words after user and group are ignored, as keepalived does, with a warning', () => {
    expect(messages(secure('notify "/x.sh" u g extra more'))).toContain("s.conf:5: (VI_1) notify: 'extra more' after the user and group is ignored (keepalived ignores it too)");
  });

  it('an unterminated single quote or an empty command: error, the script is not used', () => {
    expect(messages(secure("notify '/x.sh a")).filter((m) => m.includes('missing'))).toEqual([
      "s.conf:5: (VI_1) notify: missing terminating ' in ''/x.sh a' - the script is not used",
    ]);
    expect(load(secure("notify '/x.sh a")).config).toBeUndefined();
    expect(messages(secure('notify ""'))).toContain('s.conf:5: (VI_1) notify: empty command - the script is not used');
  });

  it('a repeated notify_* keeps the first, as keepalived does', () => {
    const text = secure('notify_master /a.sh', 'notify_master /b.sh');
    expect(load(text).config?.instances[0]?.notify.master?.argv).toEqual(['/a.sh']);
    expect(messages(text)).toContain('s.conf:6: (VI_1) notify_master already specified at line 5 - ignoring this one');
  });

  it('notify_deleted may stand alone; with a command it is a script too', () => {
    const bare = load(secure('notify_deleted')).config?.instances[0];
    expect([bare?.notifyDeleted, bare?.notify.deleted]).toEqual([true, undefined]);
    expect(messages(secure('notify_deleted'))).toEqual(["s.conf:5: 'notify_deleted' is not supported yet - removed instances are not reported (no reload yet)"]);
    expect(load(secure('notify_deleted "/d.sh x"')).config?.instances[0]?.notify.deleted?.argv).toEqual(['/d.sh', 'x']);
  });

  it('notify_master_rx_lower_pri is typed like the others', () => {
    expect(load(secure('notify_master_rx_lower_pri "/l.sh"')).config?.instances[0]?.notify.masterRxLowerPri?.argv).toEqual(['/l.sh']);
  });
});

describe("vrrp_script's script line", () => {
  const script = (...body: string[]): string =>
    lines('global_defs {', 'enable_script_security', '}', 'vrrp_script chk {', ...body, '}', 'vrrp_instance VI_1 {', ...base, 'track_script {', 'chk', '}', '}');

  it('a quoted command line becomes argv', () => {
    expect(load(script('script "/usr/bin/killall -0 nginx"')).config?.scripts[0]?.command.argv).toEqual(['/usr/bin/killall', '-0', 'nginx']);
  });

  it('words after an unquoted command are dropped as keepalived drops them, with a warning', () => {
    const text = script('script /usr/bin/killall -0 nginx');
    expect(load(text).config?.scripts[0]?.command.argv).toEqual(['/usr/bin/killall']);
    expect(messages(text)).toContain(
      "s.conf:5: (chk) script: '-0 nginx' is ignored - keepalived runs only the first word as the command; quote the whole command line: script \"/usr/bin/killall -0 nginx\"",
    );
  });

  it('the user comes from the block\'s user keyword', () => {
    expect(load(script('script "/bin/true"', 'user nobody nogroup')).config?.scripts[0]?.command).toMatchObject({ user: 'nobody', group: 'nogroup' });
  });
});

describe('script-check: the pure decision behind -t\'s script file checks (keepalived check_script_secure)', () => {
  const dir = (uid = 0, mode = 0o40755): FileFacts => ({ isFile: false, isDirectory: true, isSymbolicLink: false, mode, uid, gid: 0 });
  const file = (uid = 0, mode = 0o100755, gid = 0): FileFacts => ({ isFile: true, isDirectory: false, isSymbolicLink: false, mode, uid, gid });
  const facts = (over: Partial<ScriptFacts> = {}): ScriptFacts => {
    const path = '/usr/local/bin/check.sh';
    return {
      command: path,
      resolvedPath: path,
      target: file(),
      pathEntries: scriptPathPrefixes(path).map((p, i, all) => ({ path: p, facts: i === all.length - 1 ? file() : dir() })),
      runAs: { uid: 0, gid: 0 },
      scriptSecurity: true,
      ...over,
    };
  };

  it('lists the path prefixes to stat', () => {
    expect(scriptPathPrefixes('/usr/local/bin/x')).toEqual(['/', '/usr', '/usr/local', '/usr/local/bin', '/usr/local/bin/x']);
  });

  it('a root-owned, root-only-writable executable script: no problem', () => {
    expect(checkScriptFile(facts())).toEqual([]);
  });

  it('a file-open test is never executed, so never checked', () => {
    expect(isOpenTest('</dev/tcp/127.0.0.1/80')).toBe(true);
    expect(isOpenTest('< /dev/tcp/127.0.0.1/80')).toBe(true);
    expect(checkScriptFile(facts({ command: '</dev/tcp/127.0.0.1/80', resolvedPath: undefined, target: undefined }))).toEqual([]);
  });

  it('missing: disabled', () => {
    expect(checkScriptFile(facts({ resolvedPath: undefined, target: undefined }))).toEqual([
      { kind: 'not-found', disables: true, class: undefined, message: 'Cannot find script /usr/local/bin/check.sh - disabling' },
    ]);
  });

  it('not executable for the user it runs as: disabled', () => {
    const problems = checkScriptFile(facts({ target: file(0, 0o100744), runAs: { uid: 1000, gid: 1000 } }));
    expect(problems).toEqual([{
      kind: 'not-executable', disables: true, class: undefined,
      message: "WARNING - script '/usr/local/bin/check.sh' is not executable for uid:gid 1000:1000 - disabling.",
    }]);
  });

  it('executable bits as keepalived reads them: root any x, owner u, group g, others o', () => {
    expect(isExecutableBy(file(5, 0o100001), 0, 0)).toBe(true);
    expect(isExecutableBy(file(5, 0o100670), 5, 9)).toBe(false);
    expect(isExecutableBy(file(5, 0o100010, 9), 6, 9)).toBe(true);
    expect(isExecutableBy(file(5, 0o100010, 9), 6, 8)).toBe(false);
  });

  it('group- or world-writable along the path, run as root with script security: disabled, class security', () => {
    const entries = facts().pathEntries.map((e) => (e.path === '/usr/local' ? { ...e, facts: dir(0, 0o40777) } : e));
    expect(checkScriptFile(facts({ pathEntries: entries }))).toEqual([{
      kind: 'insecure', disables: true, class: 'security',
      message: "Unsafe permissions found for script '/usr/local/bin/check.sh' - disabling (/usr/local is writable by a non-root user)",
    }]);
  });

  it('a sticky world-writable directory is fine (like /tmp); a non-root owner is not', () => {
    const sticky = facts().pathEntries.map((e) => (e.path === '/usr/local' ? { ...e, facts: dir(0, 0o41777) } : e));
    expect(checkScriptFile(facts({ pathEntries: sticky }))).toEqual([]);
    const owned = facts().pathEntries.map((e) => (e.path === '/usr/local/bin/check.sh' ? { ...e, facts: file(1000) } : e));
    expect(checkScriptFile(facts({ pathEntries: owned }))[0]?.message).toBe(
      "Unsafe permissions found for script '/usr/local/bin/check.sh' - disabling (/usr/local/bin/check.sh is owned by uid 1000)",
    );
  });

  it('without script security an unsafe script still runs (keepalived only reports it)', () => {
    const entries = facts().pathEntries.map((e) => (e.path === '/usr/local/bin/check.sh' ? { ...e, facts: file(0, 0o100777) } : e));
    expect(checkScriptFile(facts({ pathEntries: entries, scriptSecurity: false }))).toEqual([{
      kind: 'insecure', disables: false, class: 'security',
      message: "Unsafe permissions found for script '/usr/local/bin/check.sh' (/usr/local/bin/check.sh is writable by a non-root user)",
    }]);
  });

  it('run by an unprivileged user, permissions along the path do not matter', () => {
    const entries = facts().pathEntries.map((e) => (e.path === '/usr/local' ? { ...e, facts: dir(1000, 0o40777) } : e));
    expect(checkScriptFile(facts({ pathEntries: entries, runAs: { uid: 1000, gid: 1000 } }))).toEqual([]);
  });

  it('a directory where the file should be, or a file in the middle of the path: wrong type', () => {
    const entries = facts().pathEntries.map((e) => (e.path === '/usr/local/bin/check.sh' ? { ...e, facts: dir() } : e));
    expect(checkScriptFile(facts({ pathEntries: entries }))[0]).toMatchObject({ kind: 'wrong-type', disables: true });
  });
});
