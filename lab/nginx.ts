// The Debian nginx inside a lab host: the web server the VRRP pair stands in front of. Each one
// serves a page naming its host (`node-a\n`), so a client on the VIP can tell who answered.
//
// nginx must stay inside its namespace and its temp dir. Listening on 0.0.0.0:80 inside a network
// namespace is that namespace only. Everything it would write by default (1.22.1 Debian build:
// error log before the config is read `stderr`, access log /var/log/nginx, pid /run/nginx.pid,
// lock /var/lock/nginx.lock, five temp dirs under /var/lib/nginx that the master creates at start
// even when nothing uses them) is pointed into a private temp dir: `-e` for the start-up error log,
// the config for the rest. test/lab/nginx.test.ts checks with strace that it opens nothing for
// writing outside that dir.
//
// The health check for `vrrp_script` asks 127.0.0.1:80 over HTTP. Loopback is per namespace, so a
// check run by the daemon of host A can only ever see A's nginx; `pidof nginx` or `killall -0 nginx`
// would see every namespace's (PIDs are global) and keep a node "healthy" while its nginx is dead.

import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Result } from '../src/types.js';
import { err, ok } from '../src/types.js';
import type { Lab } from './netns.js';
import { exitWithin, pidAlive, signalPid, sleep, waitUntil, type ExitInfo, type TrackedProcess } from './process.js';

export const NGINX_BINARY = '/usr/sbin/nginx';

export interface NginxOptions {
  /** What the page says: the body is `${name}\n`. Default `node-<host>`. */
  readonly name?: string;
  /** TCP port inside the namespace (default 80). */
  readonly port?: number;
  /** How long to wait until it answers (default 5000 ms). */
  readonly startTimeoutMs?: number;
}

export interface Nginx {
  readonly host: string;
  readonly name: string;
  readonly port: number;
  /** The private prefix: config, pid, logs, temp paths. */
  readonly dir: string;
  readonly configPath: string;
  /** The master's PID (the program `ip netns exec` became). */
  readonly pid: number;
  readonly process: TrackedProcess;
  /** Date.now() at spawn, and when it first answered with its name. */
  readonly startedAt: number;
  readonly readyAt: number;
  running(): boolean;
  /** The master's children (the worker), read from /proc. */
  workerPids(): number[];
  /** Graceful stop (SIGQUIT: stop listening, finish requests, exit); kill() if it takes longer than timeoutMs. */
  stop(timeoutMs?: number): Promise<ExitInfo>;
  /** Abrupt death: freeze the master (no worker respawn), SIGKILL its workers, then the master. */
  kill(timeoutMs?: number): Promise<ExitInfo>;
  /** The error log so far (nginx's own messages; empty when all went well). */
  errorLog(): string;
}

/** The nginx.conf for one lab host. Every path nginx writes is under dir. */
export function renderNginxConfig(dir: string, name: string, port = 80): string {
  const body = `${name}\n`;
  return [
    `# lab/nginx.ts: nginx for lab page ${JSON.stringify(name)}, confined to ${dir}`,
    // The config, not -g, says "foreground": the PID we hold stays the master's.
    'daemon off;',
    'master_process on;',
    'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`,
    `lock_file ${join(dir, 'nginx.lock')};`,
    `error_log ${join(dir, 'error.log')} notice;`,
    'events {',
    '    worker_connections 128;',
    '}',
    'http {',
    `    access_log ${join(dir, 'access.log')};`,
    // Created (and chowned) by the master at start whether used or not: keep them here, not in /var/lib/nginx.
    `    client_body_temp_path ${join(dir, 'client_body')};`,
    `    proxy_temp_path ${join(dir, 'proxy')};`,
    `    fastcgi_temp_path ${join(dir, 'fastcgi')};`,
    `    uwsgi_temp_path ${join(dir, 'uwsgi')};`,
    `    scgi_temp_path ${join(dir, 'scgi')};`,
    '    default_type text/plain;',
    // No keep-alive: a client sees the current owner of the VIP on every request.
    '    keepalive_timeout 0;',
    '    server {',
    `        listen ${port} default_server;`,
    // `return` needs no file: the worker (user nobody) never reads our 0700 temp dir.
    `        location / { return 200 ${JSON.stringify(body)}; }`,
    '    }',
    '}',
    '',
  ].join('\n');
}

/** argv (without `ip netns exec`) that runs nginx with the config in dir, error log included. */
export function nginxArgv(dir: string): string[] {
  // -e: the error log nginx uses before it has read the config (compiled in: stderr on Debian,
  // /var/log/nginx/error.log on other builds). -p: relative paths, if any, stay under dir.
  return [NGINX_BINARY, '-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')];
}

/**
 * argv of a bash script that GETs / from address:port (in the namespace it runs in: 127.0.0.1 is
 * that namespace's own nginx) and prints the body; exit 1 unless the answer is 200. Bounded by its
 * read timeout; needs nothing but bash (no curl in the lab's package list).
 */
export function httpGetArgv(address = '127.0.0.1', port = 80, timeoutS = 0.5): string[] {
  const script = [
    'exec 2>/dev/null',
    `exec 3<>/dev/tcp/${address}/${port} || exit 1`,
    `printf 'GET / HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 || exit 1`,
    `IFS= read -r -t ${timeoutS} status <&3 || exit 1`,
    `case "$status" in 'HTTP/1.'?' 200 '*) ;; *) exit 1 ;; esac`,
    // Headers end at the empty line; the body follows.
    `while IFS= read -r -t ${timeoutS} line <&3 && [[ \${line%$'\\r'} != '' ]]; do :; done`,
    `IFS= read -r -t ${timeoutS} body <&3; printf '%s\\n' "$body"`,
  ].join('\n');
  return ['/bin/bash', '-c', script];
}

/** The PIDs whose parent is pid (its task's children lists, with a /proc scan as fallback). */
export function childPids(pid: number): number[] {
  try {
    const tasks = readdirSync(`/proc/${pid}/task`);
    return tasks.flatMap((t) =>
      readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8')
        .split(/\s+/)
        .filter((s) => /^\d+$/.test(s))
        .map(Number),
    );
  } catch {
    // no /proc/PID/task/*/children (CONFIG_PROC_CHILDREN off) or pid gone: scan every stat line
  }
  const kids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) S ppid ...": comm may contain spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) kids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return kids;
}

export async function startNginx(lab: Lab, host: string, opts: NginxOptions = {}): Promise<Result<Nginx, string>> {
  const name = opts.name ?? `node-${host}`;
  const port = opts.port ?? 80;
  if (!/^[\w.-]{1,64}$/.test(name)) return err(`nginx page name ${JSON.stringify(name)}: letters, digits, . _ - only`);
  const dir = mkdtempSync(join(tmpdir(), `${lab.id}-ngx-${host}-`));
  lab.onDestroy(
    () => rmSync(dir, { recursive: true, force: true }),
    () => rmSync(dir, { recursive: true, force: true }),
  );
  const configPath = join(dir, 'nginx.conf');
  writeFileSync(configPath, renderNginxConfig(dir, name, port));
  const errorLog = (): string => {
    try {
      return readFileSync(join(dir, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };

  const startedAt = Date.now();
  const proc = lab.spawn(host, nginxArgv(dir));
  let answered = '';
  const deadline = startedAt + (opts.startTimeoutMs ?? 5000);
  const up = await waitUntil(
    async () => {
      if (!proc.running()) return true;
      const remaining = deadline - Date.now();
      const r = await lab.exec(host, httpGetArgv('127.0.0.1', port, 0.5), { timeoutMs: Math.max(200, Math.min(2000, remaining)) });
      answered = r.stdout.trim();
      return r.code === 0 && answered === name;
    },
    { timeoutMs: opts.startTimeoutMs ?? 5000, intervalMs: 20 },
  );
  if (!up || !proc.running()) {
    const how = proc.running() ? `not answering ${JSON.stringify(name)} on port ${port} (last answer ${JSON.stringify(answered)})` : 'exited';
    await proc.stop(1000);
    return err(`nginx in ${host}: ${how}; error log:\n${errorLog().split('\n').slice(-10).join('\n')}\n${proc.lines.map((l) => l.text).slice(-10).join('\n')}`);
  }
  const readyAt = Date.now();

  const workerPids = (): number[] => (proc.running() ? childPids(proc.pid) : []);
  const kill = async (timeoutMs = 3000): Promise<ExitInfo> => {
    if (!proc.running()) return proc.exited;
    // Frozen, the master cannot notice its workers dying and fork new ones.
    proc.kill('SIGSTOP');
    const workers = childPids(proc.pid);
    for (const w of workers) signalPid(w, 'SIGKILL');
    proc.kill('SIGKILL');
    const exit = await exitWithin(proc, timeoutMs);
    // Orphaned worker zombies are reaped by init shortly after.
    await waitUntil(() => workers.every((w) => !pidAlive(w)), { timeoutMs: 1000, intervalMs: 20 });
    return exit;
  };
  const stop = async (timeoutMs = 3000): Promise<ExitInfo> => {
    if (!proc.running()) return proc.exited;
    const workers = childPids(proc.pid);
    proc.kill('SIGQUIT');
    const done = await Promise.race([proc.exited, sleep(timeoutMs).then(() => undefined)]);
    if (done === undefined) return kill();
    await waitUntil(() => workers.every((w) => !pidAlive(w)), { timeoutMs: 1000, intervalMs: 20 });
    return done;
  };

  return ok({
    host,
    name,
    port,
    dir,
    configPath,
    pid: proc.pid,
    process: proc,
    startedAt,
    readyAt,
    running: () => proc.running(),
    workerPids,
    stop,
    kill,
    errorLog,
  });
}

// ---------------------------------------------------------------------------------------------
// The health check

export interface NginxCheckOptions {
  readonly port?: number;
  /** Hard limit on one run, ms (default 800: under keepalived's default script timeout of interval = 1 s). */
  readonly timeoutMs?: number;
}

/** The check script's text (bash): exit 0 iff GET / on 127.0.0.1:port answers 200. */
export function renderNginxCheck(port = 80, timeoutMs = 800): string {
  const seconds = (timeoutMs / 1000).toFixed(3);
  const readS = (Math.max(50, timeoutMs - 100) / 1000).toFixed(3);
  return [
    '#!/bin/bash',
    '# vrrp_script health check written by lab/nginx.ts.',
    `# Exit 0 iff the nginx of the network namespace this runs in answers GET / with 200 on 127.0.0.1:${port}.`,
    '# Loopback belongs to the namespace: another host\'s nginx can never answer here (pidof would see it).',
    `# Bounded: the whole run is killed after ${seconds} s (timeout re-execs this file once), the answer`,
    `# is awaited ${readS} s at most; a connect to loopback is refused or accepted at once.`,
    'if [[ -z ${LAB_NGINX_CHECK_BOUNDED:-} ]]; then',
    `  LAB_NGINX_CHECK_BOUNDED=1 exec /usr/bin/timeout -s KILL ${seconds} /bin/bash "$0" "$@"`,
    'fi',
    'exec 2>/dev/null',
    `exec 3<>/dev/tcp/127.0.0.1/${port} || exit 1`,
    "printf 'GET / HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 || exit 1",
    `IFS= read -r -t ${readS} status <&3 || exit 1`,
    'case "$status" in',
    "  'HTTP/1.'?' 200 '*) exit 0 ;;",
    'esac',
    'exit 1',
    '',
  ].join('\n');
}

/**
 * Write the health check into a fresh root-owned 0755 directory (registered for cleanup) as a
 * root-owned 0755 file, so keepalived's `enable_script_security` (and ours) accepts it: nothing on
 * its path is writable by anyone but root (/tmp is, but sticky, which keepalived allows). One
 * script serves every host: it checks whichever namespace the daemon running it is in. Returns the
 * script's absolute path, for `script "<path>"`.
 */
export function writeNginxCheck(lab: Lab, opts: NginxCheckOptions = {}): string {
  const dir = mkdtempSync(join(tmpdir(), `${lab.id}-chk-`));
  lab.onDestroy(
    () => rmSync(dir, { recursive: true, force: true }),
    () => rmSync(dir, { recursive: true, force: true }),
  );
  chmodSync(dir, 0o755);
  const path = join(dir, 'chk_nginx.sh');
  writeFileSync(path, renderNginxCheck(opts.port ?? 80, opts.timeoutMs ?? 800), { mode: 0o755 });
  // writeFileSync's mode is filtered by the umask: say it again.
  chmodSync(path, 0o755);
  return path;
}
