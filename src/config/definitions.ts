// keepalived's `$NAME=value` parameters (lib/parser.c check_definition(), find_definition(),
// replace_param(), set_std_definitions()); keepalived.conf(5) "Parameter substitution".
//
// - A definition is a line `$NAME=VALUE`: NAME is [A-Za-z_][A-Za-z0-9_]*, nothing between NAME and
//   `=`, blanks after `=` skipped. A VALUE ending in `\` continues on the next lines (the caller
//   collects them): a multi-line definition.
// - A use is `$NAME` followed by a blank, `,`, `)` or the end of the line, or `${NAME}` anywhere
//   (also inside double quotes: keepalived substitutes before tokenising). Substitution happens at
//   use time, rescanning the inserted text at once (so values may use other parameters, defined
//   later than the value was written). A name that is not defined is left as written.
// - A multi-line definition can only be used at the end of a line: its first line replaces the use,
//   the others follow as lines of their own.
// - Predefined: ${_PWD} (directory of the file being read), ${_INSTANCE} (the config id),
//   ${_RANDOM [MIN [MAX]]} (default 0..32767), ${_HASH} (#), ${_BANG} (!). A user definition of the
//   same name replaces them, as in keepalived.
// - After a substituted value that starts with `~` (a ~SEQ/~LST written in a parameter) the rest of
//   the line is left for the next round, so the ~SEQ can define its variable first (replace_param).
//
// Bounds (keepalived has MAXBUF = 1024 bytes per line and hangs on `$A=${A}`):
// MAX_SUBSTITUTIONS substitutions per logical line, MAX_SUBSTITUTED_LENGTH characters per line.

import { MAX_SUBSTITUTED_LENGTH, MAX_SUBSTITUTIONS } from './limits.js';

export { MAX_SUBSTITUTED_LENGTH, MAX_SUBSTITUTIONS };

export type Definition =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'lines'; readonly lines: readonly string[] }
  | { readonly kind: 'pwd' }
  | { readonly kind: 'instance' }
  | { readonly kind: 'random' };

export type Definitions = Map<string, Definition>;

/** keepalived's standard definitions (set_std_definitions()). */
export function standardDefinitions(): Definitions {
  return new Map<string, Definition>([
    ['_PWD', { kind: 'pwd' }],
    ['_INSTANCE', { kind: 'instance' }],
    ['_RANDOM', { kind: 'random' }],
    ['_HASH', { kind: 'text', text: '#' }],
    ['_BANG', { kind: 'text', text: '!' }],
  ]);
}

const isNameStart = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z_]$/.test(c);
const isNameChar = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z0-9_]$/.test(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

export interface DefinitionLine {
  readonly name: string;
  /** The value as written on this line, without the trailing `\` and the blanks before it. */
  readonly value: string;
  /** The line ended in `\`: the definition goes on with the following lines. */
  readonly continued: boolean;
}

/** `$NAME=VALUE` (keepalived check_definition()); undefined when the line is not a definition. */
export function parseDefinition(text: string): DefinitionLine | undefined {
  if (text[0] !== '$' || !isNameStart(text[1])) return undefined;
  let end = 2;
  while (end < text.length && text[end] !== '=') {
    if (!isNameChar(text[end])) return undefined;
    end++;
  }
  if (end >= text.length) return undefined;
  const value = text.slice(end + 1).replace(/^[ \t]+/, '');
  if (value.endsWith('\\')) {
    return { name: text.slice(1, end), value: value.slice(0, -1).replace(/[ \t]+$/, ''), continued: true };
  }
  return { name: text.slice(1, end), value, continued: false };
}

/** A syntactically valid use of a parameter starting at a `$`. */
interface Reference {
  readonly name: string;
  /** Characters from the `$` to the end of the use. */
  readonly length: number;
  /** `${_RANDOM 1 10}`: the text "1 10". */
  readonly params: string | undefined;
}

type Scanned =
  | { readonly kind: 'reference'; readonly reference: Reference }
  /** `$NAME` glued to a character that ends no use (e.g. `$X.y`): never substituted by keepalived. */
  | { readonly kind: 'glued'; readonly name: string }
  | { readonly kind: 'none' };

/** What stands at text[dollar] (a `$`): keepalived find_definition(name, 0, false). */
function scanReference(text: string, dollar: number): Scanned {
  const braces = text[dollar + 1] === '{';
  const start = dollar + (braces ? 2 : 1);
  if (!isNameStart(text[start])) return { kind: 'none' };
  let end = start + 1;
  while (isNameChar(text[end])) end++;
  const name = text.slice(start, end);
  if (!braces) {
    const after = text[end];
    if (after === undefined || after === ' ' || after === '\t' || after === ',' || after === ')') {
      return { kind: 'reference', reference: { name, length: end - dollar, params: undefined } };
    }
    return { kind: 'glued', name };
  }
  // `${NAME}` or `${NAME 1 2}` (digits and single blanks, not ending in a blank).
  let k = end;
  let paramStart = -1;
  let paramEnd = -1;
  while (text[k] === ' ' || isDigit(text[k])) {
    if (text[k] !== ' ') {
      if (paramStart < 0) paramStart = k;
      paramEnd = k;
    }
    k++;
  }
  // keepalived mis-substitutes `${NAME }` (it drops the blank but not the `}`); we leave it alone.
  if (k !== end && (paramStart < 0 || paramEnd + 1 !== k)) return { kind: 'none' };
  if (text[k] !== '}') return { kind: 'none' };
  const params = paramStart < 0 ? undefined : text.slice(paramStart, paramEnd + 1);
  return { kind: 'reference', reference: { name, length: k + 1 - dollar, params } };
}

export interface SubstitutionContext {
  readonly definitions: Definitions;
  readonly configId: string;
  /** Absolute directory of the file being read, for ${_PWD}. */
  readonly currentDir: () => string;
  /** Uniform in [0, 1), for ${_RANDOM}. */
  readonly random: () => number;
  /** A problem worth a warning (the use is left as written). */
  readonly warn: (message: string, once: string) => void;
  /** Substitutions done so far for this logical line (shared by all rounds). */
  substitutions: number;
}

export type SubstitutionResult =
  | {
      readonly ok: true;
      readonly text: string;
      readonly changed: boolean;
      /**
       * For every multi-line parameter substituted, its lines after the first, in the order the
       * uses were met: they follow this line, the last one met first (keepalived's multiline stack).
       */
      readonly continuations: readonly (readonly string[])[];
    }
  | { readonly ok: false; readonly message: string };

/** ${_RANDOM [MIN [MAX]]} (keepalived get_random()). */
function randomValue(params: string | undefined, ctx: SubstitutionContext): string {
  const numbers = (params ?? '').split(' ').filter((s) => s !== '').map((s) => Number.parseInt(s, 10));
  if (numbers.length > 2) ctx.warn(`too many parameters for \${_RANDOM ${params ?? ''}}: only MIN and MAX are used`, `random:${params ?? ''}`);
  let min = numbers[0] ?? 0;
  let max = numbers[1] ?? 32767;
  if (min > max) {
    // keepalived computes garbage here (unsigned wrap-around); we take the range the other way round.
    ctx.warn(`\${_RANDOM ${params ?? ''}}: MIN is above MAX, using ${max}..${min}`, `random:${params ?? ''}`);
    [min, max] = [max, min];
  }
  return String(min + Math.floor(ctx.random() * (max - min + 1)));
}

/**
 * One keepalived replace_param() pass over a line: every use, left to right, rescanning each
 * inserted value. Never throws; exceeding a bound is an error result.
 */
export function substitute(line: string, ctx: SubstitutionContext): SubstitutionResult {
  let text = line;
  let changed = false;
  const continuations: string[][] = [];
  let from = 0;
  for (;;) {
    const dollar = text.indexOf('$', from);
    if (dollar < 0 || dollar + 1 >= text.length) break;
    const scanned = scanReference(text, dollar);
    if (scanned.kind === 'none') {
      from = dollar + 1;
      continue;
    }
    if (scanned.kind === 'glued') {
      if (ctx.definitions.has(scanned.name)) {
        const c = text[dollar + 1 + scanned.name.length] ?? '';
        ctx.warn(`'$${scanned.name}' is followed by '${c}' and so is not substituted: write \${${scanned.name}}`, `glued:${scanned.name}`);
      }
      from = dollar + 1;
      continue;
    }
    const { name, length, params } = scanned.reference;
    const definition = ctx.definitions.get(name);
    if (definition === undefined) {
      ctx.warn(`'$${name}' is not defined and is left as written`, `undefined:${name}`);
      from = dollar + 1;
      continue;
    }
    // Parameters are only for ${_RANDOM}; keepalived ignores `${NAME 1}` for any other name.
    if (params !== undefined && definition.kind !== 'random') {
      from = dollar + 1;
      continue;
    }
    const atEnd = dollar + length === text.length;
    if (definition.kind === 'lines' && !atEnd) {
      ctx.warn(`'$${name}' is a multi-line definition and can only be used at the end of a line; left as written`, `midline:${name}`);
      from = dollar + 1;
      continue;
    }
    ctx.substitutions++;
    if (ctx.substitutions > MAX_SUBSTITUTIONS) {
      return {
        ok: false,
        message: `parameter substitution does not end (more than ${MAX_SUBSTITUTIONS} substitutions on one line; is a parameter defined in terms of itself?)`,
      };
    }
    let value: string;
    switch (definition.kind) {
      case 'text':
        value = definition.text;
        break;
      case 'lines':
        value = definition.lines[0] ?? '';
        if (definition.lines.length > 1) continuations.push(definition.lines.slice(1));
        break;
      case 'pwd':
        value = ctx.currentDir();
        break;
      case 'instance':
        value = ctx.configId;
        break;
      case 'random':
        value = randomValue(params, ctx);
        break;
    }
    text = text.slice(0, dollar) + value + text.slice(dollar + length);
    changed = true;
    if (text.length > MAX_SUBSTITUTED_LENGTH) {
      return { ok: false, message: `parameter substitution makes the line longer than ${MAX_SUBSTITUTED_LENGTH} characters` };
    }
    // replace_param(): a value starting with `~` ends the pass (the ~SEQ/~LST runs first).
    if (value.replace(/^[ \t]+/, '').startsWith('~')) break;
    from = dollar;
  }
  return { ok: true, text, changed, continuations };
}
