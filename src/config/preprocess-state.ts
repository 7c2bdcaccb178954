// The preprocessor's state (preprocess.ts): the stack of line sources it reads from, and how it
// records problems. Shared with include.ts. Its bounds are in limits.ts.
import { hostname } from 'node:os';
import type { ConfigDiagnostic } from './config.js';
import type { Definitions } from './definitions.js';
import type { SourceLine } from './lexer.js';
import type { Replication } from './replicate.js';
import type { SourcePos } from '../types.js';

export interface PreprocessOptions {
  /** keepalived `-e` / `include_check`: every include problem is an error (class 'missing'). */
  readonly includeCheck?: boolean;
  /** keepalived `-i ID`: the id `@ID` lines are kept for. Default: the host name up to its first `.`. */
  readonly configId?: string;
  /** Source of ${_RANDOM} (tests make it deterministic). Default Math.random. */
  readonly random?: () => number;
}

export interface PreprocessResult {
  readonly lines: readonly SourceLine[];
  readonly diagnostics: readonly ConfigDiagnostic[];
  /** Every config file read, the main one first, each once, in the order first read. */
  readonly files: readonly string[];
  /** When each line was first handled, to list diagnostics in reading order (see readOrderOf). */
  readonly readOrder: ReadOrder;
  /** A bound (MAX_LINES, MAX_EXPANDED_BYTES) stopped the reading: the lines are a prefix of the config. */
  readonly stopped: boolean;
}

/** file -> line -> order of first handling (line 0: the file as a whole, noted when it is opened). */
export type ReadOrder = ReadonlyMap<string, readonly (number | undefined)[]>;

/** Where `pos` stands in reading order; undefined for a position the preprocessor never saw. */
export function readOrderOf(order: ReadOrder, pos: SourcePos): number | undefined {
  return order.get(pos.file)?.[pos.line];
}

/** keepalived main.c: the config id defaults to the node name up to its first `.`. */
export function defaultConfigId(): string {
  return hostname().split('.')[0] ?? '';
}

export interface FileSource {
  readonly kind: 'file';
  /** As reported in diagnostics. */
  readonly path: string;
  /** realpath, to detect loops. */
  readonly identity: string;
  /** Directory relative includes are resolved against (as reported). */
  readonly dir: string;
  readonly text: string;
  offset: number;
  line: number;
  /** include_check as it was when the include naming this file was met (keepalived end_file()). */
  readonly includeCheckAfter: number;
}

export interface GlobSource {
  readonly kind: 'glob';
  readonly matches: readonly string[];
  next: number;
  /** The include line. */
  readonly pos: SourcePos;
  /** include_check | the variant's bits, as keepalived's file_config_error() uses them. */
  readonly strictness: number;
  readonly includeCheckAfter: number;
}

export interface LinesSource {
  readonly kind: 'lines';
  /** 'residue': the rest of a line after a brace; 'multiline': lines of a multi-line parameter. */
  readonly origin: 'residue' | 'multiline';
  readonly lines: readonly string[];
  next: number;
  readonly pos: SourcePos;
  readonly column: number;
}

export interface ReplicationSource {
  readonly kind: 'replication';
  readonly replication: Replication;
  readonly pos: SourcePos;
}

export type Source = FileSource | GlobSource | LinesSource | ReplicationSource;

export interface PendingDefinition {
  readonly name: string;
  readonly lines: string[];
  readonly pos: SourcePos;
}

export interface State {
  readonly configId: string;
  readonly random: () => number;
  readonly stack: Source[];
  readonly out: SourceLine[];
  readonly diagnostics: ConfigDiagnostic[];
  readonly files: string[];
  readonly readOrder: Map<string, (number | undefined)[]>;
  readOrderCount: number;
  readonly definitions: Definitions;
  readonly warned: Set<string>;
  pending: PendingDefinition | undefined;
  includeCheck: number;
  totalBytes: number;
  filesRead: number;
  handled: number;
  generated: number;
  /** Characters of the lines emitted so far (MAX_EXPANDED_BYTES). */
  expandedBytes: number;
  /** MAX_GENERATED_LINES or MAX_EXPANSION_DEPTH was hit: no more expansion. */
  expansionStopped: boolean;
  /** MAX_LINES or MAX_EXPANDED_BYTES was hit: nothing more is read. */
  stopped: boolean;
  /** Block nesting of the emitted lines, to honour include_check inside global_defs. */
  readonly blocks: (string | undefined)[];
  lastStatement: string | undefined;
}

export function noteOrder(st: State, pos: SourcePos): void {
  let lines = st.readOrder.get(pos.file);
  if (lines === undefined) {
    lines = [];
    st.readOrder.set(pos.file, lines);
  }
  // Lines are met in increasing order within a file, so the array fills densely (V8 switches to a
  // sparse store if a file of blank lines ends with a problem at line 8 000 000).
  lines[pos.line] ??= st.readOrderCount++;
}

export function report(st: State, d: ConfigDiagnostic): void {
  noteOrder(st, d.pos);
  st.diagnostics.push(d);
}

export const error = (st: State, pos: SourcePos, message: string): void => report(st, { severity: 'error', pos, message });
export const warn = (st: State, pos: SourcePos, message: string): void => report(st, { severity: 'warning', pos, message });

/** The innermost file being read (the top-most file source), if any. */
export function innermostFile(st: State): FileSource | undefined {
  for (let i = st.stack.length - 1; i >= 0; i--) {
    const s = st.stack[i] as Source;
    if (s.kind === 'file') return s;
  }
  return undefined;
}
