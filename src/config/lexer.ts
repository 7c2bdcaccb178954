// Config lexer: logical lines -> tokens, every token carrying file:line. Rules follow keepalived
// 2.2 lib/parser.c (docs/reference/keepalived-behaviour.md#configuration-lexing): one logical line
// at a time; `#` and `!` start a comment anywhere outside double quotes; `\#` and `\!` outside
// quotes are a literal `#`/`!`; `{` and `}` split a line wherever they stand outside quotes; a
// token starting with `"` runs to the next `"` (quotes removed, inner blanks kept) and a `"` inside
// a word ends the word; CR is stripped and blank lines are dropped.
//
// The lines come from the preprocessor (preprocess.ts: include, `$NAME` parameters, `@id`
// conditionals, `~SEQ`/`~LST`), which has already cut comments off but left `\#` / `\!` escaped, so
// the unescaping happens once, here. keepalived unescapes in decomment() and runs decomment()
// again after a substitution (and once more in each child process that re-reads its consolidated
// copy of the config), which turns an escaped `\#` into a comment; we keep it a literal `#`.
// lexConfig() tokenises a text without any preprocessing (used by the parser's tests).
import type { ConfigDiagnostic } from './config.js';
import { MAX_WORDS } from './limits.js';
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

/** One logical line as the preprocessor hands it over. */
export interface SourceLine {
  readonly text: string;
  /** The file and line it came from (for a generated line: the line that generated it). */
  readonly pos: SourcePos;
  /** 1-based column of text[0] in its physical line (1 for generated text). */
  readonly column: number;
}

/** One logical line with at least one token (comments and blank lines never produce one). */
export interface LexedLine {
  readonly pos: SourcePos;
  readonly tokens: readonly Token[];
}

export interface LexResult {
  readonly lines: readonly LexedLine[];
  readonly diagnostics: readonly ConfigDiagnostic[];
  /** MAX_WORDS was hit: the lines are a prefix of the config. */
  readonly stopped: boolean;
}

const isBlank = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\f' || ch === '\v';
const isCommentStart = (ch: string): boolean => ch === '#' || ch === '!';

/**
 * Split one line (no newline, no CR) into tokens; `column` is where text[0] stands in its physical
 * line. Returns the unterminated-quote column if any.
 */
export function lexLine(
  text: string,
  pos: SourcePos,
  column = 1,
): { tokens: Token[]; unterminatedQuoteColumn: number | undefined } {
  const base = column - 1;
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
      tokens.push({ kind: ch === '{' ? 'open' : 'close', text: ch, quoted: false, pos, column: base + i + 1 });
      i++;
      continue;
    }
    if (ch === '"') {
      const close = text.indexOf('"', i + 1);
      if (close < 0) {
        // keepalived: "Unmatched quote". Keep the rest of the line as the token so the message
        // about the keyword (if any) still makes sense; the error makes the config invalid anyway.
        unterminatedQuoteColumn = base + i + 1;
        tokens.push({ kind: 'word', text: text.slice(i + 1), quoted: true, pos, column: base + i + 1 });
        break;
      }
      tokens.push({ kind: 'word', text: text.slice(i + 1, close), quoted: true, pos, column: base + i + 1 });
      i = close + 1;
      continue;
    }
    // A bare word: runs to a blank, a quote, a brace or a comment character. Taken by slices, not
    // a character at a time: `word += c` makes a rope node per character, 32 bytes of heap for each
    // byte of a 60 KB word until something flattens it.
    const start = i;
    let word = '';
    let from = i;
    while (i < text.length) {
      const c = text[i] as string;
      if (isBlank(c) || c === '"' || c === '{' || c === '}' || isCommentStart(c)) break;
      const next = text[i + 1];
      if (c === '\\' && next !== undefined && isCommentStart(next)) {
        // keepalived decomment(): `\#` / `\!` outside quotes stand for the character itself.
        word += text.slice(from, i) + next;
        i += 2;
        from = i;
        continue;
      }
      i++;
    }
    word += text.slice(from, i);
    tokens.push({ kind: 'word', text: word, quoted: false, pos, column: base + start + 1 });
  }
  return { tokens, unterminatedQuoteColumn };
}


/** Tokenise preprocessed lines, at most MAX_WORDS tokens in all. Never throws. */
export function lexLines(source: readonly SourceLine[]): LexResult {
  const lines: LexedLine[] = [];
  const diagnostics: ConfigDiagnostic[] = [];
  let words = 0;
  for (const { text, pos, column } of source) {
    const { tokens, unterminatedQuoteColumn } = lexLine(text, pos, column);
    words += tokens.length;
    if (words > MAX_WORDS) {
      diagnostics.push({ severity: 'error', pos, message: `the configuration has more than ${MAX_WORDS} words; reading stops here` });
      return { lines, diagnostics, stopped: true };
    }
    if (unterminatedQuoteColumn !== undefined) {
      diagnostics.push({ severity: 'error', pos, message: `unterminated quote at column ${unterminatedQuoteColumn}` });
    }
    if (tokens.length > 0) lines.push({ pos, tokens });
  }
  return { lines, diagnostics, stopped: false };
}

/** Tokenise a whole config text line by line, with no preprocessing at all. Never throws. */
export function lexConfig(text: string, file: string): LexResult {
  return lexLines(text.split('\n').map((line, index) => ({ text: line.replace(/\r/g, ''), pos: { file, line: index + 1 }, column: 1 })));
}
