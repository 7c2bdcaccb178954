import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/config/config.js';
import { lexConfig, lexLines } from '../../src/config/lexer.js';
import type { LexedLine } from '../../src/config/lexer.js';

/** Each line as the list of its token texts, braces included. */
const texts = (lines: readonly LexedLine[]): string[][] => lines.map((l) => l.tokens.map((t) => t.text));

describe('lexer: comments', () => {
  it('drops # and ! comments, whole-line and trailing', () => {
    const { lines } = lexConfig('# a comment\n! another\npriority 100 # trailing\nstate MASTER! glued\n', 'f');
    expect(texts(lines)).toEqual([['priority', '100'], ['state', 'MASTER']]);
  });

  it('keeps # and ! inside double quotes', () => {
    const { lines } = lexConfig('notify "/bin/x.sh #1 !2"\n', 'f');
    expect(texts(lines)).toEqual([['notify', '/bin/x.sh #1 !2']]);
    expect(lines[0]?.tokens[1]?.quoted).toBe(true);
  });

  it('a comment may start right after a closing quote', () => {
    const { lines } = lexConfig('auth_pass "a#b"#comment\n', 'f');
    expect(texts(lines)).toEqual([['auth_pass', 'a#b']]);
  });

  it('\\# and \\! outside quotes are literal characters (keepalived decomment)', () => {
    const { lines } = lexConfig('auth_pass ab\\#cd\\!e\n', 'f');
    expect(texts(lines)).toEqual([['auth_pass', 'ab#cd!e']]);
  });

  it('ignores blank lines and lines holding only blanks', () => {
    const { lines } = lexConfig('\n   \n\t\nrouter_id X\n\n', 'f');
    expect(texts(lines)).toEqual([['router_id', 'X']]);
    expect(lines[0]?.pos.line).toBe(4);
  });
});

describe('lexer: braces', () => {
  it('splits { and } wherever they stand', () => {
    const { lines } = lexConfig('vrrp_instance VI_1{\nvirtual_ipaddress { 192.0.2.200 }\n}x\n', 'f');
    expect(texts(lines)).toEqual([
      ['vrrp_instance', 'VI_1', '{'],
      ['virtual_ipaddress', '{', '192.0.2.200', '}'],
      ['}', 'x'],
    ]);
    const kinds = lines[1]?.tokens.map((t) => t.kind);
    expect(kinds).toEqual(['word', 'open', 'word', 'close']);
  });

  it('a brace on its own line is a brace token', () => {
    const { lines } = lexConfig('vrrp_instance VI_1\n{\n}\n', 'f');
    expect(lines.map((l) => l.tokens.map((t) => t.kind))).toEqual([['word', 'word'], ['open'], ['close']]);
  });

  it('a quoted brace is a word, not a brace', () => {
    const { lines } = lexConfig('label "{x}"\n', 'f');
    expect(lines[0]?.tokens.map((t) => [t.kind, t.text])).toEqual([['word', 'label'], ['word', '{x}']]);
  });
});

describe('lexer: quotes', () => {
  it('a quoted token keeps its inner blanks and loses its quotes', () => {
    const { lines } = lexConfig('notify "/usr/local/bin/notify.sh arg 1" user\n', 'f');
    expect(texts(lines)).toEqual([['notify', '/usr/local/bin/notify.sh arg 1', 'user']]);
  });

  it('a quote inside a word ends the word and starts a quoted token', () => {
    const { lines } = lexConfig('abc"d e"f\n', 'f');
    expect(texts(lines)).toEqual([['abc', 'd e', 'f']]);
  });

  it('an empty quoted token is kept', () => {
    const { lines } = lexConfig('auth_pass ""\n', 'f');
    expect(texts(lines)).toEqual([['auth_pass', '']]);
  });

  it('an unterminated quote is an error with file:line', () => {
    const { lines, diagnostics } = lexConfig('\nnotify "/bin/x # not a comment\n', 'k.conf');
    expect(texts(lines)).toEqual([['notify', '/bin/x # not a comment']]);
    expect(diagnostics.map(formatDiagnostic)).toEqual(['k.conf:2: unterminated quote at column 8']);
    expect(diagnostics[0]?.severity).toBe('error');
  });
});

describe('lexer: positions and line endings', () => {
  it('every token knows file, line and column', () => {
    const { lines } = lexConfig('global_defs {\n   router_id  NodeA\n}\n', 'etc/x.conf');
    const routerLine = lines[1];
    expect(routerLine?.pos).toEqual({ file: 'etc/x.conf', line: 2 });
    expect(routerLine?.tokens.map((t) => [t.text, t.pos.line, t.column])).toEqual([
      ['router_id', 2, 4],
      ['NodeA', 2, 15],
    ]);
    expect(lines[2]?.tokens[0]?.pos).toEqual({ file: 'etc/x.conf', line: 3 });
  });

  it('strips CR (CRLF files)', () => {
    const { lines } = lexConfig('router_id A\r\nsmtp_server 127.0.0.1\r\n', 'f');
    expect(texts(lines)).toEqual([['router_id', 'A'], ['smtp_server', '127.0.0.1']]);
  });

  it('empty text gives no lines', () => {
    expect(lexConfig('', 'f').lines).toEqual([]);
  });
});

describe('lexer: preprocessor lines', () => {
  it.each([
    ['include /etc/keepalived/conf.d/*.conf', ['include', '/etc/keepalived/conf.d/*.conf']],
    ['$VRID=51', ['$VRID=51']],
    ['@lb1 priority 150', ['@lb1', 'priority', '150']],
  ])('lexConfig does no preprocessing: %s is plain words (preprocess.ts handles it)', (line, words) => {
    const { lines, diagnostics } = lexConfig(`router_id A\n${line}\n`, 'p.conf');
    expect(texts(lines)).toEqual([['router_id', 'A'], words]);
    expect(diagnostics).toEqual([]);
  });

  it('lexLines: token columns count from where the preprocessed text stood in its physical line', () => {
    const { lines } = lexLines([{ text: 'priority 150', pos: { file: 'f', line: 3 }, column: 7 }]);
    expect(lines[0]?.tokens.map((t) => [t.text, t.column])).toEqual([
      ['priority', 7],
      ['150', 16],
    ]);
  });

  it('lexLines: an unterminated quote is reported at its physical column', () => {
    const { diagnostics } = lexLines([{ text: 'notify "/bin/x', pos: { file: 'k.conf', line: 4 }, column: 3 }]);
    expect(diagnostics.map(formatDiagnostic)).toEqual(['k.conf:4: unterminated quote at column 10']);
  });

  it('a quoted "include" is an ordinary word', () => {
    const { lines, diagnostics } = lexConfig('"include" x\n', 'f');
    expect(texts(lines)).toEqual([['include', 'x']]);
    expect(diagnostics).toEqual([]);
  });
});
