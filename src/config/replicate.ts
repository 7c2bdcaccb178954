// keepalived's line replication (lib/parser.c add_seq(), add_lst(), read_line();
// keepalived.conf(5) "Sequence blocks", "List blocks"):
//   ~SEQ(var, end) / ~SEQ(var, start, end) / ~SEQ(var, start, step, end) REST
//   ~SEQx(...) REST                       - the same, $var written in hexadecimal
//   ~LST(var, v1, v2, ...) REST
//   ~LST({var1, var2}, {a1, a2}, {b1}, ...) REST   - missing values are empty
// REST is processed once per value with the variable(s) defined as ordinary parameters (they stay
// defined afterwards, as in keepalived). REST may itself start with ~SEQ/~LST (nesting).
//
// The numbers of ~SEQ are read as C strtol(s, 0): `0x..` hex, a leading `0` octal, blanks and a
// sign allowed; they may use parameters (`~SEQ(i, 1, $N)`), which are substituted first.
// Defaults follow add_seq(): with one number, start is 1 (or -1 when end < 0) and step +1/-1
// towards end - so ~SEQ(i, 0) gives 1, 0; with two, step is +1 or -1 towards end. A step of 0 or
// away from end is an error, so every sequence ends. The caller bounds how many values it takes.

export type Bindings = readonly (readonly [name: string, value: string])[];

export interface Replication {
  /** The text after the closing `)`, processed once per value. */
  readonly text: string;
  /** The next set of variable values, or undefined when the replication is over. */
  readonly next: () => Bindings | undefined;
}

export type ReplicationResult = { readonly ok: true; readonly replication: Replication } | { readonly ok: false; readonly message: string };

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t';
const skipBlanks = (s: string, i: number): number => {
  let j = i;
  while (isBlank(s[j])) j++;
  return j;
};

/** C strtol(s + i, &end, 0): the value and where it stopped; end === i when nothing was read. */
export function strtol(s: string, i: number): { value: number; end: number } {
  let j = i;
  while (j < s.length && /[ \t\n\v\f\r]/.test(s[j] as string)) j++;
  let sign = 1;
  if (s[j] === '+' || s[j] === '-') {
    if (s[j] === '-') sign = -1;
    j++;
  }
  let digits: RegExp;
  let base: number;
  if (s[j] === '0' && (s[j + 1] === 'x' || s[j + 1] === 'X') && /[0-9A-Fa-f]/.test(s[j + 2] ?? '')) {
    j += 2;
    digits = /[0-9A-Fa-f]/;
    base = 16;
  } else if (s[j] === '0') {
    digits = /[0-7]/;
    base = 8;
  } else {
    digits = /[0-9]/;
    base = 10;
  }
  const start = j;
  while (j < s.length && digits.test(s[j] as string)) j++;
  if (j === start) return { value: 0, end: i };
  return { value: sign * Number.parseInt(s.slice(start, j), base), end: j };
}

/** Parse the numbers of a ~SEQ, `params` running from after the first `,` to the `)` inclusive. */
function seqNumbers(params: string): { start: number; step: number; end: number } | undefined {
  const one = strtol(params, 0);
  let p = skipBlanks(params, one.end);
  if (params[p] === ')') {
    const end = one.value;
    return { end, step: end < 1 ? -1 : 1, start: end < 0 ? -1 : 1 };
  }
  if (params[p] !== ',') return undefined;
  const two = strtol(params, p + 1);
  p = skipBlanks(params, two.end);
  if (params[p] === ')') return { start: one.value, end: two.value, step: one.value <= two.value ? 1 : -1 };
  if (params[p] !== ',') return undefined;
  const three = strtol(params, p + 1);
  p = skipBlanks(params, three.end);
  if (params[p] !== ')') return undefined;
  return { start: one.value, step: two.value, end: three.value };
}

/**
 * `~SEQ(...)` / `~SEQx(...)` at the start of `line`. `substituteParams` replaces parameters in
 * the numbers (undefined: the substitution failed, e.g. it did not end).
 */
export function parseSeq(line: string, substituteParams: (text: string) => string | undefined): ReplicationResult {
  const invalid = { ok: false, message: `invalid ~SEQ specification '${line}'` } as const;
  let p = 4;
  const hex = line[p] === 'x';
  if (hex) p++;
  p = skipBlanks(line, p);
  if (line[p] !== '(') return invalid;
  p = skipBlanks(line, p + 1);
  const varStart = p;
  while (p < line.length && !' \t,)'.includes(line[p] as string)) p++;
  const variable = line.slice(varStart, p);
  p = skipBlanks(line, p);
  // keepalived steps over whatever follows the name; we want the `,` it means.
  if (variable === '' || line[p] !== ',') return invalid;
  p = skipBlanks(line, p + 1);
  const close = line.indexOf(')', p);
  if (close < 0) return invalid;
  const params = substituteParams(line.slice(p, close + 1));
  if (params === undefined) return { ok: false, message: `~SEQ parameters cannot be substituted '${line}'` };
  const numbers = seqNumbers(params);
  if (numbers === undefined) return invalid;
  const { start, step, end } = numbers;
  if (![start, step, end].every(Number.isSafeInteger)) return { ok: false, message: `~SEQ values out of range '${line}'` };
  if (step === 0 || (start < end && step < 0) || (start > end && step > 0)) {
    return { ok: false, message: `invalid ~SEQ values '${line}'` };
  }
  if (hex && (start < 0 || end < 0)) return { ok: false, message: `~SEQx is only valid for positive numbers '${line}'` };
  const text = line.slice(skipBlanks(line, close + 1));
  let current = start;
  let done = false;
  const next = (): Bindings | undefined => {
    if (done) return undefined;
    const value = hex ? current.toString(16) : String(current);
    current += step;
    if ((step > 0 && current > end) || (step < 0 && current < end)) done = true;
    return [[variable, value]];
  };
  return { ok: true, replication: { text, next } };
}

/** Read names or values up to a stop character; returns the list and where it stopped. */
function readList(line: string, from: number, stops: string, endChar: string, allowParen: boolean): { items: string[]; at: number } | undefined {
  const items: string[] = [];
  let p = from;
  for (;;) {
    const start = p;
    while (p < line.length && !stops.includes(line[p] as string)) p++;
    items.push(line.slice(start, p));
    p = skipBlanks(line, p);
    if (line[p] === endChar || (allowParen && line[p] === ')' && endChar === ',')) return { items, at: p };
    if (line[p] !== ',') return undefined;
    p = skipBlanks(line, p + 1);
  }
}

/** `~LST(...)` at the start of `line` (keepalived add_lst()). */
export function parseLst(line: string): ReplicationResult {
  const invalid = { ok: false, message: `invalid ~LST specification '${line}'` } as const;
  let p = skipBlanks(line, 4);
  if (line[p] !== '(') return invalid;
  p = skipBlanks(line, p + 1);
  const multi = line[p] === '{';
  if (multi) p = skipBlanks(line, p + 1);
  // Names: a single one ends at the `,`; a {set} at its `}`.
  const names = readList(line, p, ' \t,}', multi ? '}' : ',', false);
  if (names === undefined) return invalid;
  p = names.at;
  if (line[p] === '}') p = skipBlanks(line, p + 1);
  if (line[p] !== ',') return invalid;
  p = skipBlanks(line, p + 1);

  const sets: string[][] = [];
  for (;;) {
    const braced = line[p] === '{';
    if (braced) p = skipBlanks(line, p + 1);
    const values = readList(line, p, ' \t,})', braced ? '}' : ',', true);
    if (values === undefined) return invalid;
    if (values.items.length > names.items.length) return { ok: false, message: `~LST specification has too many values '${line}'` };
    sets.push([...values.items, ...Array<string>(names.items.length - values.items.length).fill('')]);
    p = values.at;
    if (braced && line[p] === '}') p = skipBlanks(line, p + 1);
    if (line[p] === ')') break;
    if (line[p] !== ',') return invalid;
    p = skipBlanks(line, p + 1);
  }
  const text = line.slice(skipBlanks(line, p + 1));
  let index = 0;
  const next = (): Bindings | undefined => {
    const set = sets[index++];
    if (set === undefined) return undefined;
    return names.items.map((name, i) => [name, set[i] ?? ''] as const);
  };
  return { ok: true, replication: { text, next } };
}
