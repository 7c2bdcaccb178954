// vrrpd's command line: keepalived's flags with keepalived's meaning
// (docs/reference/keepalived-behaviour.md#command-line), so `vrrpd -D -f /etc/vrrpd.conf` does what
// `keepalived -D -f ...` did. Loaded by cli.ts.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { closeSync, writeSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { FLAGS, type FlagRow } from './flags.js';
import { flushed } from './output.js';
import { DEFAULT_UMASK, parseUmask, rtSignals, signalNumber } from './values.js';
import { parseFacility } from '../log/facility.js';
import { openFilesLimit, tooManyOpenFiles } from '../host/open-files.js';
import { saveCodeCache } from '../host/compile-cache.js';
import type { LoadOptions } from '../check/config-test.js';
import { VERSION } from '../version.js';
import { CONFIG_TEST_EXIT, EXIT } from '../exit-codes.js';


/** Set in the detached child so it knows to report to its parent over fd 3. */
const DETACHED_ENV = 'VRRPD_DETACHED_CHILD';
const READY_LINE = 'ready';
/** -g without FILE. keepalived's default is keepalived.log in its working directory (/). */
const DEFAULT_LOG_FILE = '/var/log/vrrpd.log';

/** Option values by commander's attribute name; types are checked where they are read. */
type Values = Record<string, unknown>;

/** commander's attribute for a row: camelCase of the long name; `--no-syslog` negates `syslog`. */
function attribute(row: FlagRow): string {
  const name = row.long.startsWith('no-') ? row.long.slice(3) : row.long;
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function describe(row: FlagRow): string {
  switch (row.vrrpd) {
    case 'same':
      return row.why === '' ? row.keepalived : `${row.keepalived} [vrrpd: ${row.why}]`;
    case 'note':
      return `${row.keepalived} [vrrpd: accepted, no effect - ${row.why}]`;
    case 'refused':
      return `${row.keepalived} [vrrpd: refused, exit 1 - ${row.why}]`;
  }
}

function program(): Command {
  const cmd = new Command('vrrpd')
    .description('VRRPv2 daemon (RFC 3768) reading keepalived.conf; the flags are keepalived 2.2\'s')
    .exitOverride()
    .allowExcessArguments(true)
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: () => undefined });
  for (const row of FLAGS) {
    if (row.long === 'version' || row.long === 'help') continue;
    const arg = row.arg === undefined ? '' : row.arg.optional ? ` [${row.arg.name}]` : ` <${row.arg.name}>`;
    const option = new Option(`${row.short === undefined ? '' : `-${row.short}, `}--${row.long}${arg}`, describe(row));
    if (row.long === 'use-file') option.default('/etc/vrrpd.conf');
    if (row.long === 'pid') option.default('/run/vrrpd.pid');
    cmd.addOption(option);
  }
  return cmd
    .option('--dump', 'the same as -d')
    .option('--control-socket <path>', 'vrrpd: the control socket for `vrrpd status` (default: the pidfile with .sock for .pid)')
    .option('--metrics-listen <host:port>', 'vrrpd: serve Prometheus metrics on http://HOST:PORT/metrics (off by default)')
    .addHelpText('after', '\nvrrpd status [--json] [--control-socket PATH | -p PIDFILE]\n  what the running daemon says: state, priorities, master, VIPs, last transition and why,\n  tracking, counters, mismatched peers (exit 1: daemon not running or socket unreachable)')
    .version(`vrrpd v${VERSION}`, '-v, --version', 'display the version number')
    .helpOption('-h, --help', 'display this help message');
}

/** How the user spelt a row's flag, for keepalived's messages: `-f` if they used it, else `--use-file`. */
function spelt(row: FlagRow, argv: readonly string[]): string {
  const long = `--${row.long}`;
  if (row.short === undefined || argv.some((a) => a === long || a.startsWith(`${long}=`))) return long;
  return `-${row.short}`;
}

/** commander's error in keepalived's words (parse_cmdline: "Unknown option -Z", "Missing parameter for option -f"). */
function keepalivedError(e: CommanderError, argv: readonly string[]): string {
  const quoted = /'([^']+)'/.exec(e.message)?.[1] ?? '';
  if (e.code === 'commander.unknownOption') return `Unknown option ${quoted}`;
  if (e.code === 'commander.optionMissingArgument') {
    const row = FLAGS.find((f) => quoted.includes(`--${f.long} `) || quoted.endsWith(`--${f.long}`));
    return `Missing parameter for option ${row === undefined ? quoted : spelt(row, argv)}`;
  }
  return e.message.replace(/^error: /, '');
}

type Parsed =
  | { readonly kind: 'exit'; readonly code: number }
  | { readonly kind: 'run'; readonly values: Values; readonly given: ReadonlySet<FlagRow> };

function parse(argv: readonly string[]): Parsed {
  const cmd = program();
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.exitCode === 0) return { kind: 'exit', code: EXIT.ok };
    process.stderr.write(`${keepalivedError(e, argv)}\n`);
    return { kind: 'exit', code: EXIT.fatal };
  }
  // keepalived prints them and runs on (on stdout; stderr here, where -t --dump's JSON is not).
  if (cmd.args.length > 0) process.stderr.write(`Unexpected argument(s): ${cmd.args.join(' ')}\n`);
  const values = cmd.opts<Values>();
  const given = new Set(FLAGS.filter((row) => cmd.getOptionValueSource(attribute(row)) === 'cli'));
  // getopt hands `--use-file=` over as an empty argument; keepalived calls it missing.
  for (const row of given) {
    if (row.arg !== undefined && !row.arg.optional && values[attribute(row)] === '') {
      process.stderr.write(`Missing parameter for option --${row.long}\n`);
      return { kind: 'exit', code: EXIT.fatal };
    }
  }
  return { kind: 'run', values, given };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** `vrrpd status ...`: its own small command line; the client is loaded only here. */
async function statusCommand(argv: readonly string[]): Promise<number> {
  const cmd = new Command('vrrpd status')
    .description('ask the running vrrpd over its control socket')
    .option('--json', 'the full status as one JSON object')
    .option('--control-socket <path>', 'the daemon\'s control socket (default /run/vrrpd/vrrpd.sock, then /run/vrrpd.sock)')
    .option('-p, --pid <file>', 'the daemon\'s pidfile; its socket is beside it (.sock for .pid)')
    .helpOption('-h, --help', 'display this help message')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: () => undefined });
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.exitCode === 0) return EXIT.ok;
    process.stderr.write(`vrrpd status: ${e.message.replace(/^error: /, '')}\n`);
    return EXIT.fatal;
  }
  const o = cmd.opts<Values>();
  const controlSocket = str(o['controlSocket']);
  const pidFile = str(o['pid']);
  const { runStatusCommand } = await import('../control/command.js');
  return runStatusCommand(
    { json: o['json'] === true, ...(controlSocket === undefined ? {} : { controlSocket }), ...(pidFile === undefined ? {} : { pidFile }) },
    (text) => process.stdout.write(text),
    (line) => process.stderr.write(`${line}\n`),
  );
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'status') return statusCommand(argv.slice(1));
  const parsed = parse(argv);
  if (parsed.kind === 'exit') return parsed.code;
  const { values, given } = parsed;
  const detachedChild = process.env[DETACHED_ENV] !== undefined;
  // The parent already said it on the terminal; the detached child has no stderr.
  const say = (line: string): void => {
    if (!detachedChild) process.stderr.write(`${line}\n`);
  };

  const sigfunc = str(values['signum']);
  if (sigfunc !== undefined) {
    const n = signalNumber(sigfunc, rtSignals());
    if (n === undefined) {
      process.stderr.write(`Unknown sigfunc ${sigfunc}\n`);
      return EXIT.fatal;
    }
    process.stdout.write(`${n}\n`);
    return EXIT.ok;
  }
  for (const row of given) {
    if (row.vrrpd === 'refused') {
      process.stderr.write(`vrrpd: ${spelt(row, argv)}: ${row.message ?? row.why} - not started\n`);
      return EXIT.fatal;
    }
  }
  for (const row of given) if (row.vrrpd === 'note') say(`vrrpd: ${spelt(row, argv)}: ${row.message ?? row.why}`);

  let facilityInvalid = false;
  const facilityText = str(values['logFacility']);
  const facility = facilityText === undefined ? undefined : parseFacility(facilityText);
  if (facility !== undefined && !facility.ok) {
    say(facility.error);
    facilityInvalid = true;
  }
  const umaskText = str(values['umask']);
  const umask = umaskText === undefined ? undefined : parseUmask(umaskText);
  if (umask !== undefined && !umask.ok) say(umask.error);

  const useFile = str(values['useFile']) ?? '/etc/vrrpd.conf';
  const configId = str(values['configId']);
  const load: LoadOptions = {
    ...(values['allConfig'] === true ? { includeCheck: true } : {}),
    ...(configId !== undefined ? { configId } : {}),
  };
  const dump = values['dumpConf'] === true || values['dump'] === true;
  const configTest = values['configTest'];
  if (configTest !== undefined) {
    // Loaded here: the configuration language and the host's interfaces are what -t costs; -v, -h
    // and the daemon's own path do not wait for them at this point.
    const { runConfigTest } = await import('../check/config-test.js');
    const code = await runConfigTest({ path: useFile, logFile: str(configTest), load, dump });
    // keepalived's -t exits 5 after "Invalid log facility" (a config error to it); 6 still wins.
    if (!facilityInvalid || code === CONFIG_TEST_EXIT.security || code === CONFIG_TEST_EXIT.error) return code;
    process.stderr.write(`vrrpd: exit ${CONFIG_TEST_EXIT.error}: invalid -S log facility (keepalived's -t exits 5 on it too)\n`);
    return CONFIG_TEST_EXIT.error;
  }
  if (values['dontFork'] !== true && !detachedChild) return detach(argv);

  // keepalived sets its umask (0177 unless -u) before anything creates a file; scripts inherit it.
  process.umask(umask?.ok === true ? umask.value : DEFAULT_UMASK);
  const logFile = values['logFile'];
  const report = detachedChild ? (line: string) => writeParent(`${line}\n`) : (line: string) => process.stderr.write(`${line}\n`);
  const vrrpPidFile = str(values['vrrp_pid']);
  const controlSocket = str(values['controlSocket']);
  const metricsText = str(values['metricsListen']);
  const { parseListen } = await import('../metrics/listen.js');
  const metricsListen = metricsText === undefined ? undefined : parseListen(metricsText);
  if (metricsListen !== undefined && !metricsListen.ok) {
    report(`vrrpd: ${metricsListen.error} - not started`);
    return EXIT.fatal;
  }
  const { runDaemon } = await import('../daemon/daemon.js');
  return runDaemon({
    configPath: useFile,
    load,
    pidFile: str(values['pid']) ?? '/run/vrrpd.pid',
    detail: values['logDetail'] === true,
    // A detached daemon has no console; keepalived's -l is then a no-op too.
    logConsole: values['logConsole'] === true && !detachedChild,
    // In the foreground (-n, systemd's Type=notify) stdout carries the structured JSON lines.
    logJson: !detachedChild,
    syslog: values['syslog'] !== false,
    flags: {
      ...(facility?.ok === true ? { facility: facility.value } : {}),
      ...(logFile === undefined ? {} : { logFile: resolvePath(str(logFile) ?? DEFAULT_LOG_FILE) }),
      ...(umask?.ok === true ? { umask: umask.value } : {}),
      ...(vrrpPidFile === undefined ? {} : { vrrpPidFile }),
      dontReleaseVrrp: values['dontReleaseVrrp'] === true,
      dumpConfig: dump,
      addressMonitoring: values['addressMonitoring'] === true,
      ...(controlSocket === undefined ? {} : { controlSocket: resolvePath(controlSocket) }),
      ...(metricsListen === undefined ? {} : { metricsListen: metricsListen.value }),
    },
    report,
    onReady: () => {
      // What start-up compiled goes to the cache now, not at exit (a crash or SIGKILL writes none).
      saveCodeCache();
      if (!detachedChild) return;
      writeParent(`${READY_LINE}\n`);
      closeParentChannel();
    },
  });
}

let parentChannelOpen = true;
function writeParent(text: string): void {
  if (!parentChannelOpen) return;
  try {
    writeSync(3, text);
  } catch {
    parentChannelOpen = false;
  }
}
function closeParentChannel(): void {
  if (!parentChannelOpen) return;
  parentChannelOpen = false;
  try {
    closeSync(3);
  } catch {
    // the parent already went away
  }
}

/**
 * Without -n keepalived forks and the parent returns once the daemon runs (systemd
 * Type=forking, PIDFile=). We re-execute ourselves in a new session and wait on a pipe (fd 3)
 * until the child says it is ready (pidfile written) or dies; its start-up errors come back on
 * the same pipe, so `vrrpd -f bad.conf` still prints `file:line: ...` and exits non-zero.
 */
function detach(argv: string[]): Promise<number> {
  return new Promise((resolve) => {
    // process.argv[1] is the entry node ran (the bundle's cli.js, or dist/src/cli.js), wherever
    // this module was bundled to.
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1] ?? '', ...argv], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      env: { ...process.env, [DETACHED_ENV]: '1' },
    });
    let ready = false;
    const channel = child.stdio[3] as Readable | null;
    if (channel) {
      // Split by hand: node:readline costs every command ~3 ms of loading for these few lines.
      let partial = '';
      channel.setEncoding('utf8');
      channel.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (ready) return;
          if (line === READY_LINE) {
            ready = true;
            child.unref();
            channel.destroy();
            resolve(EXIT.ok);
          } else {
            process.stderr.write(`${line}\n`);
          }
        }
      });
    }
    child.on('exit', (code, signal) => {
      if (ready) return;
      resolve(code ?? (signal ? EXIT.fatal : EXIT.ok));
    });
    child.on('error', (e) => {
      process.stderr.write(`cannot start the daemon: ${e.message}\n`);
      resolve(EXIT.fatal);
    });
  });
}

// Before the logger exists, an exception is said on stderr; once runDaemon runs, its crash handler
// (src/daemon/crash.ts) takes over: it releases what the daemon holds and exits 70.
process.on('uncaughtException', (e) => {
  if (process.listenerCount('uncaughtException') === 1) process.stderr.write(`vrrpd: internal error: ${e.message}\n`);
});

// A closed stdout or stderr is reported once by exit() below, not as an uncaught exception.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

/** Exits once stdout and stderr are written out; output that could not be is a failure. */
async function exit(code: number): Promise<never> {
  const out = await flushed(process.stdout, 'stdout');
  if (!out.ok) process.stderr.write(`vrrpd: ${out.error}\n`);
  await flushed(process.stderr, 'stderr');
  process.exit(out.ok || code !== EXIT.ok ? code : EXIT.fatal);
}

main(process.argv.slice(2)).then(exit, (e: unknown) => {
  process.stderr.write(`${tooManyOpenFiles(e, openFilesLimit()) ?? `vrrpd: ${e instanceof Error ? e.message : String(e)}`}\n`);
  return exit(EXIT.fatal);
});
