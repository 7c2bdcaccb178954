// File name globbing for `include`, as keepalived gets it from glibc glob(GLOB_MARK | GLOB_BRACE)
// in lib/parser.c open_and_check_glob():
// - brace expansion first: `{a,b}` (nested, `\{` escaped) gives one pattern per alternative, in the
//   order written; a `{` without its `}` is taken literally, with what follows it (glibc);
// - then `*`, `?`, `[...]` (`[!...]`/`[^...]`, ranges, `[:class:]`) per path component, `\x` quoting
//   x; a wildcard never matches a leading `.` (no GLOB_PERIOD);
// - each alternative's matches are sorted (byte order, as strcoll in the C locale), alternatives
//   keep their order, nothing is de-duplicated;
// - keepalived counts a literal path that does not exist, or a directory it could not scan, as
//   "missing" (its gl_lstat/gl_opendir hooks) and notes whether a wildcard was used: both decide
//   which include_check class a failed match belongs to.
// Relative patterns are resolved against `baseDir` (keepalived chdir()s into the including file's
// directory, so the effect is the same). Bounds (limits.ts): at most MAX_BRACE_PATTERNS alternatives
// and MAX_DIRECTORY_ENTRIES directory entries listed and paths looked up per include, so
// `include /*/*/*/*` or `{a,b}{a,b}...` cannot run away.
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { MAX_BRACE_PATTERNS, MAX_DIRECTORY_ENTRIES } from './limits.js';

export { MAX_BRACE_PATTERNS, MAX_DIRECTORY_ENTRIES };

export interface GlobResult {
  /** The matching paths (directories included: the caller refuses them with a message). */
  readonly matches: readonly string[];
  /** Some literal path or some directory to scan did not exist (keepalived: missing_files/_directories). */
  readonly missing: boolean;
  /** A wildcard component was expanded (keepalived: have_wildcards). */
  readonly hadWildcards: boolean;
  /** The pattern contains a brace expression (keepalived: have_brace()). */
  readonly hasBraces: boolean;
  /** Set when a bound was hit; the matches are then empty. */
  readonly tooBig: string | undefined;
}

/** Index of the `}` closing the `{` at `open`, skipping `\x` and nested braces; -1 if none. */
function closingBrace(pattern: string, open: number): number {
  let depth = 0;
  for (let i = open + 1; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) {
      i++;
    } else if (c === '{') {
      depth++;
    } else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** First unescaped `{`, or -1. */
function firstBrace(pattern: string): number {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) i++;
    else if (c === '{') return i;
  }
  return -1;
}

/** The top-level comma-separated alternatives between `{` (open) and `}` (close). */
function alternatives(pattern: string, open: number, close: number): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open + 1; i < close; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < close) i++;
    else if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ',' && depth === 0) {
      out.push(pattern.slice(start, i));
      start = i + 1;
    }
  }
  out.push(pattern.slice(start, close));
  return out;
}

/** glibc GLOB_BRACE expansion. Returns undefined when it would exceed MAX_BRACE_PATTERNS. */
export function expandBraces(pattern: string): string[] | undefined {
  const out: string[] = [];
  const work = (p: string): boolean => {
    const open = firstBrace(p);
    const close = open < 0 ? -1 : closingBrace(p, open);
    // glibc: an unmatched `{` ends brace expansion for this (sub)pattern ("illegal_brace").
    if (close < 0) {
      out.push(p);
      return out.length <= MAX_BRACE_PATTERNS;
    }
    const prefix = p.slice(0, open);
    const suffix = p.slice(close + 1);
    for (const alt of alternatives(p, open, close)) {
      if (!work(prefix + alt + suffix)) return false;
    }
    return true;
  };
  return work(pattern) ? out : undefined;
}

/** True if the pattern has an unescaped `{` with a matching `}` (keepalived have_brace() is looser). */
function hasBraceExpression(pattern: string): boolean {
  const open = firstBrace(pattern);
  return open >= 0 && closingBrace(pattern, open) >= 0;
}

/** Where the `]` closing a bracket expression starting at `open` stands, or -1 (then `[` is literal). */
function bracketEnd(pattern: string, open: number): number {
  let i = open + 1;
  if (pattern[i] === '!' || pattern[i] === '^') i++;
  if (pattern[i] === ']') i++; // a `]` first in the set is a member
  for (; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) {
      i++;
    } else if (c === '[' && pattern[i + 1] === ':') {
      const end = pattern.indexOf(':]', i + 2);
      if (end >= 0) i = end + 1;
    } else if (c === ']') {
      return i;
    }
  }
  return -1;
}

/** True when the component needs matching against a directory listing (glibc __glob_pattern_p). */
export function hasWildcard(component: string): boolean {
  for (let i = 0; i < component.length; i++) {
    const c = component[i];
    if (c === '\\' && i + 1 < component.length) i++;
    else if (c === '*' || c === '?') return true;
    else if (c === '[' && bracketEnd(component, i) >= 0) return true;
  }
  return false;
}

/** `\x` -> `x`, for a component without wildcards. */
function unescape(component: string): string {
  return component.replace(/\\(.)/gs, '$1');
}

const classTests: Readonly<Record<string, (ch: string) => boolean>> = {
  alpha: (ch) => /[A-Za-z]/.test(ch),
  digit: (ch) => /[0-9]/.test(ch),
  alnum: (ch) => /[A-Za-z0-9]/.test(ch),
  upper: (ch) => /[A-Z]/.test(ch),
  lower: (ch) => /[a-z]/.test(ch),
  space: (ch) => /[ \t\n\r\f\v]/.test(ch),
  blank: (ch) => ch === ' ' || ch === '\t',
  xdigit: (ch) => /[0-9A-Fa-f]/.test(ch),
  punct: (ch) => /[!-/:-@[-`{-~]/.test(ch),
};

/** Does `ch` belong to the bracket expression pattern[open..end] (end = its `]`)? */
function inBracket(pattern: string, open: number, end: number, ch: string): boolean {
  let i = open + 1;
  let negate = false;
  if (pattern[i] === '!' || pattern[i] === '^') {
    negate = true;
    i++;
  }
  let found = false;
  let first = true;
  while (i < end) {
    let c = pattern[i] as string;
    if (c === '[' && pattern[i + 1] === ':') {
      const close = pattern.indexOf(':]', i + 2);
      if (close >= 0 && close < end) {
        const test = classTests[pattern.slice(i + 2, close)];
        if (test?.(ch) === true) found = true;
        i = close + 2;
        first = false;
        continue;
      }
    }
    if (c === '\\' && i + 1 < end) {
      i++;
      c = pattern[i] as string;
    } else if (c === ']' && !first) {
      break;
    }
    first = false;
    if (pattern[i + 1] === '-' && i + 2 < end) {
      let hi = pattern[i + 2] as string;
      let next = i + 3;
      if (hi === '\\' && i + 3 < end) {
        hi = pattern[i + 3] as string;
        next = i + 4;
      }
      if (c <= ch && ch <= hi) found = true;
      i = next;
      continue;
    }
    if (c === ch) found = true;
    i++;
  }
  return found !== negate;
}

/** fnmatch(pattern, name, FNM_PERIOD) for one path component. */
export function matchComponent(pattern: string, name: string): boolean {
  // A leading `.` is matched only by a literal `.` (glob without GLOB_PERIOD).
  if (name.startsWith('.') && !(pattern.startsWith('.') || pattern.startsWith('\\.'))) return false;
  let p = 0;
  let n = 0;
  let starP = -1;
  let starN = 0;
  while (n < name.length) {
    if (p < pattern.length) {
      const c = pattern[p] as string;
      if (c === '*') {
        starP = p;
        starN = n;
        p++;
        continue;
      }
      const ch = name[n] as string;
      let width = 1;
      let ok: boolean;
      if (c === '?') {
        ok = true;
      } else if (c === '[' && bracketEnd(pattern, p) >= 0) {
        const end = bracketEnd(pattern, p);
        ok = inBracket(pattern, p, end, ch);
        width = end - p + 1;
      } else if (c === '\\' && p + 1 < pattern.length) {
        ok = pattern[p + 1] === ch;
        width = 2;
      } else {
        ok = c === ch;
      }
      if (ok) {
        p += width;
        n++;
        continue;
      }
    }
    if (starP < 0) return false;
    p = starP + 1;
    starN++;
    n = starN;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface ScanState {
  missing: boolean;
  hadWildcards: boolean;
  entries: number;
}

function existsNoFollow(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Counts `n` more directory entries listed or paths looked up; false once past the bound. Lookups
 * count too: an include of four wildcard levels under /usr/share spends its time in a stat() per
 * matched directory.
 */
function spend(state: ScanState, n: number): boolean {
  state.entries += n;
  return state.entries <= MAX_DIRECTORY_ENTRIES;
}

/** Match one brace-free pattern. Returns undefined when the directory-entry bound is hit. */
function globOne(pattern: string, baseDir: string, state: ScanState): string[] | undefined {
  const absolute = isAbsolute(pattern);
  const trailingSlash = pattern.endsWith('/');
  const components = pattern.split('/').filter((c) => c !== '');
  if (components.length === 0) return absolute ? ['/'] : [];

  // Candidates are (path for reading, path as reported). Relative patterns report join(baseDir, ..).
  let candidates: string[] = [absolute ? '/' : baseDir];
  for (let index = 0; index < components.length; index++) {
    const component = components[index] as string;
    const last = index === components.length - 1;
    const next: string[] = [];
    if (!hasWildcard(component)) {
      const name = unescape(component);
      for (const dir of candidates) {
        const path = join(dir, name);
        if (!spend(state, last ? 1 : 2)) return undefined;
        if (!existsNoFollow(path)) {
          state.missing = true;
          continue;
        }
        if (!last && !isDirectory(path)) continue;
        next.push(path);
      }
    } else {
      state.hadWildcards = true;
      for (const dir of candidates) {
        let names: string[];
        try {
          names = readdirSync(dir);
        } catch {
          state.missing = true;
          continue;
        }
        if (!spend(state, names.length)) return undefined;
        for (const name of names.sort(byteOrder)) {
          if (!matchComponent(component, name)) continue;
          const path = join(dir, name);
          if (!last && !spend(state, 1)) return undefined;
          if (!last && !isDirectory(path)) continue;
          next.push(path);
        }
      }
    }
    candidates = next;
    if (candidates.length === 0) break;
  }
  if (trailingSlash && !spend(state, candidates.length)) return undefined;
  const matches = trailingSlash ? candidates.filter(isDirectory).map((p) => `${p}/`) : candidates;
  return matches.sort(byteOrder);
}

/** glob(pattern) as keepalived's include sees it. Never throws. */
export function globFiles(pattern: string, baseDir: string): GlobResult {
  const state: ScanState = { missing: false, hadWildcards: false, entries: 0 };
  const hasBraces = hasBraceExpression(pattern);
  const patterns = expandBraces(pattern);
  if (patterns === undefined) {
    return { matches: [], missing: false, hadWildcards: false, hasBraces, tooBig: `it expands to more than ${MAX_BRACE_PATTERNS} patterns` };
  }
  const matches: string[] = [];
  for (const one of patterns) {
    const found = globOne(one, baseDir, state);
    if (found === undefined) {
      return {
        matches: [],
        missing: state.missing,
        hadWildcards: true,
        hasBraces,
        tooBig: `matching it looks at more than ${MAX_DIRECTORY_ENTRIES} directory entries and paths`,
      };
    }
    matches.push(...found);
  }
  return { matches, missing: state.missing, hadWildcards: state.hadWildcards, hasBraces, tooBig: undefined };
}
