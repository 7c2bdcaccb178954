// Config parser: lexed lines -> keyword tree. It knows braces, not keywords: every `keyword args {`
// ... `}` becomes a node with children, every other statement a leaf. Deciding what a keyword means
// (and skipping unknown blocks whole) is the schema's job; because blocks are matched here by
// braces, an unknown block can never leak its contents into the enclosing block, which is where
// keepalived goes wrong (docs/reference/keepalived-behaviour.md#unknown-and-unusable-configuration:
// its inner lines are applied to the surrounding instance).
//
// Statement boundaries follow keepalived's read_line(): a line ends a statement, and so does any
// `{` or `}` (which split a line wherever they stand). A `{` alone (on its own line or right after
// a `}`) opens a block for the statement on the line just before it, so
//   vrrp_instance VI_1
//   {
// works as in keepalived.
import type { ConfigDiagnostic } from './config.js';
import type { LexedLine, Token } from './lexer.js';
import { MAX_BLOCK_DEPTH } from './limits.js';
import type { SourcePos } from '../types.js';

export interface ConfigNode {
  readonly keyword: string;
  readonly args: readonly string[];
  /** Where the keyword stands. */
  readonly pos: SourcePos;
  /** Present iff the statement opened a `{ ... }` block (possibly empty). */
  readonly children?: readonly ConfigNode[];
  /**
   * The arguments as written on the line: double quotes kept, adjacent tokens joined, others
   * separated by one blank. keepalived re-reads the whole line of `script` and `notify*` with
   * shell-like quoting (lib/parser.c alloc_strvec_quoted_escaped), which `args` cannot replay:
   * `'a b'` or `abc"d e"f` are split differently there.
   */
  readonly argsSource?: string;
}

export interface ParseResult {
  readonly nodes: readonly ConfigNode[];
  readonly diagnostics: readonly ConfigDiagnostic[];
  /** MAX_BLOCK_DEPTH was hit: the nodes are those of a prefix of the config. */
  readonly stopped: boolean;
}

interface MutableNode {
  keyword: string;
  args: string[];
  argsSource: string;
  pos: SourcePos;
  children?: MutableNode[];
}

interface Frame {
  readonly children: MutableNode[];
  /** Where the `{` that opened this frame stands; undefined for the top level. */
  readonly openPos: SourcePos | undefined;
  readonly keyword: string | undefined;
}

/**
 * How a token was written: a quoted token gets its quotes back; a bare `#` or `!` can only come
 * from `\#` / `\!` (the lexer's escapes) and stands for itself in keepalived's re-read too.
 */
function writtenForm(token: Token): string {
  return token.quoted ? `"${token.text}"` : token.text;
}

/** Length of the token in the source line, to tell touching tokens (`ab"c d"`) from separate ones. */
function sourceLength(token: Token): number {
  if (token.quoted) return token.text.length + 2;
  return token.text.length + (token.text.match(/[#!]/g)?.length ?? 0);
}

function argumentsSource(tokens: readonly Token[]): string {
  let out = '';
  let previous: Token | undefined;
  for (const token of tokens) {
    const touching =
      previous !== undefined &&
      previous.pos.file === token.pos.file &&
      previous.pos.line === token.pos.line &&
      previous.column + sourceLength(previous) === token.column;
    if (previous !== undefined && !touching) out += ' ';
    out += writtenForm(token);
    previous = token;
  }
  return out;
}

function freeze(node: MutableNode): ConfigNode {
  const base = { keyword: node.keyword, args: node.args, argsSource: node.argsSource, pos: node.pos };
  return node.children === undefined ? base : { ...base, children: node.children.map(freeze) };
}

/** Build the keyword tree. Never throws; brace problems come back as error diagnostics. */
export function parseLines(lines: readonly LexedLine[]): ParseResult {
  const diagnostics: ConfigDiagnostic[] = [];
  const root: Frame = { children: [], openPos: undefined, keyword: undefined };
  const stack: Frame[] = [root];
  const top = (): Frame => stack[stack.length - 1] as Frame;

  // A leaf ended by the end of its line, which a lone `{` at the start of the next line may still
  // turn into a block. Anything else in between (a `}`, another statement) makes that impossible.
  let openableLeaf: MutableNode | undefined;

  for (const line of lines) {
    let words: Token[] = [];
    let lineHadTokenBefore = false;

    const flushLeaf = (): MutableNode | undefined => {
      const [first, ...rest] = words;
      words = [];
      if (first === undefined) return undefined;
      const leaf: MutableNode = { keyword: first.text, args: rest.map((t) => t.text), argsSource: argumentsSource(rest), pos: first.pos };
      top().children.push(leaf);
      return leaf;
    };

    for (const token of line.tokens) {
      if (token.kind === 'word') {
        words.push(token);
      } else if (token.kind === 'open') {
        let owner: MutableNode | undefined;
        if (words.length > 0) {
          owner = flushLeaf();
        } else if (!lineHadTokenBefore && openableLeaf !== undefined) {
          owner = openableLeaf;
        }
        if (owner === undefined) {
          diagnostics.push({ severity: 'error', pos: token.pos, message: "unexpected '{' (no keyword before it)" });
          // Still match it, so the rest of the file keeps its nesting; the contents go nowhere.
          stack.push({ children: [], openPos: token.pos, keyword: undefined });
        } else {
          owner.children = [];
          stack.push({ children: owner.children, openPos: token.pos, keyword: owner.keyword });
        }
        // The tree is walked recursively (freeze, the schema): its depth is bounded.
        if (stack.length - 1 > MAX_BLOCK_DEPTH) {
          diagnostics.push({ severity: 'error', pos: token.pos, message: `blocks are nested more than ${MAX_BLOCK_DEPTH} deep; reading stops here` });
          return { nodes: root.children.map(freeze), diagnostics, stopped: true };
        }
      } else {
        flushLeaf();
        if (stack.length === 1) {
          diagnostics.push({ severity: 'error', pos: token.pos, message: "unexpected '}' (no block is open)" });
        } else {
          stack.pop();
        }
      }
      openableLeaf = undefined;
      lineHadTokenBefore = true;
    }
    openableLeaf = flushLeaf();
  }

  // Every block still open lacks its `}`: report each at its opening brace, innermost last.
  for (const frame of stack.slice(1)) {
    const what = frame.keyword === undefined ? 'block' : `'${frame.keyword}' block`;
    diagnostics.push({
      severity: 'error',
      pos: frame.openPos as SourcePos,
      message: `missing '}': the ${what} opened here is never closed`,
    });
  }

  return { nodes: root.children.map(freeze), diagnostics, stopped: false };
}
