import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/config/config.js';
import { lexConfig } from '../../src/config/lexer.js';
import { parseLines } from '../../src/config/parser.js';
import type { ConfigNode } from '../../src/config/parser.js';

const parse = (text: string, file = 't.conf') => parseLines(lexConfig(text, file).lines);

/** The tree without positions: [keyword, args, children?]. */
type Shape = [string, string[]] | [string, string[], Shape[]];
const shape = (nodes: readonly ConfigNode[]): Shape[] =>
  nodes.map((n) => (n.children === undefined ? [n.keyword, [...n.args]] : [n.keyword, [...n.args], shape(n.children)]));

describe('parser: nesting', () => {
  it('builds blocks, leaves and nested blocks with positions', () => {
    const text = [
      'global_defs {',
      '  router_id A',
      '}',
      'vrrp_instance VI_1 {',
      '  state MASTER',
      '  authentication {',
      '    auth_type PASS',
      '  }',
      '}',
    ].join('\n');
    const { nodes, diagnostics } = parse(text);
    expect(diagnostics).toEqual([]);
    expect(shape(nodes)).toEqual([
      ['global_defs', [], [['router_id', ['A']]]],
      ['vrrp_instance', ['VI_1'], [['state', ['MASTER']], ['authentication', [], [['auth_type', ['PASS']]]]]],
    ]);
    const instance = nodes[1];
    expect(instance?.pos).toEqual({ file: 't.conf', line: 4 });
    expect(instance?.children?.[1]?.children?.[0]?.pos).toEqual({ file: 't.conf', line: 7 });
  });

  it('takes the opening brace from the next line', () => {
    const { nodes, diagnostics } = parse('vrrp_instance VI_1\n{\n  priority 1\n}\n');
    expect(diagnostics).toEqual([]);
    expect(shape(nodes)).toEqual([['vrrp_instance', ['VI_1'], [['priority', ['1']]]]]);
  });

  it('reads one-line blocks, including several values', () => {
    const { nodes } = parse('virtual_ipaddress { 192.0.2.200 }\nnotification_email { a@x }\nx {}\n');
    expect(shape(nodes)).toEqual([
      ['virtual_ipaddress', [], [['192.0.2.200', []]]],
      ['notification_email', [], [['a@x', []]]],
      ['x', [], []],
    ]);
  });

  it('ends a statement at a brace, like keepalived (one keyword per line)', () => {
    const { nodes } = parse('a { b 1 } c 2\nd {\ne { f }\n}\n');
    expect(shape(nodes)).toEqual([
      ['a', [], [['b', ['1']]]],
      ['c', ['2']],
      ['d', [], [['e', [], [['f', []]]]]],
    ]);
  });

  it('keeps several sub-keywords on one line as one statement (keepalived does the same)', () => {
    const { nodes } = parse('authentication { auth_type PASS auth_pass 1111 }\n');
    expect(shape(nodes)).toEqual([['authentication', [], [['auth_type', ['PASS', 'auth_pass', '1111']]]]]);
  });
});

describe('parser: unbalanced braces', () => {
  it('a missing } is reported at the line of the opening brace', () => {
    const text = ['global_defs {', '  router_id A', '}', 'vrrp_instance VI_1 {', '  virtual_ipaddress {', '    192.0.2.1', '}'].join('\n');
    const { diagnostics } = parse(text, 'm.conf');
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      "m.conf:4: missing '}': the 'vrrp_instance' block opened here is never closed",
    ]);
  });

  it('reports every unclosed block, outermost first, at its brace (even on the next line)', () => {
    const { diagnostics } = parse('a\n{\n  b {\n', 'm.conf');
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      "m.conf:2: missing '}': the 'a' block opened here is never closed",
      "m.conf:3: missing '}': the 'b' block opened here is never closed",
    ]);
  });

  it('a stray } is reported at its own line and parsing goes on', () => {
    const { nodes, diagnostics } = parse('a {\n}\n}\nb 1\n', 's.conf');
    expect(diagnostics.map(formatDiagnostic)).toEqual(["s.conf:3: unexpected '}' (no block is open)"]);
    expect(diagnostics[0]?.severity).toBe('error');
    expect(shape(nodes)).toEqual([['a', [], []], ['b', ['1']]]);
  });

  it('a { with no keyword before it is an error, and its block is still matched', () => {
    const { nodes, diagnostics } = parse('a {\n}\n{\nc 1\n}\nd 2\n', 'u.conf');
    expect(diagnostics.map(formatDiagnostic)).toEqual(["u.conf:3: unexpected '{' (no keyword before it)"]);
    expect(shape(nodes)).toEqual([['a', [], []], ['d', ['2']]]);
  });
});

describe('parser: unknown blocks', () => {
  it('keeps an unknown block whole, nested blocks included, so nothing leaks out (the schema skips it)', () => {
    const text = 'vrrp_instance VI_1 {\n  foo {\n    priority 200\n    bar { state MASTER }\n  }\n  priority 100\n}\n';
    const { nodes, diagnostics } = parse(text);
    expect(diagnostics).toEqual([]);
    expect(shape(nodes)).toEqual([
      [
        'vrrp_instance',
        ['VI_1'],
        [
          ['foo', [], [['priority', ['200']], ['bar', [], [['state', ['MASTER']]]]]],
          ['priority', ['100']],
        ],
      ],
    ]);
  });
});
