// `include` and its variants: globs, relative paths, file:line inside included files, strictness
// (-e, include_check, includer/m/w/b/a), loops, nesting, and files that must never hang or
// swallow memory (directories, FIFOs, /dev/zero, huge files).
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/config/config.js';
import type { ConfigDiagnostic } from '../../src/config/config.js';
import { loadConfig, parseConfigText } from '../../src/config/load.js';
import { MAX_FILES, MAX_FILE_BYTES, MAX_INCLUDE_DEPTH, MAX_TOTAL_BYTES, preprocessFile, preprocessText } from '../../src/config/preprocess.js';
import type { PreprocessOptions, PreprocessResult } from '../../src/config/preprocess.js';
import { FIXTURES_DIR } from '../helpers/captures.js';

const tree = join(FIXTURES_DIR, 'config/include');
const messages = (diagnostics: readonly ConfigDiagnostic[]): string[] => diagnostics.map(formatDiagnostic);

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vrrpd-include-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Write files under the temp dir (relative names), return the path of the first. */
function files(entries: Record<string, string>): string {
  const paths = Object.entries(entries).map(([name, text]) => {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
    return path;
  });
  return paths[0] as string;
}

const pre = (path: string, opts: PreprocessOptions = {}): PreprocessResult => preprocessFile(path, { configId: 'lb1', ...opts });
const texts = (r: PreprocessResult): string[] => r.lines.map((l) => l.text);

describe('an include tree (test/fixtures/config/include/main.conf)', () => {
  const main = join(tree, 'main.conf');

  it('reads the files in place: globs sorted, brace alternatives in written order, paths relative to the including file', () => {
    const result = loadConfig(main, { configId: 'lb1' });
    expect(messages(result.diagnostics)).toEqual([`${main}:7: no config file matches 'optional/*.conf'`]);
    expect(result.files).toEqual(
      ['main.conf', 'defs.conf', 'global/router.conf', 'global/smtp.conf', 'instances/vi2.conf', 'instances/vi1.conf', 'vips/vi1.conf'].map((f) =>
        join(tree, f),
      ),
    );
    expect(result.config?.global.routerId).toBe('lb1_router');
    expect(result.config?.global.smtpServer).toBe('127.0.0.1');
    const instances = result.config?.instances ?? [];
    expect(instances.map((i) => [i.name, i.interface, i.vips.map((v) => v.address)])).toEqual([
      ['VI_2', 'eth0', ['192.0.2.202']],
      ['VI_1', 'eth0', ['192.0.2.201']],
    ]);
    // Every line keeps its own file and line.
    expect(instances[1]?.pos).toEqual({ file: join(tree, 'instances/vi1.conf'), line: 1 });
    expect(instances[1]?.vips[0]?.pos).toEqual({ file: join(tree, 'vips/vi1.conf'), line: 2 });
  });

  it('with -e (includeCheck) the glob that matches nothing is an error of class missing', () => {
    const result = loadConfig(main, { configId: 'lb1', includeCheck: true });
    expect(result.config).toBeUndefined();
    expect(result.diagnostics).toEqual([
      { severity: 'error', class: 'missing', pos: { file: main, line: 7 }, message: "no config file matches 'optional/*.conf'" },
    ]);
  });

  it('problems inside an included file name that file and line, in reading order', () => {
    const path = join(tree, 'errors.conf');
    const inner = join(tree, 'bad/inner.conf');
    const result = loadConfig(path, { configId: 'lb1' });
    const found = messages(result.diagnostics);
    expect(found[0]).toBe(`${inner}:4: invalid ~SEQ values '~SEQ(i,1,0,3) x$i'`);
    // The schema's verdict on `priority 300` (whatever its words) is at inner.conf:6.
    expect(found.some((m) => m.startsWith(`${inner}:6: `))).toBe(true);
    expect(result.diagnostics.every((d) => d.pos.file === inner)).toBe(true);
  });

  it('an include loop is an error naming the chain', () => {
    const a = join(tree, 'loop/a.conf');
    const b = join(tree, 'loop/b.conf');
    const result = pre(a);
    expect(messages(result.diagnostics)).toEqual([`${b}:2: include loop: ${a} -> ${b} -> ${a}`]);
    expect(texts(result)).toEqual(['router_id from_b']);
    expect(result.files).toEqual([a, b]);
  });
});

describe('where includes are recognised', () => {
  it('inside blocks and with a substituted file name', () => {
    const main = files({ 'sub1/main.conf': '$F=part.conf\nglobal_defs {\ninclude $F\n}\n', 'sub1/part.conf': 'router_id R\n' });
    expect(texts(pre(main))).toEqual(['global_defs', '{', 'router_id R', '}']);
  });

  it('${_PWD} is the directory of the file being read', () => {
    const main = files({ 'pwd/main.conf': 'include inner/x.conf\nb ${_PWD}\n', 'pwd/inner/x.conf': 'a ${_PWD}\n' });
    expect(texts(pre(main))).toEqual([`a ${join(dir, 'pwd/inner')}`, `b ${join(dir, 'pwd')}`]);
  });

  it('an include produced by @, $, ~SEQ or a brace is refused (keepalived reads such files twice)', () => {
    const main = files({
      'produced/main.conf': [
        '@lb1 include part.conf',
        '$INC=include part.conf',
        '$INC',
        '~SEQ(i,1,1) include part.conf',
        'global_defs { include part.conf }',
        '@lb2 include part.conf',
        '',
      ].join('\n'),
      'produced/part.conf': 'router_id R\n',
    });
    const result = pre(main);
    expect(result.diagnostics.map((d) => [d.pos.line, d.severity])).toEqual([
      [1, 'error'],
      [3, 'error'],
      [4, 'error'],
      [5, 'error'],
    ]);
    expect(result.diagnostics[0]?.message).toMatch(/^'include' here is the result of '@', '\$', '~SEQ'\/'~LST' or brace processing/);
    expect(texts(result)).toEqual(['global_defs', '{']);
    expect(result.files).toEqual([main]);
  });

  it('"include" needs blank space after it (keepalived is_include); includex is a keyword', () => {
    const main = files({ 'kw/main.conf': 'includex part.conf\ninclude\n' });
    expect(texts(pre(main))).toEqual(['includex part.conf', 'include']);
  });

  it('parseConfigText resolves includes against the directory of its file name', () => {
    files({ 'text/part.conf': 'router_id from_part\n' });
    const result = preprocessText('include part.conf\n', join(dir, 'text/virtual.conf'), { configId: 'x' });
    expect(texts(result)).toEqual(['router_id from_part']);
    expect(result.files).toEqual([join(dir, 'text/virtual.conf'), join(dir, 'text/part.conf')]);
    expect(parseConfigText('include part.conf\n', join(dir, 'text/virtual.conf')).files).toHaveLength(2);
  });
});

describe('strictness: include, includer/m/w/b/a, -e, include_check', () => {
  const cases: [string, string, boolean][] = [
    ['include missing.conf', "no config file matches 'missing.conf'", false],
    ['include none/*.conf', "no config file matches 'none/*.conf'", false],
    ['includer missing.conf', "no config file matches 'missing.conf'", false],
    ['includem missing.conf', "no config file matches 'missing.conf'", true],
    ['includem d/*.none', "no config file matches 'd/*.none'", false],
    ['includew d/*.none', "no config file matches 'd/*.none'", true],
    ['include d', "cannot include 'DIR/d': EISDIR: it is a directory, not a file", false],
    ['includer d', "cannot include 'DIR/d': EISDIR: it is a directory, not a file", true],
    ['include d/{a,zz}.conf', "some of the files 'd/{a,zz}.conf' names are missing", false],
    ['includeb d/{a,zz}.conf', "some of the files 'd/{a,zz}.conf' names are missing", true],
    ['includea d/*.none', "no config file matches 'd/*.none'", true],
  ];

  it.each(cases)('%s: %s (error: %s)', (line, message, isError) => {
    const base = join(dir, 'strict');
    const main = files({ 'strict/main.conf': `${line}\n`, 'strict/d/a.conf': 'router_id A\n' });
    const result = pre(main);
    expect(messages(result.diagnostics)).toEqual([`${main}:1: ${message.replace('DIR', base)}`]);
    expect(result.diagnostics[0]?.severity).toBe(isError ? 'error' : 'warning');
    expect(result.diagnostics[0]?.class).toBe(isError ? 'missing' : undefined);
    // A partial brace match still reads what exists, unless brace checking is on.
    if (line === 'include d/{a,zz}.conf') expect(texts(result)).toEqual(['router_id A']);
    if (line === 'includeb d/{a,zz}.conf') expect(texts(result)).toEqual([]);
  });

  it('-e makes a plain include strict', () => {
    const main = files({ 'strict-e/main.conf': 'include missing.conf\n' });
    expect(pre(main, { includeCheck: true }).diagnostics).toEqual([
      { severity: 'error', class: 'missing', pos: { file: main, line: 1 }, message: "no config file matches 'missing.conf'" },
    ]);
  });

  it('include_check in global_defs applies to the includes after it; inside an included file it stays there', () => {
    const main = files({
      'check/main.conf': [
        'include before.conf', //                                      1: warning
        'global_defs {', //                                            2
        '  include_check match', //                                    3
        '}', //                                                        4
        'include missing1.conf', //                                    5: error
        'include inner.conf', //                                       6
        'include missing3.conf', //                                    7: error again
        'vrrp_instance X {', //                                        8
        '  include_check -match', //                                   9: not global_defs: ignored here
        '}', //                                                        10
        'include missing4.conf', //                                    11: error
        '',
      ].join('\n'),
      'check/inner.conf': 'global_defs {\n  include_check -match\n}\ninclude missing2.conf\n',
    });
    const result = pre(main);
    const inner = join(dir, 'check/inner.conf');
    expect(result.diagnostics.map((d) => [`${d.pos.file === inner ? 'inner' : 'main'}:${d.pos.line}`, d.severity])).toEqual([
      ['main:1', 'warning'],
      ['main:5', 'error'],
      ['inner:4', 'warning'],
      ['main:7', 'error'],
      ['main:11', 'error'],
    ]);
  });

  it('include_check with an unknown type is an error (keepalived include_check_set)', () => {
    const main = files({ 'check-bad/main.conf': 'global_defs {\n  include_check all\n}\n' });
    expect(messages(pre(main).diagnostics)).toEqual([`${main}:2: unknown include_check type 'all' - ignoring`]);
  });
});

describe('files that must not hang or blow memory', () => {
  it('a FIFO nobody writes to is refused at once (main file and include)', () => {
    const fifo = join(dir, 'fifo.conf');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    const main = files({ 'fifo-main.conf': `include ${fifo}\n` });
    expect(messages(pre(main).diagnostics)).toEqual([`${main}:1: cannot include '${fifo}': it is a FIFO, not a regular file`]);
    expect(messages(loadConfig(fifo).diagnostics)).toEqual([`${fifo}: cannot read config file: it is a FIFO, not a regular file`]);
    expect(loadConfig(fifo).diagnostics[0]?.class).toBe('missing');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('/dev/zero is refused (main file and include)', () => {
    const main = files({ 'zero.conf': 'include /dev/zero\n' });
    expect(messages(pre(main).diagnostics)).toEqual([`${main}:1: cannot include '/dev/zero': it is a character device, not a regular file`]);
    expect(pre(main, { includeCheck: true }).diagnostics[0]).toMatchObject({ severity: 'error', class: 'missing' });
    expect(loadConfig('/dev/zero').diagnostics).toEqual([
      { severity: 'error', class: 'missing', pos: { file: '/dev/zero', line: 0 }, message: 'cannot read config file: it is a character device, not a regular file' },
    ]);
  });

  it('a directory as the main file', () => {
    expect(messages(loadConfig(tree).diagnostics)).toEqual([`${tree}: cannot read config file: EISDIR: it is a directory, not a file`]);
  });

  it(`a file larger than ${MAX_FILE_BYTES} bytes is refused without being read`, () => {
    const huge = join(dir, 'huge.conf');
    const fd = openSync(huge, 'w');
    ftruncateSync(fd, MAX_FILE_BYTES + 1024 * 1024); // sparse: costs no disk
    closeSync(fd);
    const main = files({ 'huge-main.conf': `include ${huge}\n` });
    expect(messages(pre(main).diagnostics)).toEqual([`${main}:1: cannot include '${huge}': it is larger than 8 MiB (9437184 bytes)`]);
    expect(messages(loadConfig(huge).diagnostics)).toEqual([`${huge}: cannot read config file: it is larger than 8 MiB (9437184 bytes)`]);
  });

  it(`all files together are bounded to ${MAX_TOTAL_BYTES} bytes`, () => {
    const parts = Array.from({ length: 5 }, (_, i) => join(dir, `big/part${i}.conf`));
    mkdirSync(join(dir, 'big'), { recursive: true });
    for (const part of parts) {
      // 7 MiB of comment lines each: 5 of them make 35 MiB.
      writeFileSync(part, `# ${'x'.repeat(1022)}\n`.repeat(7 * 1024));
    }
    const main = files({ 'big/main.conf': 'include part*.conf\n' });
    const result = pre(main);
    expect(messages(result.diagnostics)).toEqual([`${main}:1: cannot include '${parts[4]}': the config files would be larger than 32 MiB in all`]);
    expect(result.files).toEqual([main, ...parts.slice(0, 4)]);
  });

  it('an executable file is refused, as keepalived check_glob_file() does', () => {
    const main = files({ 'exec/main.conf': 'include part.conf\n', 'exec/part.conf': 'router_id R\n' });
    chmodSync(join(dir, 'exec/part.conf'), 0o755);
    expect(messages(pre(main).diagnostics)).toEqual([
      `${main}:1: cannot include '${join(dir, 'exec/part.conf')}': it is executable (keepalived reads only non-executable config files)`,
    ]);
  });

  it(`includes nest at most ${MAX_INCLUDE_DEPTH} deep`, () => {
    const chain: Record<string, string> = {};
    for (let i = 0; i < 40; i++) chain[`deep/f${i}.conf`] = `include f${i + 1}.conf\nlevel ${i}\n`;
    const main = files(chain);
    const result = pre(main);
    const last = join(dir, `deep/f${MAX_INCLUDE_DEPTH - 1}.conf`);
    expect(messages(result.diagnostics)).toEqual([
      `${last}:1: includes are nested more than ${MAX_INCLUDE_DEPTH} deep; '${join(dir, `deep/f${MAX_INCLUDE_DEPTH}.conf`)}' is not read`,
    ]);
    expect(result.files).toHaveLength(MAX_INCLUDE_DEPTH);
    expect(texts(result)[0]).toBe(`level ${MAX_INCLUDE_DEPTH - 1}`);
  });

  it(`at most ${MAX_FILES} files are read, the main one included`, () => {
    const many: Record<string, string> = { 'many/main.conf': 'include f*.conf\n' };
    for (let i = 0; i < MAX_FILES + 5; i++) many[`many/f${String(i).padStart(4, '0')}.conf`] = '';
    const main = files(many);
    const result = pre(main);
    expect(messages(result.diagnostics)).toEqual([
      `${main}:1: more than ${MAX_FILES} config files; '${join(dir, 'many/f0999.conf')}' and what follows are not read`,
    ]);
    expect(result.files).toHaveLength(MAX_FILES);
  });

  it('a line longer than the line bound is an error, not a giant token', () => {
    const main = files({ 'long.conf': `router_id ${'x'.repeat(70 * 1024)}\nok\n` });
    const result = pre(main);
    expect(messages(result.diagnostics)).toEqual([
      `${main}:1: line longer than 65536 characters (keepalived reads lines of up to 1023); it is ignored`,
    ]);
    expect(texts(result)).toEqual(['ok']);
  });
});
