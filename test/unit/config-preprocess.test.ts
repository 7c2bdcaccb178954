// The preprocessor without includes: comments, `@id` conditionals, `$NAME` parameters, ~SEQ/~LST,
// brace residue, positions and bounds. Expected texts were checked against keepalived 2.2.7 -t
// where keepalived gets them right (see the header of src/config/preprocess.ts for where not).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/config/config.js';
import { MAX_SUBSTITUTIONS, MAX_SUBSTITUTED_LENGTH } from '../../src/config/definitions.js';
import { lexLines } from '../../src/config/lexer.js';
import { parseConfigText } from '../../src/config/load.js';
import { MAX_EXPANSION_DEPTH, MAX_GENERATED_LINES, MAX_LINES, defaultConfigId, preprocessText, stripComment } from '../../src/config/preprocess.js';
import type { PreprocessOptions, PreprocessResult } from '../../src/config/preprocess.js';
import { KEEPALIVED_SAMPLES_DIR } from '../helpers/captures.js';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

const FILE = 'p.conf';
const run = (text: string, opts: PreprocessOptions = {}): PreprocessResult =>
  preprocessText(text, FILE, { configId: 'lb1', random: () => 0.5, ...opts });
const texts = (text: string, opts?: PreprocessOptions): string[] => run(text, opts).lines.map((l) => l.text);
const messages = (r: PreprocessResult): string[] => r.diagnostics.map(formatDiagnostic);
const lines = (...l: string[]): string => `${l.join('\n')}\n`;

describe('comments (keepalived decomment)', () => {
  it('cuts # and ! comments and the blanks around the text, and remembers the column', () => {
    const r = run(lines('# only a comment', '   priority 100   ! trailing', '', '\t \t'));
    expect(r.lines).toEqual([{ text: 'priority 100', pos: { file: FILE, line: 2 }, column: 4 }]);
  });

  it('CRLF line ends are plain line ends', () => {
    expect(texts('router_id A\r\n\r\n$X=1\r\nx $X\r\n')).toEqual(['router_id A', 'x 1']);
  });

  it('keeps comment characters inside double quotes and escaped ones (for the lexer)', () => {
    expect(stripComment('notify "/bin/x #1 !2" # c').text).toBe('notify "/bin/x #1 !2"');
    expect(stripComment('auth_pass ab\\#cd\\!e # c').text).toBe('auth_pass ab\\#cd\\!e');
  });

  it('a final backslash stays glued to the text (a continuation only matters to definitions)', () => {
    expect(stripComment('a b   \\').text).toBe('a b\\');
    expect(stripComment('a # comment \\').text).toBe('a\\');
  });

  it('the lexer then unescapes \\# and \\! exactly once, also after a substitution on the line', () => {
    const lexed = lexLines(run(lines('$P=cd', 'auth_pass ab\\#$P', 'router_id x\\!y')).lines);
    expect(lexed.lines.map((l) => l.tokens.map((t) => t.text))).toEqual([
      ['auth_pass', 'ab#cd'],
      ['router_id', 'x!y'],
    ]);
  });
});

describe('@ID conditional lines', () => {
  it('keeps @ID lines only for that id and @^ID lines only for other ids', () => {
    const text = lines('@lb1 priority 150', '@lb2 priority 100', '@^lb1 state BACKUP', '@^lb2 state MASTER');
    expect(texts(text, { configId: 'lb1' })).toEqual(['priority 150', 'state MASTER']);
    expect(texts(text, { configId: 'lb2' })).toEqual(['priority 100', 'state BACKUP']);
    expect(texts(text, { configId: 'other' })).toEqual(['state BACKUP', 'state MASTER']);
  });

  it('the id is compared whole, and a line with nothing after the id is dropped', () => {
    expect(texts(lines('@lb priority 1', '@lb10 priority 2', '@lb1', '@lb1\tpriority 3'), { configId: 'lb1' })).toEqual(['priority 3']);
  });

  it('the column of the kept text is its place in the physical line', () => {
    expect(run('  @lb1  priority 150\n').lines[0]?.column).toBe(9);
  });

  it('works after a brace (keepalived re-reads the rest of the line) and inside blocks', () => {
    expect(texts(lines('unicast_peer { @^lb1 192.0.2.1', '@^lb2 192.0.2.2 }'), { configId: 'lb1' })).toEqual([
      'unicast_peer',
      '{',
      '192.0.2.2',
      '}',
    ]);
  });

  it('the default id is the host name up to its first dot', () => {
    expect(defaultConfigId()).toBe(hostname().split('.')[0]);
  });

  it("keepalived's sample keepalived.conf.conditional_conf: -i high and -i low", () => {
    const text = readFileSync(join(KEEPALIVED_SAMPLES_DIR, 'keepalived.conf.conditional_conf'), 'utf8');
    const high = run(text, { configId: 'high' });
    expect(high.diagnostics).toEqual([]);
    expect(high.lines.map((l) => l.text)).toContain('priority 170');
    expect(high.lines.map((l) => l.text)).toContain('script /etc/keepalived/scripts/check_high_VI_0.sh');
    expect(high.lines.map((l) => l.text)).not.toContain('priority 85');
    const low = run(text, { configId: 'low' });
    expect(low.lines.find((l) => l.text === 'priority 85')?.pos.line).toBe(20);
    expect(low.lines.map((l) => l.text)).not.toContain('priority 170');
    // Through the whole front end: whatever the schema says about net_namespace, use_vmac or
    // version 3, nothing is about an '@' line any more.
    const loaded = parseConfigText(text, 'sample.conf', { configId: 'high' });
    expect(loaded.diagnostics.length).toBeGreaterThan(0);
    expect(loaded.diagnostics.filter((d) => d.message.includes('@') || [4, 8, 20].includes(d.pos.line))).toEqual([]);
  });
});

describe('$NAME parameters', () => {
  it('defines and substitutes $NAME (before a blank , ) or the end) and ${NAME} anywhere', () => {
    expect(texts(lines('$VRID=51', '$IF=eth0', 'virtual_router_id $VRID', 'interface ${IF}.10', 'x $VRID,$VRID)'))).toEqual([
      'virtual_router_id 51',
      'interface eth0.10',
      'x 51,51)',
    ]);
  });

  it('a definition needs = right after the name and only blanks before the $', () => {
    const r = run(lines('$X=1', '$Y =2', 'a $X', 'b $Y'));
    expect(r.lines.map((l) => l.text)).toEqual(['$Y =2', 'a 1', 'b $Y']);
  });

  it('substitutes at use time and recursively (keepalived.conf(5) example)', () => {
    const text = lines(
      '$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}',
      '$ADDRESS_BASE_SUB=0',
      '${ADDRESS_BASE}.100/32',
      '$ADDRESS_BASE_SUB=10',
      '${ADDRESS_BASE}.100/32',
    );
    expect(texts(text)).toEqual(['10.2.0.100/32', '10.2.10.100/32']);
  });

  it('substitutes inside double quotes too (keepalived substitutes before tokenising)', () => {
    expect(texts(lines('$S=/usr/bin/check', 'script "${S} --fast"'))).toEqual(['script "/usr/bin/check --fast"']);
  });

  it('an undefined name is left as written, with one warning per name', () => {
    const r = run(lines('a $NOPE', 'b ${NOPE} $OTHER'));
    expect(r.lines.map((l) => l.text)).toEqual(['a $NOPE', 'b $', '{', 'NOPE', '}', '$OTHER']);
    expect(messages(r)).toEqual([
      "p.conf:1: '$NOPE' is not defined and is left as written",
      "p.conf:2: '$OTHER' is not defined and is left as written",
    ]);
    expect(r.diagnostics.every((d) => d.severity === 'warning')).toBe(true);
  });

  it('a defined name glued to other text is not substituted (as keepalived), with a hint', () => {
    const r = run(lines('$X=1', 'kw $X.y ${X}.y'));
    expect(r.lines.map((l) => l.text)).toEqual(['kw $X.y 1.y']);
    expect(messages(r)).toEqual(["p.conf:2: '$X' is followed by '.' and so is not substituted: write ${X}"]);
  });

  it('a value may hold a conditional: $IF_MAIN=@main (keepalived.conf(5))', () => {
    expect(texts(lines('$IF_MAIN=@main', '$IF_MAIN priority 240'), { configId: 'main' })).toEqual(['priority 240']);
    expect(texts(lines('$IF_MAIN=@main', '$IF_MAIN priority 240'), { configId: 'backup' })).toEqual([]);
    expect(texts(lines('@main $PRIORITY=240', '@backup $PRIORITY=200', 'priority $PRIORITY'), { configId: 'backup' })).toEqual([
      'priority 200',
    ]);
  });

  it('predefined ${_HASH}, ${_BANG}, ${_INSTANCE}, ${_PWD}, ${_RANDOM}', () => {
    const text = lines('a "${_HASH}${_BANG}"', 'b ${_INSTANCE}', 'c ${_PWD}', 'd ${_RANDOM} ${_RANDOM 5} ${_RANDOM 10 20} e');
    expect(texts(text, { configId: 'lb9', random: () => 0.5 })).toEqual([
      'a "#!"',
      'b lb9',
      `c ${process.cwd()}`,
      'd 16384 16386 15 e',
    ]);
  });

  it('an unquoted ${_HASH} starts a comment, as in keepalived (it re-runs decomment)', () => {
    expect(texts('kw_a${_HASH}b c\n')).toEqual(['kw_a']);
  });

  it('${_RANDOM MIN MAX} stays in range; MIN > MAX is swapped with a warning', () => {
    expect(texts('x ${_RANDOM 3 3}\n', { random: () => 0.999 })).toEqual(['x 3']);
    const r = run('x ${_RANDOM 9 7}\n', { random: () => 0 });
    expect(r.lines.map((l) => l.text)).toEqual(['x 7']);
    expect(messages(r)).toEqual(['p.conf:1: ${_RANDOM 9 7}: MIN is above MAX, using 7..9']);
  });

  it('a user definition replaces a predefined one', () => {
    expect(texts(lines('$_HASH=hash', 'x ${_HASH}'))).toEqual(['x hash']);
  });

  it('a multi-line definition: lines end in \\, used at the end of a line; each line keeps the use position', () => {
    const text = lines(
      '$INSTANCE= \\', //                1
      '  vrrp_instance VI_${NUM} { \\', // 2
      '    @lb1 priority 130 \\', //      3
      '    @lb2 priority 120 \\', //      4
      '    virtual_router_id ${NUM} \\', // 5
      '  }', //                          6
      '$NUM=1', //                       7
      '$INSTANCE', //                    8
      '$NUM=2', //                       9
      'x $INSTANCE', //                  10
    );
    const r = run(text, { configId: 'lb1' });
    expect(r.diagnostics).toEqual([]);
    expect(r.lines.map((l) => `${l.pos.line}: ${l.text}`)).toEqual([
      '8: vrrp_instance VI_1',
      '8: {',
      '8: priority 130',
      '8: virtual_router_id 1',
      '8: }',
      '10: x vrrp_instance VI_2',
      '10: {',
      '10: priority 130',
      '10: virtual_router_id 2',
      '10: }',
    ]);
  });

  it('a multi-line definition in the middle of a line is left as written, with a warning', () => {
    const r = run(lines('$M=a \\', 'b', 'x $M y'));
    expect(r.lines.map((l) => l.text)).toEqual(['x $M y']);
    expect(messages(r)).toEqual(["p.conf:3: '$M' is a multi-line definition and can only be used at the end of a line; left as written"]);
  });

  it('nested multi-line definitions (keepalived.conf(5) $VS / $RS)', () => {
    const text = lines('$RS= \\', 'real ${N} \\', 'end_rs', '$VS= \\', 'vs { \\', '$N=1 \\', '$RS \\', '$N=2 \\', '$RS \\', '}', '$VS');
    expect(texts(text)).toEqual(['vs', '{', 'real 1', 'end_rs', 'real 2', 'end_rs', '}']);
  });

  it('an empty line or a comment-only line ends a multi-line definition (what keepalived\'s VRRP process reads)', () => {
    expect(texts(lines('$M=\\', 'a \\', '# note', 'b', 'x $M'))).toEqual(['b', 'x a']);
    expect(texts(lines('$M=\\', 'a \\', '', 'b', 'x $M'))).toEqual(['b', 'x a']);
  });

  it('a multi-line definition still open at the end of the file ends there, with a warning', () => {
    const r = run(lines('$M=\\', 'a \\', 'b \\'));
    expect(messages(r)).toEqual([
      "p.conf:1: the multi-line definition of '$M' is still open at the end of 'p.conf' (its last line ends in '\\'); it ends there",
    ]);
    expect(r.diagnostics[0]?.severity).toBe('warning');
  });

  it('a definition of itself is an error, not a hang (keepalived loops forever on $A=${A})', () => {
    const r = run(lines('$A=${A}', 'x ${A}', 'y ok'));
    expect(r.lines.map((l) => l.text)).toEqual(['y ok']);
    expect(messages(r)).toEqual([
      `p.conf:2: parameter substitution does not end (more than ${MAX_SUBSTITUTIONS} substitutions on one line; is a parameter defined in terms of itself?)`,
    ]);
  });

  it('exponential growth is cut at the line length bound', () => {
    const defs = Array.from({ length: 20 }, (_, i) => `$D${i}=\${D${i + 1}}\${D${i + 1}}`);
    const r = run(lines(...defs, `$D20=${'x'.repeat(3000)}`, 'x ${D0}'));
    expect(r.lines).toEqual([]);
    expect(messages(r)).toEqual([`p.conf:22: parameter substitution makes the line longer than ${MAX_SUBSTITUTED_LENGTH} characters`]);
  });

  it('a multi-line definition that uses itself stops at the nesting bound', () => {
    const r = run(lines('$M=\\', 'x \\', '$M', '$M'));
    expect(r.diagnostics.map((d) => d.severity)).toEqual(['error']);
    expect(messages(r)[0]).toContain(`nested more than ${MAX_EXPANSION_DEPTH} deep`);
    // The use on line 4, then one line per nested expansion until the bound.
    expect(r.lines).toHaveLength(MAX_EXPANSION_DEPTH + 1);
  });
});

describe('~SEQ and ~LST', () => {
  const seq = (line: string): string[] => texts(`${line} v$i\n`);

  it('the three ~SEQ forms, up and down, and ~SEQx in hexadecimal', () => {
    expect(seq('~SEQ(i,3)')).toEqual(['v1', 'v2', 'v3']);
    expect(seq('~SEQ(i,-2)')).toEqual(['v-1', 'v-2']);
    expect(seq('~SEQ(i,0)')).toEqual(['v1', 'v0']);
    expect(seq('~SEQ(i,2,4)')).toEqual(['v2', 'v3', 'v4']);
    expect(seq('~SEQ(i,5,3)')).toEqual(['v5', 'v4', 'v3']);
    expect(seq('~SEQ(i,1,2,7)')).toEqual(['v1', 'v3', 'v5', 'v7']);
    expect(seq('~SEQ(i,10,-5,0)')).toEqual(['v10', 'v5', 'v0']);
    expect(seq('~SEQ ( i , 0x9 , 0xb )')).toEqual(['v9', 'v10', 'v11']);
    expect(seq('~SEQx(i,0x9,0xb)')).toEqual(['v9', 'va', 'vb']);
    expect(seq('~SEQ(i,010,011)')).toEqual(['v8', 'v9']); // strtol base 0: octal
    expect(texts('~SEQ(i,1,2)kw$i\n')).toEqual(['kw1', 'kw2']);
  });

  it('~SEQ numbers may be parameters', () => {
    expect(texts(lines('$N=3', '~SEQ(i,$N) v$i'))).toEqual(['v1', 'v2', 'v3']);
  });

  it('invalid ~SEQ specifications are errors at their line', () => {
    const r = run(lines('~SEQ(i,1,0,3) a', '~SEQ(i,1,-1,3) b', '~SEQx(i,-1,3) c', '~SEQ(i) d', '~SEQ(i,1', '~SEQUENCE(i,3) e', '~SEQ(,3) f'));
    expect(r.lines).toEqual([]);
    expect(messages(r)).toEqual([
      "p.conf:1: invalid ~SEQ values '~SEQ(i,1,0,3) a'",
      "p.conf:2: invalid ~SEQ values '~SEQ(i,1,-1,3) b'",
      "p.conf:3: ~SEQx is only valid for positive numbers '~SEQx(i,-1,3) c'",
      "p.conf:4: invalid ~SEQ specification '~SEQ(i) d'",
      "p.conf:5: invalid ~SEQ specification '~SEQ(i,1'",
      "p.conf:6: invalid ~SEQ specification '~SEQUENCE(i,3) e'",
      "p.conf:7: invalid ~SEQ specification '~SEQ(,3) f'",
    ]);
  });

  it('~LST with one variable and with several, missing values empty', () => {
    expect(texts('~LST(p, a, b) kw_$p\n')).toEqual(['kw_a', 'kw_b']);
    expect(texts('~LST({IP, IP1}, {10,1},{20,4},{5}) 192.168.${IP}.${IP1}x\n')).toEqual([
      '192.168.10.1x',
      '192.168.20.4x',
      '192.168.5.x',
    ]);
  });

  it('invalid ~LST specifications are errors', () => {
    const r = run(lines('~LST(u, x y, z) a', '~LST({a,b},{1,2,3}) b', '~LST(v a'));
    expect(messages(r)).toEqual([
      "p.conf:1: invalid ~LST specification '~LST(u, x y, z) a'",
      "p.conf:2: ~LST specification has too many values '~LST({a,b},{1,2,3}) b'",
      "p.conf:3: invalid ~LST specification '~LST(v a'",
    ]);
  });

  it('nested replication, outer first (keepalived.conf(5) examples)', () => {
    expect(texts('~LST(IP, 1, 2) ~LST(IP1, 5,6) 192.169.${IP}.${IP1}\n')).toEqual([
      '192.169.1.5',
      '192.169.1.6',
      '192.169.2.5',
      '192.169.2.6',
    ]);
    expect(texts('~LST({IP, IP1}, {10,1},{20,4}) ~SEQ(IP2,168,2,170) 192.${IP2}.${IP}.${IP1}\n')).toEqual([
      '192.168.10.1',
      '192.170.10.1',
      '192.168.20.4',
      '192.170.20.4',
    ]);
  });

  it('the variable stays defined after the block (as in keepalived)', () => {
    expect(texts(lines('~SEQ(i,1,2) a$i', 'b $i'))).toEqual(['a1', 'a2', 'b 2']);
  });

  it('a ~SEQ in a parameter value runs before the rest of the line is substituted', () => {
    expect(texts(lines('$S=~SEQ(i,1,2)', '$S kw$i'))).toEqual(['kw1', 'kw2']);
  });

  it('generates 250 vrrp_instances through the whole front end, each at the ~SEQ line', () => {
    const text = lines(
      '$INST=\\',
      'vrrp_instance VI_${i} { \\',
      '  state BACKUP \\',
      '  interface eth0 \\',
      '  virtual_router_id ${i} \\',
      '  priority 100 \\',
      '  virtual_ipaddress { \\',
      '    192.0.2.${i} \\',
      '  } \\',
      '}',
      '',
      '~SEQ(i, 1, 250) $INST',
    );
    const result = parseConfigText(text, 'seq.conf', { configId: 'x' });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const instances = result.config?.instances ?? [];
    expect(instances).toHaveLength(250);
    expect(instances.map((i) => i.name).slice(0, 3)).toEqual(['VI_1', 'VI_2', 'VI_3']);
    expect(instances.map((i) => i.vrid)).toEqual(Array.from({ length: 250 }, (_, k) => k + 1));
    expect(instances[249]?.vips.map((v) => v.address)).toEqual(['192.0.2.250']);
    expect(instances.every((i) => i.pos.file === 'seq.conf' && i.pos.line === 12)).toBe(true);
  });

  it(`more than ${MAX_GENERATED_LINES} generated lines is an error, and does not take long`, () => {
    const started = Date.now();
    const r = run(lines('~SEQ(i,1,1000000000)', '~SEQ(i,1,1000) ~SEQ(j,1,1000) x', 'after'));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(messages(r)).toEqual([`p.conf:1: ~SEQ/~LST and multi-line parameters generate more than ${MAX_GENERATED_LINES} lines; the rest is dropped`]);
    expect(r.lines.at(-1)?.text).toBe('after');
  });
});

describe('the whole is bounded', () => {
  it(`more than ${MAX_LINES} lines stops the reading with an error`, () => {
    const r = run('a\n'.repeat(MAX_LINES + 5));
    expect(messages(r)).toEqual([`p.conf:${MAX_LINES + 1}: the configuration has more than ${MAX_LINES} lines; reading stops here`]);
    expect(r.lines).toHaveLength(MAX_LINES);
  });
});

describe('lines after a brace are read again (keepalived line_residue)', () => {
  it('splits at the first brace outside quotes; positions and columns follow the pieces', () => {
    const r = run('vrrp_instance VI_1 { state "a{b" } x\n');
    expect(r.lines.map((l) => [l.text, l.column])).toEqual([
      ['vrrp_instance VI_1', 1],
      ['{', 20],
      ['state "a{b"', 22],
      ['}', 34],
      ['x', 36],
    ]);
  });

  it('a definition or a ~SEQ after a brace works, as in keepalived', () => {
    expect(texts(lines('a { $Q=5', 'b $Q'))).toEqual(['a', '{', 'b 5']);
  });
});
