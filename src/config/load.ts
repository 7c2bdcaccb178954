// Config loading: file -> preprocessor (include, $NAME, @id, ~SEQ) -> lexer -> parser -> schema ->
// typed Config + diagnostics. Errors are values here, never exceptions: a missing file, binary
// garbage or a half-written config all come back as diagnostics, because the daemon and `-t` must
// report them, not crash.
import type { Config, ConfigDiagnostic } from './config.js';
import { lexLines } from './lexer.js';
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

function fromPreprocessed(pre: PreprocessResult, fileName: string): LoadResult {
  const lexed = lexLines(pre.lines);
  const parsed = parseLines(lexed.lines);
  const built = buildConfig(parsed.nodes, fileName);
  const diagnostics = inReadingOrder(
    [...pre.diagnostics, ...lexed.diagnostics, ...parsed.diagnostics, ...built.diagnostics],
    pre.readOrder,
  );
  const failed = diagnostics.some((d) => d.severity === 'error');
  return { config: failed ? undefined : built.config, diagnostics, files: pre.files };
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
