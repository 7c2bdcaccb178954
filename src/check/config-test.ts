// `vrrpd -t`: check the configuration and say what is wrong, as `keepalived -t` does (reference
// keepalived-behaviour.md#the-config-check): every problem as `file:line: message` on stderr (or
// the `-t FILE` log), a summary line, and keepalived's exit codes. It reads the same text the
// daemon would (same loadConfig, same include/`@id` options) and the same kernel state (interfaces
// of this network namespace, script files and users), so its verdict is the daemon's: exit 0 means
// `vrrpd -f FILE` starts; whatever it would not act on yet is a warning, counted in the summary
// line.
//
// Where keepalived's -t is known to mislead, this one does not: a missing main file is exit 4
// (keepalived: 0), a config with no vrrp_instance fails (vrrpd would refuse to start), scripts that
// cannot run are errors (keepalived disables them with a log line). See
// test/lab/config-compat.test.ts for every difference, measured against keepalived 2.2.7.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Config, ConfigDiagnostic } from '../config/config.js';
import { formatDiagnostic } from '../config/config.js';
import { capPerKind, loadConfig, type LoadOptions, type LoadResult } from '../config/load.js';
import { dumpConfig } from '../config/dump.js';
import { environmentDiagnostics } from './environment.js';
import { CONFIG_TEST_EXIT, type ConfigTestExit } from '../exit-codes.js';


export interface ConfigTestOptions {
  readonly path: string;
  /** `-t FILE`: messages and the summary go to FILE (appended) instead of stderr. */
  readonly logFile: string | undefined;
  /** -e and -i: what the daemon is given too, so both read the same lines. */
  readonly load: LoadOptions;
  /** --dump / -d: the effective config as JSON on stdout. */
  readonly dump: boolean;
  /** What is checked against this host (tests give a fixed one). Default environmentDiagnostics. */
  readonly environment?: EnvironmentCheck;
}

/** The checks of a parsed config against this host: interfaces, scripts, users. */
export type EnvironmentCheck = (config: Config, path: string) => Promise<ConfigDiagnostic[]>;

// ---------------------------------------------------------------------------------------------
// The verdict (pure)

/**
 * Warnings the daemon can live with but `-t` fails on, and what `-t` adds to say so:
 * - an unknown keyword or block: the daemon runs (as keepalived's does) without whatever the line
 *   meant, which for a typo like `priorty 150` is the whole point of the line; keepalived -t exits
 *   5 on it too, and scripts that gate a deploy on `-t` must keep failing;
 * - a value keepalived corrects and runs on ("resetting", "rounding", "Truncating auth_pass"): its
 *   -t exits 5 on them (measured with 2.2.7), so a deploy gate written for keepalived keeps working.
 * Not here: a keyword vrrpd knows but does not implement yet ("'notify' is not supported yet").
 * The schema already made those that would change what goes on the wire errors; failing -t on the
 * rest would fail nearly every real config (track_script, notify) until those features land and
 * make -t useless as a reload gate. They stay warnings and the summary line counts them.
 * LVS/checker blocks are out of vrrpd's scope by design: warnings, not counted as unsupported.
 */
const FAILS_THE_TEST: readonly { readonly test: (d: ConfigDiagnostic) => boolean; readonly note: string }[] = [
  { test: (d) => d.kind === 'unknown', note: 'vrrpd would run without it' },
  { test: (d) => d.kind === 'corrected', note: 'vrrpd runs with the corrected value, as keepalived does' },
];

/** A warning that vrrpd knows the keyword but does not act on it yet. */
export const isNotSupportedYet = (d: ConfigDiagnostic): boolean => d.severity === 'warning' && d.kind === 'notSupportedYet';

/** The diagnostics as `-t` ranks them: warnings it fails on become errors, saying what that means. */
export function forConfigTest(diagnostics: readonly ConfigDiagnostic[]): ConfigDiagnostic[] {
  return diagnostics.map((d) => {
    if (d.severity !== 'warning') return d;
    const rule = FAILS_THE_TEST.find((f) => f.test(d));
    return rule === undefined ? d : { ...d, severity: 'error', message: `${d.message} (${rule.note})` };
  });
}

/**
 * keepalived's config_test_exit(): the most severe class seen wins, in its enum order —
 * security (6) over any other error (5) over missing file/interface (4). A 'security' diagnostic
 * counts even as a warning: keepalived runs such scripts but its -t still exits 6.
 */
export function configTestExit(diagnostics: readonly ConfigDiagnostic[]): ConfigTestExit {
  if (diagnostics.some((d) => d.class === 'security')) return CONFIG_TEST_EXIT.security;
  if (diagnostics.some((d) => d.severity === 'error' && d.class !== 'missing')) return CONFIG_TEST_EXIT.error;
  if (diagnostics.some((d) => d.severity === 'error')) return CONFIG_TEST_EXIT.missing;
  return CONFIG_TEST_EXIT.ok;
}

/** What `-t` decides about a config, and a reload with it (one function, so they never disagree). */
export interface ConfigVerdict {
  /** The config, when nothing is an error as `-t` ranks it; undefined when `-t` lists an error. */
  readonly config: Config | undefined;
  /** Every problem, errors and warnings, as `-t` ranks them (forConfigTest). */
  readonly diagnostics: readonly ConfigDiagnostic[];
  readonly exit: ConfigTestExit;
}

/**
 * `-t`'s verdict on a loaded config: its text's problems, then (if it parsed) what this host lacks
 * for it, ranked by forConfigTest. A reload takes the config exactly when this gives one back: it
 * is refused on every line `-t` prints as `error:`. Not on exit 6 alone: script security problems
 * are warnings there, as in keepalived, which runs such scripts; start-up runs them too, and a
 * daemon started on such a config could otherwise never be reloaded.
 */
export async function judgeConfig(loaded: LoadResult, path: string, environment: EnvironmentCheck = environmentDiagnostics): Promise<ConfigVerdict> {
  const hostProblems = loaded.config ? capPerKind(await environment(loaded.config, path)) : [];
  const diagnostics = forConfigTest([...loaded.diagnostics, ...hostProblems]);
  const failed = diagnostics.some((d) => d.severity === 'error');
  return { config: failed ? undefined : loaded.config, diagnostics, exit: configTestExit(diagnostics) };
}

const VERDICT: Readonly<Record<ConfigTestExit, string>> = {
  0: 'configuration OK',
  4: 'exit 4: a file or interface is missing',
  5: 'exit 5: configuration errors',
  6: 'exit 6: scripts configured without enable_script_security',
};

const count = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * `FILE: 2 errors, 3 warnings in 3 files, 4 vrrp_instances - exit 5: configuration errors`, and
 * when some settings are known but not acted on yet, `; 2 settings vrrpd does not support yet`.
 */
export function summaryLine(
  path: string,
  diagnostics: readonly ConfigDiagnostic[],
  files: number,
  instances: number | undefined,
): string {
  // A line standing for diagnostics left out (capPerKind) counts as those it stands for.
  const total = (ds: readonly ConfigDiagnostic[]): number => ds.reduce((n, d) => n + (d.omitted ?? 1), 0);
  const errors = total(diagnostics.filter((d) => d.severity === 'error'));
  const warnings = total(diagnostics) - errors;
  // Without a Config (the text had errors) the number of instances is not known: say nothing.
  const inst = instances === undefined ? '' : `, ${count(instances, 'vrrp_instance')}`;
  const unsupported = total(diagnostics.filter(isNotSupportedYet));
  const gaps = unsupported === 0 ? '' : `; ${count(unsupported, 'setting')} vrrpd does not support yet`;
  return `${path}: ${count(errors, 'error')}, ${count(warnings, 'warning')} in ${count(files, 'file')}${inst} - ${VERDICT[configTestExit(diagnostics)]}${gaps}`;
}

export function formatForTest(d: ConfigDiagnostic): string {
  return `${d.severity === 'error' ? 'error' : 'warning'}: ${formatDiagnostic(d)}`;
}

// ---------------------------------------------------------------------------------------------
// The command

/** A line sink to stderr or to the -t log file (falling back to stderr if it cannot be opened). */
function openReport(logFile: string | undefined): { write: (line: string) => void; close: () => void } {
  const toStderr = { write: (line: string) => void process.stderr.write(`${line}\n`), close: () => undefined };
  if (logFile === undefined) return toStderr;
  let fd: number;
  try {
    fd = openSync(logFile, 'a');
  } catch (e) {
    process.stderr.write(`vrrpd: cannot open ${logFile} (${e instanceof Error ? e.message : String(e)}): reporting on stderr\n`);
    return toStderr;
  }
  return { write: (line) => void writeSync(fd, `${line}\n`), close: () => closeSync(fd) };
}

export async function runConfigTest(opts: ConfigTestOptions): Promise<ConfigTestExit> {
  const loaded = loadConfig(opts.path, opts.load);
  const { diagnostics, exit } = await judgeConfig(loaded, opts.path, opts.environment);

  const report = openReport(opts.logFile);
  try {
    for (const d of diagnostics) report.write(formatForTest(d));
    report.write(summaryLine(opts.path, diagnostics, loaded.files.length, loaded.config?.instances.length));
  } finally {
    report.close();
  }
  if (opts.dump && loaded.config) process.stdout.write(dumpConfig(loaded.config));
  return exit;
}

export type { LoadOptions } from '../config/load.js';
