#!/usr/bin/env node
// vrrpd's command line: keepalived's flags with keepalived's meaning (reference §1.1), so
// `vrrpd -D -f /etc/vrrpd.conf` does what `keepalived -D -f ...` did.
import { spawn } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { runConfigTest, type LoadOptions } from './config-test.js';
import { VERSION } from './version.js';

interface CliOptions {
  useFile: string;
  logDetail?: boolean;
  dontFork?: boolean;
  logConsole?: boolean;
  pid: string;
  configTest?: string | boolean;
  vrrp?: boolean;
  allConfig?: boolean;
  configId?: string;
  dumpConf?: boolean;
  dump?: boolean;
}

/**
 * keepalived's exit codes the command line itself uses (the daemon's full set is daemon.ts EXIT).
 * Local so that `-t`, `-v` and `-h` do not load the daemon (pino, raw sockets): `vrrpd -t` is
 * run by hand and by deploy scripts, and its start-up time is most of what they wait for.
 */
const EXIT = { ok: 0, fatal: 1 } as const;

/** Set in the detached child so it knows to report to its parent over fd 3. */
const DETACHED_ENV = 'VRRPD_DETACHED_CHILD';
const READY_LINE = 'ready';

function program(): Command {
  return new Command('vrrpd')
    .description('VRRPv2 daemon (RFC 3768) reading keepalived.conf')
    .option('-f, --use-file <file>', 'use the specified configuration file', '/etc/vrrpd.conf')
    .option('-D, --log-detail', 'detailed log messages')
    .option('-n, --dont-fork', "don't fork the daemon process")
    .option('-l, --log-console', 'log messages to the console (JSON lines on stdout)')
    .option('-p, --pid <file>', 'pidfile', '/run/vrrpd.pid')
    .option('-t, --config-test [file]', 'check the configuration for obvious errors; output to stderr or FILE')
    .option('-P, --vrrp', 'only run the VRRP subsystem (vrrpd has no other; accepted for keepalived compatibility)')
    .option('-e, --all-config', "don't start if any configuration file is missing (as global include_check)")
    .option('-i, --config-id <id>', "match '@id' configuration lines against ID (default: the short hostname)")
    .option('-d, --dump-conf', 'with -t: print the effective configuration as JSON on stdout')
    .option('--dump', 'the same as -d')
    .version(`vrrpd v${VERSION}`, '-v, --version', 'display the version number')
    .helpOption('-h, --help', 'display this help message')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
}

async function main(argv: string[]): Promise<number> {
  let opts: CliOptions;
  try {
    const cmd = program().parse(argv, { from: 'user' });
    opts = cmd.opts<CliOptions>();
    if (cmd.args.length > 0) process.stderr.write(`Unexpected argument(s): ${cmd.args.join(' ')}\n`);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.fatal;
    throw e;
  }

  const load: LoadOptions = {
    ...(opts.allConfig === true ? { includeCheck: true } : {}),
    ...(opts.configId !== undefined ? { configId: opts.configId } : {}),
  };
  const dump = opts.dumpConf === true || opts.dump === true;
  if (opts.configTest !== undefined) {
    return runConfigTest({
      path: opts.useFile,
      logFile: typeof opts.configTest === 'string' ? opts.configTest : undefined,
      load,
      dump,
    });
  }
  // keepalived's -d dumps the parsed config to the log at start-up; vrrpd's daemon does not yet.
  if (dump) process.stderr.write('vrrpd: -d/--dump-conf is only implemented with -t (vrrpd -t -d -f FILE); ignored\n');
  if (!opts.dontFork && process.env[DETACHED_ENV] === undefined) return detach(argv);

  const detachedChild = process.env[DETACHED_ENV] !== undefined;
  const report = detachedChild ? (line: string) => writeParent(`${line}\n`) : (line: string) => process.stderr.write(`${line}\n`);
  const { runDaemon } = await import('./daemon.js');
  return runDaemon({
    configPath: opts.useFile,
    load,
    pidFile: opts.pid,
    detail: opts.logDetail === true,
    // A detached daemon has no console; keepalived's -l is then a no-op too.
    logConsole: opts.logConsole === true && !detachedChild,
    syslog: true,
    report,
    onReady: () => {
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
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...argv], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      env: { ...process.env, [DETACHED_ENV]: '1' },
    });
    let ready = false;
    const channel = child.stdio[3];
    if (channel && 'on' in channel) {
      createInterface({ input: channel as NodeJS.ReadableStream }).on('line', (line) => {
        if (line === READY_LINE) {
          ready = true;
          child.unref();
          (channel as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
          resolve(EXIT.ok);
        } else {
          process.stderr.write(`${line}\n`);
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

// A daemon that holds the VIP must not die on a stray exception in an I/O callback: runDaemon
// logs it and keeps serving. Before the logger exists, say it on stderr and do the same.
process.on('uncaughtException', (e) => {
  if (process.listenerCount('uncaughtException') === 1) process.stderr.write(`vrrpd: internal error: ${e.message}\n`);
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`vrrpd: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(EXIT.fatal);
  },
);
