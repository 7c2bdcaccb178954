// Script command lines as keepalived reads them. `script`, `notify*`, `startup_script`,
// `*_notify_fifo_script` lines are re-read shell-like (lib/parser.c alloc_strvec_quoted_escaped):
// `"` and `'` quote (and concatenate: abcd" efg h "mnop is one word), backslash escapes work inside
// and outside quotes, unquoted blanks separate words. keepalived then takes only the FIRST word as
// the command and splits that word again the same way into argv (lib/notify.c
// set_script_params_array); for notify lines the second and third words are the user and group to
// run it as (notify_script_init), any further word is dropped.
import type { CommandConfig } from './config.js';
import type { Sink } from './keywords.js';
import type { ConfigNode } from './parser.js';

export interface ShellWord {
  readonly text: string;
  /** Some part of the word was quoted or escaped. */
  readonly quoted: boolean;
}

export type SplitResult = { readonly ok: true; readonly words: readonly ShellWord[] } | { readonly ok: false; readonly error: string };

const isBlank = (ch: string): boolean => ' \t\n\r\f\v'.includes(ch);
const isOctal = (ch: string | undefined): ch is string => ch !== undefined && ch >= '0' && ch <= '7';
const isHex = (ch: string | undefined): ch is string => ch !== undefined && /^[0-9a-fA-F]$/.test(ch);

const simpleEscapes: ReadonlyMap<string, string> = new Map([
  ['a', '\x07'], ['b', '\b'], ['E', '\x1b'], ['f', '\f'], ['n', '\n'], ['r', '\r'], ['t', '\t'], ['v', '\v'],
]);

/**
 * Decode the escape whose letter is at `text[at]` (the backslash is just before it). keepalived
 * builds a C char, so the value wraps to 8 bits: `\x141` is 0x41 ('A'), `\777` is 0xff.
 */
function decodeEscape(text: string, at: number): { readonly char: string; readonly next: number } {
  const ch = text[at] as string;
  if (ch === 'x' && isHex(text[at + 1])) {
    let value = 0;
    let i = at + 1;
    while (isHex(text[i])) {
      value = ((value << 4) | parseInt(text[i] as string, 16)) & 0xff;
      i++;
    }
    return { char: String.fromCharCode(value), next: i };
  }
  if (ch === 'c' && text[at + 1] !== undefined) {
    return { char: String.fromCharCode((text[at + 1] as string).charCodeAt(0) & 0x1f), next: at + 2 };
  }
  if (isOctal(ch)) {
    let value = 0;
    let i = at;
    while (i < at + 3 && isOctal(text[i])) {
      value = ((value << 3) + Number(text[i])) & 0xff;
      i++;
    }
    return { char: String.fromCharCode(value), next: i };
  }
  return { char: simpleEscapes.get(ch) ?? ch, next: at + 1 };
}

/** Split `src` as keepalived's alloc_strvec_quoted_escaped does. Never throws. */
export function splitQuotedEscaped(src: string): SplitResult {
  const words: ShellWord[] = [];
  let i = 0;
  while (i < src.length) {
    while (i < src.length && isBlank(src[i] as string)) i++;
    if (i >= src.length) break;
    let text = '';
    let quoted = false;
    let quote: '"' | "'" | undefined;
    while (i < src.length) {
      const ch = src[i] as string;
      if (ch === '\\') {
        if (i + 1 >= src.length) return { ok: false, error: `missing escape character at the end of '${src}'` };
        const decoded = decodeEscape(src, i + 1);
        text += decoded.char;
        quoted = true;
        i = decoded.next;
      } else if (quote !== undefined) {
        if (ch === quote) quote = undefined;
        else text += ch;
        i++;
      } else if (ch === '"' || ch === "'") {
        quote = ch;
        quoted = true;
        i++;
      } else if (isBlank(ch)) {
        break;
      } else {
        text += ch;
        i++;
      }
    }
    // keepalived: "String '%s': missing terminating %c" (CONFIG_UNMATCHED_QUOTE).
    if (quote !== undefined) return { ok: false, error: `missing terminating ${quote} in '${src}'` };
    words.push({ text, quoted });
  }
  return { ok: true, words };
}

/** Who owns the line, for the `(NAME) ` message prefix; empty for global_defs. */
export function ownerPrefix(owner: string | undefined): string {
  return owner === undefined ? '' : `(${owner}) `;
}

/** The line's words after the keyword, shell-like; undefined (with an error) when they do not split. */
function lineWords(node: ConfigNode, owner: string | undefined, sink: Sink): readonly ShellWord[] | undefined {
  const split = splitQuotedEscaped(node.argsSource ?? node.args.join(' '));
  if (!split.ok) {
    sink.error(node.pos, `${ownerPrefix(owner)}${node.keyword}: ${split.error} - the script is not used`);
    return undefined;
  }
  return split.words;
}

/** The command word split into argv; undefined (with an error) when it is empty or does not split. */
function commandArgv(command: ShellWord, node: ConfigNode, owner: string | undefined, sink: Sink): readonly string[] | undefined {
  const split = splitQuotedEscaped(command.text);
  if (!split.ok) {
    sink.error(node.pos, `${ownerPrefix(owner)}${node.keyword}: ${split.error} - the script is not used`);
    return undefined;
  }
  if (split.words.length === 0) {
    // keepalived: "Unable to parse script '' - ignoring", and runs nothing.
    sink.error(node.pos, `${ownerPrefix(owner)}${node.keyword}: empty command - the script is not used`);
    return undefined;
  }
  return split.words.map((w) => w.text);
}

/**
 * A notify-style line: `KEYWORD COMMAND [USER [GROUP]]` (notify_script_init). An unquoted command
 * followed by more words is the classic trap of
 * docs/reference/keepalived-behaviour.md#unknown-and-unusable-configuration (`notify_master /x.sh
 * arg1` runs /x.sh as user arg1): keepalived's reading is kept, and the user is told how to quote.
 */
export function readNotifyCommand(node: ConfigNode, owner: string | undefined, sink: Sink): CommandConfig | undefined {
  const words = lineWords(node, owner, sink);
  const command = words?.[0];
  if (words === undefined || command === undefined) return undefined;
  const argv = commandArgv(command, node, owner, sink);
  if (argv === undefined) return undefined;
  const user = words[1]?.text;
  const group = words[2]?.text;
  const prefix = `${ownerPrefix(owner)}${node.keyword}`;
  if (user !== undefined && !command.quoted) {
    const rest = words.slice(1).map((w) => w.text).join(' ');
    sink.warn(
      node.pos,
      `${prefix}: '${user}' is read as the user to run ${argv[0]} as${group === undefined ? '' : ` and '${group}' as its group`}, ` +
        `not as ${group === undefined ? 'an argument' : 'arguments'} (keepalived reads it the same way); to pass arguments quote the ` +
        `whole command: ${node.keyword} "${command.text} ${rest}"; to run it as that user write ${node.keyword} "${command.text}" ${rest}`,
    );
  }
  if (words.length > 3) {
    const extra = words.slice(3).map((w) => w.text).join(' ');
    sink.warn(node.pos, `${prefix}: '${extra}' after the user and group is ignored (keepalived ignores it too)`);
  }
  return { argv, user, group, pos: node.pos };
}

/**
 * vrrp_script's `script COMMAND`: keepalived keeps only the first word (set_script_params_array);
 * the user comes from the block's own `user` keyword, so extra words are dropped - say so.
 */
export function readScriptCommand(node: ConfigNode, owner: string, sink: Sink): readonly string[] | undefined {
  const words = lineWords(node, owner, sink);
  const command = words?.[0];
  if (words === undefined || command === undefined) return undefined;
  const argv = commandArgv(command, node, owner, sink);
  if (argv === undefined) return undefined;
  if (words.length > 1) {
    const extra = words.slice(1).map((w) => w.text).join(' ');
    sink.warn(
      node.pos,
      `(${owner}) script: '${extra}' is ignored - keepalived runs only the first word as the command; ` +
        `quote the whole command line: script "${command.text} ${extra}"`,
    );
  }
  return argv;
}
