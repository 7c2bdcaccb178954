// Config lexer: keepalived.conf text -> logical lines of tokens, every token carrying file:line.
// Rules follow keepalived 2.2 lib/parser.c (reference keepalived.md §2.2): one logical line at a
// time; `#` and `!` start a comment anywhere outside double quotes; `\#` and `\!` outside quotes are
// a literal `#`/`!`; `{` and `}` split a line wherever they stand outside quotes; a token starting
// with `"` runs to the next `"` (quotes removed, inner blanks kept) and a `"` inside a word ends the
// word; CR is stripped and blank lines are dropped.
//
// The preprocessor features keepalived runs on raw lines (include, `$NAME=` parameters, `@id`
// conditionals, `~SEQ`/`~LST` replication) belong here too. They are not implemented yet, so a
// line using one is reported as an error and dropped: running on a config whose text we did not
// fully understand would be worse than refusing it.
import type { ConfigDiagnostic } from './config.js';
import type { SourcePos } from '../types.js';

export type TokenKind = 'word' | 'open' | 'close';

export interface Token {
  readonly kind: TokenKind;
  /** The text without surrounding quotes; `{` / `}` for braces. */
  readonly text: string;
  /** True when the token was written as `"..."` (so `"{"` is a word, not a brace). */
  readonly quoted: boolean;
  readonly pos: SourcePos;
  /** 1-based column of the token's first character (the opening quote for a quoted token). */
  readonly column: number;
}

/** One physical line with at least one token (comments and blank lines never produce one). */
export interface LexedLine {
  readonly pos: SourcePos;
  readonly tokens: readonly Token[];
}

export interface LexResult {
  readonly lines: readonly LexedLine[];
  readonly diagnostics: readonly ConfigDiagnostic[];
}

const isBlank = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\f' || ch === '\v';
const isCommentStart = (ch: string): boolean => ch === '#' || ch === '!';

/** Split one line (no newline, no CR) into tokens. Returns the unterminated-quote column if any. */
function lexLine(
  text: string,
  pos: SourcePos,
): { tokens: Token[]; unterminatedQuoteColumn: number | undefined } {
  const tokens: Token[] = [];
  let unterminatedQuoteColumn: number | undefined;
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (isBlank(ch)) {
      i++;
      continue;
    }
    if (isCommentStart(ch)) break;
    if (ch === '{' || ch === '}') {
      tokens.push({ kind: ch === '{' ? 'open' : 'close', text: ch, quoted: false, pos, column: i + 1 });
      i++;
      continue;
    }
    if (ch === '"') {
      const close = text.indexOf('"', i + 1);
      if (close < 0) {
        // keepalived: "Unmatched quote". Keep the rest of the line as the token so the message
        // about the keyword (if any) still makes sense; the error makes the config invalid anyway.
        unterminatedQuoteColumn = i + 1;
        tokens.push({ kind: 'word', text: text.slice(i + 1), quoted: true, pos, column: i + 1 });
        break;
      }
      tokens.push({ kind: 'word', text: text.slice(i + 1, close), quoted: true, pos, column: i + 1 });
      i = close + 1;
      continue;
    }
    // A bare word: runs to a blank, a quote, a brace or a comment character.
    const start = i;
    let word = '';
    while (i < text.length) {
      const c = text[i] as string;
      if (isBlank(c) || c === '"' || c === '{' || c === '}' || isCommentStart(c)) break;
      const next = text[i + 1];
      if (c === '\\' && next !== undefined && isCommentStart(next)) {
        // keepalived decomment(): `\#` / `\!` outside quotes stand for the character itself.
        word += next;
        i += 2;
        continue;
      }
      word += c;
      i++;
    }
    tokens.push({ kind: 'word', text: word, quoted: false, pos, column: start + 1 });
  }
  return { tokens, unterminatedQuoteColumn };
}

/** keepalived's include variants (§2.3): plain, and the r/m/w/b/a "check" flavours. */
const includeKeywords = new Set(['include', 'includer', 'includem', 'includew', 'includeb', 'includea']);

/** What a line asks of the (not yet written) preprocessor, if anything. */
function preprocessorFeature(first: Token): string | undefined {
  if (first.quoted) return undefined;
  const t = first.text;
  if (includeKeywords.has(t)) {
    return `'${t}' is not supported yet: the included file(s) would not be read`;
  }
  if (/^\$[A-Za-z_][A-Za-z0-9_]*=/.test(t)) {
    return `parameter definitions ('${t.slice(0, t.indexOf('='))}=...') are not supported yet`;
  }
  if (t.startsWith('@')) return `conditional config lines ('${t} ...') are not supported yet`;
  if (/^~(SEQx?|LST)\(/.test(t)) return `'${t.slice(0, t.indexOf('('))}' line replication is not supported yet`;
  return undefined;
}

/** Tokenise a whole config text. Never throws. */
export function lexConfig(text: string, file: string): LexResult {
  const lines: LexedLine[] = [];
  const diagnostics: ConfigDiagnostic[] = [];
  const physical = text.split('\n');
  for (let index = 0; index < physical.length; index++) {
    const raw = (physical[index] as string).replace(/\r/g, '');
    const pos: SourcePos = { file, line: index + 1 };
    const { tokens, unterminatedQuoteColumn } = lexLine(raw, pos);
    if (unterminatedQuoteColumn !== undefined) {
      diagnostics.push({ severity: 'error', pos, message: `unterminated quote at column ${unterminatedQuoteColumn}` });
    }
    const first = tokens[0];
    if (first === undefined) continue;
    const feature = preprocessorFeature(first);
    if (feature !== undefined) {
      diagnostics.push({ severity: 'error', pos, message: feature });
      continue;
    }
    lines.push({ pos, tokens });
  }
  return { lines, diagnostics };
}
