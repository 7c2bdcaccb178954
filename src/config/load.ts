// Config loading: file -> text -> lexer -> parser -> schema -> typed Config + diagnostics.
// Errors are values here, never exceptions: a missing file, binary garbage or a half-written
// config all come back as diagnostics, because the daemon and `-t` must report them, not crash.
import { readFileSync } from 'node:fs';
import type { Config, ConfigDiagnostic } from './config.js';
import { lexConfig } from './lexer.js';
import { parseLines } from './parser.js';
import { buildConfig } from './schema.js';

export interface LoadResult {
  /** Undefined when any diagnostic is an error. */
  readonly config: Config | undefined;
  /** Every problem found, errors and warnings, in file and line order. */
  readonly diagnostics: readonly ConfigDiagnostic[];
}

/** Stable sort by file (in order of first appearance) then line, so `-t` reads top to bottom. */
function inSourceOrder(diagnostics: readonly ConfigDiagnostic[]): ConfigDiagnostic[] {
  const fileRank = new Map<string, number>();
  for (const d of diagnostics) if (!fileRank.has(d.pos.file)) fileRank.set(d.pos.file, fileRank.size);
  return diagnostics
    .map((d, index) => ({ d, index }))
    .sort((a, b) => {
      const byFile = (fileRank.get(a.d.pos.file) ?? 0) - (fileRank.get(b.d.pos.file) ?? 0);
      return byFile !== 0 ? byFile : a.d.pos.line - b.d.pos.line || a.index - b.index;
    })
    .map(({ d }) => d);
}

/** Parse config text as if read from `fileName` (which only labels the diagnostics). Never throws. */
export function parseConfigText(text: string, fileName: string): LoadResult {
  try {
    const lexed = lexConfig(text, fileName);
    const parsed = parseLines(lexed.lines);
    const built = buildConfig(parsed.nodes, fileName);
    const diagnostics = inSourceOrder([...lexed.diagnostics, ...parsed.diagnostics, ...built.diagnostics]);
    const failed = diagnostics.some((d) => d.severity === 'error');
    return { config: failed ? undefined : built.config, diagnostics };
  } catch (e) {
    // Not expected to happen; a bug in the front end must still not take the daemon down.
    const reason = e instanceof Error ? e.message : String(e);
    return {
      config: undefined,
      diagnostics: [{ severity: 'error', pos: { file: fileName, line: 0 }, message: `internal error while parsing: ${reason}` }],
    };
  }
}

/**
 * Read and parse a config file. A missing or unreadable file is an error diagnostic at line 0,
 * which formatDiagnostic() prints as `PATH: cannot read config file: REASON`.
 */
export function loadConfig(path: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return {
      config: undefined,
      diagnostics: [{ severity: 'error', class: 'missing', pos: { file: path, line: 0 }, message: `cannot read config file: ${reason}` }],
    };
  }
  return parseConfigText(text, path);
}
