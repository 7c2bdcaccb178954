// `include FILE|GLOB` for the preprocessor (keepalived lib/parser.c check_include(),
// open_glob_file(), open_and_check_glob(), open_conf_file()): expand the glob against the directory
// of the including file, then open the matches one at a time, each refused or read whole within the
// bounds of preprocess-state.ts. Which problems are errors depends on the include's strictness
// (include-check.ts); an include loop or a bound is always an error.
import { realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { globFiles } from './glob.js';
import { INCLUDE_BRACE, INCLUDE_LINE, INCLUDE_MATCH, INCLUDE_READ, INCLUDE_WILDCARD, includeTypeOf } from './include-check.js';
import { MAX_FILE_BYTES, MAX_FILES, MAX_INCLUDE_DEPTH, MAX_TOTAL_BYTES } from './limits.js';
import { error, innermostFile, noteOrder, report, warn } from './preprocess-state.js';
import type { FileSource, GlobSource, State } from './preprocess-state.js';
import { formatBytes, readConfigFile } from './read-file.js';
import type { SourcePos } from '../types.js';

/** An include problem: an error of class 'missing' when `strictness` asks for the check `bit`. */
function includeProblem(st: State, pos: SourcePos, strictness: number, bit: number, message: string): void {
  if ((strictness & bit) !== 0) report(st, { severity: 'error', class: 'missing', pos, message });
  else warn(st, pos, message);
}

/** An include line (already substituted): expand the glob and queue the files. */
export function include(st: State, text: string, pos: SourcePos): void {
  const match = INCLUDE_LINE.exec(text);
  const variant = match?.[1];
  const pattern = text.slice(`include${variant ?? ''}`.length).replace(/^[ \t\n\v\f\r]+/, '');
  const strictness = st.includeCheck | includeTypeOf(variant);
  if (pattern === '') {
    includeProblem(st, pos, strictness, INCLUDE_MATCH, `'include${variant ?? ''}' without a file name`);
    return;
  }
  // Relative patterns are relative to the directory of the file being read.
  const baseDir = innermostFile(st)?.dir ?? '.';
  const found = globFiles(pattern, baseDir);
  if (found.tooBig !== undefined) {
    error(st, pos, `include '${pattern}': ${found.tooBig}`);
    return;
  }
  if (found.matches.length === 0) {
    // open_and_check_glob(): a missing file or directory is keepalived's "Config files missing"
    // (MATCH, or BRACE for a brace pattern); a wildcard matching nothing is "No config files
    // matched", reported only under WILDCARD - we still note it.
    const bit = found.missing ? (found.hasBraces ? INCLUDE_BRACE : INCLUDE_MATCH) : INCLUDE_WILDCARD;
    includeProblem(st, pos, strictness, bit, `no config file matches '${pattern}'`);
    return;
  }
  if (found.missing) {
    // "Some config files missing": with BRACE checking keepalived then includes none of them.
    includeProblem(st, pos, strictness, INCLUDE_BRACE, `some of the files '${pattern}' names are missing`);
    if ((strictness & INCLUDE_BRACE) !== 0) return;
  }
  st.stack.push({ kind: 'glob', matches: found.matches, next: 0, pos, strictness, includeCheckAfter: st.includeCheck });
}

/** What tells two names of one file apart from two files: the real path (resolved if absent). */
export function identityOf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** Open the next match of a glob, or drop the glob when it is done. */
export function openNextMatch(st: State, glob: GlobSource): void {
  const path = glob.matches[glob.next++];
  if (path === undefined) {
    st.stack.pop();
    return;
  }
  const fileSources = st.stack.filter((s): s is FileSource => s.kind === 'file');
  const identity = identityOf(path);
  const loopStart = fileSources.findIndex((s) => s.identity === identity);
  if (loopStart >= 0) {
    const chain = [...fileSources.slice(loopStart).map((s) => s.path), path];
    error(st, glob.pos, `include loop: ${chain.join(' -> ')}`);
    return;
  }
  // The two bounds below hold for every other match of the glob too: one message, then none read.
  if (fileSources.length >= MAX_INCLUDE_DEPTH) {
    error(st, glob.pos, `includes are nested more than ${MAX_INCLUDE_DEPTH} deep; '${path}' is not read`);
    glob.next = glob.matches.length;
    return;
  }
  if (st.filesRead >= MAX_FILES) {
    error(st, glob.pos, `more than ${MAX_FILES} config files; '${path}' and what follows are not read`);
    glob.next = glob.matches.length;
    return;
  }
  const read = readConfigFile(path, MAX_FILE_BYTES);
  if (!read.ok) {
    includeProblem(st, glob.pos, glob.strictness, INCLUDE_READ, `cannot include '${path}': ${read.reason}`);
    return;
  }
  if (st.totalBytes + read.bytes > MAX_TOTAL_BYTES) {
    error(st, glob.pos, `cannot include '${path}': the config files would be larger than ${formatBytes(MAX_TOTAL_BYTES)} in all`);
    return;
  }
  st.totalBytes += read.bytes;
  st.filesRead++;
  noteOrder(st, { file: path, line: 0 }); // problems with the file as a whole come before its lines
  if (!st.files.includes(path)) st.files.push(path);
  st.stack.push({
    kind: 'file',
    path,
    identity,
    dir: path.endsWith('/') ? path : dirname(path),
    text: read.text,
    offset: 0,
    line: 0,
    includeCheckAfter: glob.includeCheckAfter,
  });
}
