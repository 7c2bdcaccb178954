// Config loading: file -> preprocessor (include, $NAME, @id, ~SEQ) -> lexer -> parser -> schema ->
// typed Config + diagnostics. Errors are values here, never exceptions: a missing file, binary
// garbage or a half-written config all come back as diagnostics, because the daemon and `-t` must
// report them, not crash.
import type { Config, ConfigDiagnostic } from './config.js';
import { lexLines } from './lexer.js';
import { MAX_DIAGNOSTICS_PER_KIND } from './limits.js';
import { parseLines } from './parser.js';
import { preprocessFile, preprocessText, readOrderOf } from './preprocess.js';
import type { PreprocessResult, ReadOrder } from './preprocess.js';
import { buildConfig } from './schema.js';

export interface LoadOptions {
  /** keepalived `-e`: a missing or unreadable include is an error (class 'missing'), not a warning. */
  readonly includeCheck?: boolean;
  /** keepalived `-i ID`: `@ID` lines are kept for this id. Default: the host name up to its first `.`. */
  readonly configId?: string;
}

export interface LoadResult {
  /** Undefined when any diagnostic is an error. */
  readonly config: Config | undefined;
  /** Every problem found, errors and warnings, in the order the lines were read. */
  readonly diagnostics: readonly ConfigDiagnostic[];
  /** The config files read, the main one first (empty when it could not be read). */
  readonly files: readonly string[];
}

/**
 * Stable sort in reading order (an included file's problems come where the include stands); a
 * position the preprocessor never saw goes by file (in order of first appearance) then line.
 */
function inReadingOrder(diagnostics: readonly ConfigDiagnostic[], readOrder: ReadOrder): ConfigDiagnostic[] {
  const fileRank = new Map<string, number>();
  for (const d of diagnostics) if (!fileRank.has(d.pos.file)) fileRank.set(d.pos.file, fileRank.size);
  const key = (d: ConfigDiagnostic): number => readOrderOf(readOrder, d.pos) ?? Number.POSITIVE_INFINITY;
  return diagnostics
    .map((d, index) => ({ d, index }))
    .sort((a, b) => {
      const ka = key(a.d);
      const kb = key(b.d);
      if (ka !== kb) return ka < kb ? -1 : 1;
      const byFile = (fileRank.get(a.d.pos.file) ?? 0) - (fileRank.get(b.d.pos.file) ?? 0);
      return byFile !== 0 ? byFile : a.d.pos.line - b.d.pos.line || a.index - b.index;
    })
    .map(({ d }) => d);
}

/** What a group of diagnostics is called in the line standing for those not listed. */
function kindName(d: ConfigDiagnostic): string {
  if (d.kind === 'unknown') return 'unknown keywords or blocks';
  if (d.kind === 'corrected') return 'corrected values';
  if (d.kind === 'notSupportedYet') return 'settings not supported yet';
  if (d.class === 'security') return 'script security problems';
  if (d.class === 'missing') return 'missing files or interfaces';
  return d.severity === 'error' ? 'errors' : 'warnings';
}

/**
 * At most MAX_DIAGNOSTICS_PER_KIND of each kind (severity, kind, class), in their order; the rest
 * of a kind become one diagnostic at the first one left out, saying how many (its `omitted`).
 */
export function capPerKind(diagnostics: readonly ConfigDiagnostic[]): ConfigDiagnostic[] {
  const kinds = new Map<string, { listed: number; first: ConfigDiagnostic | undefined; more: number }>();
  const out: ConfigDiagnostic[] = [];
  for (const d of diagnostics) {
    const key = `${d.severity}/${d.kind ?? ''}/${d.class ?? ''}`;
    let kind = kinds.get(key);
    if (kind === undefined) {
      kind = { listed: 0, first: undefined, more: 0 };
      kinds.set(key, kind);
    }
    if (kind.listed < MAX_DIAGNOSTICS_PER_KIND) {
      kind.listed++;
      out.push(d);
    } else {
      kind.first ??= d;
      kind.more += d.omitted ?? 1;
    }
  }
  for (const { first, more } of kinds.values()) {
    if (first === undefined) continue;
    out.push({ ...first, message: `${more} more ${kindName(first)} from here on are not listed`, omitted: more });
  }
  return out;
}

function fromPreprocessed(pre: PreprocessResult, fileName: string): LoadResult {
  const done = (diagnostics: readonly ConfigDiagnostic[], built: Config | undefined): LoadResult => {
    const listed = capPerKind(inReadingOrder(diagnostics, pre.readOrder));
    const failed = listed.some((d) => d.severity === 'error');
    return { config: failed ? undefined : built, diagnostics: listed, files: pre.files };
  };
  // Reading stopped at a bound: the rest would only report the cut (blocks left open).
  if (pre.stopped) return done(pre.diagnostics, undefined);
  const lexed = lexLines(pre.lines);
  if (lexed.stopped) return done([...pre.diagnostics, ...lexed.diagnostics], undefined);
  const parsed = parseLines(lexed.lines);
  if (parsed.stopped) return done([...pre.diagnostics, ...lexed.diagnostics, ...parsed.diagnostics], undefined);
  const built = buildConfig(parsed.nodes, fileName);
  return done([...pre.diagnostics, ...lexed.diagnostics, ...parsed.diagnostics, ...built.diagnostics], built.config);
}

/** Not expected to happen; a bug in the front end must still not take the daemon down. */
function internalError(e: unknown, fileName: string): LoadResult {
  const reason = e instanceof Error ? e.message : String(e);
  return {
    config: undefined,
    diagnostics: [{ severity: 'error', pos: { file: fileName, line: 0 }, message: `internal error while parsing: ${reason}` }],
    files: [],
  };
}

/**
 * Parse config text as if read from `fileName`: it labels the diagnostics, and `include`s are
 * resolved against its directory (and read from disk). Never throws.
 */
export function parseConfigText(text: string, fileName: string, opts: LoadOptions = {}): LoadResult {
  try {
    return fromPreprocessed(preprocessText(text, fileName, opts), fileName);
  } catch (e) {
    return internalError(e, fileName);
  }
}

/**
 * Read and parse a config file and what it includes. A missing or unreadable main file is an error
 * of class 'missing' at line 0, which formatDiagnostic() prints as `PATH: cannot read config file:
 * REASON`. Never throws.
 */
export function loadConfig(path: string, opts: LoadOptions = {}): LoadResult {
  try {
    const pre = preprocessFile(path, opts);
    if (pre.files.length === 0) return { config: undefined, diagnostics: pre.diagnostics, files: [] };
    return fromPreprocessed(pre, path);
  } catch (e) {
    return internalError(e, path);
  }
}
