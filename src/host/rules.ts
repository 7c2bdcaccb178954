// What `vrrpd -t` checks beyond the text: that the interfaces the config names exist in this
// network namespace, and that its scripts can be found and run. keepalived -t reads the kernel's
// interfaces too (docs/reference/keepalived-behaviour.md#the-config-check); for scripts it only
// logs "Disabling track script X since not found" and carries on, which is how checks silently
// disappear (#unknown-and-unusable-configuration there) — here they are errors.
//
// Pure: the caller gathers the facts (links from rtnetlink, file facts through an FsProbe) and
// these functions turn them into diagnostics, so every rule is unit-tested without a kernel.
import { posix } from 'node:path';
import { NOTIFY_KEYWORDS, type CommandConfig, type Config, type ConfigDiagnostic, type NotifyScripts } from '../config/config.js';
import { checkScriptFile, isExecutableBy, isOpenTest, scriptPathPrefixes, type FileFacts, type ScriptFacts } from '../config/script-check.js';
import type { SourcePos } from '../types.js';

export type { FileFacts } from '../config/script-check.js';

// ---------------------------------------------------------------------------------------------
// Interfaces

export interface LinkFacts {
  readonly name: string;
  readonly loopback: boolean;
}

/** One interface name the config uses, and why (for the message). */
export interface InterfaceUse {
  readonly name: string;
  readonly pos: SourcePos;
  readonly role: 'instance' | 'vip' | 'track';
  /** The instance name, or for a VIP its `address/prefix`. */
  readonly owner: string;
}

/** Every interface a vrrp_instance, a VIP `dev` or a track_interface names, in file order. */
export function interfaceUses(config: Config): InterfaceUse[] {
  const uses: InterfaceUse[] = [];
  for (const inst of config.instances) {
    uses.push({ name: inst.interface, pos: inst.pos, role: 'instance', owner: inst.name });
    for (const vip of inst.vips) {
      if (vip.dev !== undefined) uses.push({ name: vip.dev, pos: vip.pos, role: 'vip', owner: `${vip.address}/${vip.prefixLength}` });
    }
    for (const ex of inst.excludedVips) {
      if (ex.dev !== undefined) uses.push({ name: ex.dev, pos: ex.pos, role: 'vip', owner: `${ex.address}/${ex.prefixLength}` });
    }
    for (const t of inst.trackInterfaces) uses.push({ name: t.name, pos: t.pos, role: 'track', owner: inst.name });
  }
  for (const sg of config.syncGroups) {
    for (const t of sg.trackInterfaces) uses.push({ name: t.name, pos: t.pos, role: 'track', owner: sg.name });
  }
  return uses;
}

/**
 * keepalived's messages, class 'missing' (exit 4) for an interface that is not there. A loopback
 * interface for an instance is a plain config error (keepalived: "cannot use a loopback
 * interface (lo) for vrrp - ignoring", exit 5); a VIP or a tracked interface may be loopback.
 */
export function checkInterfaces(uses: readonly InterfaceUse[], links: ReadonlyMap<string, LinkFacts>): ConfigDiagnostic[] {
  const out: ConfigDiagnostic[] = [];
  for (const use of uses) {
    const link = links.get(use.name);
    if (link === undefined) {
      out.push({ severity: 'error', class: 'missing', pos: use.pos, message: missingMessage(use) });
    } else if (link.loopback && use.role === 'instance') {
      // The schema already refuses the name `lo`; this catches a loopback under another name.
      out.push({ severity: 'error', pos: use.pos, message: `(${use.owner}) cannot use a loopback interface (${use.name}) for vrrp` });
    }
  }
  return out;
}

function missingMessage(use: InterfaceUse): string {
  switch (use.role) {
    case 'instance':
      return `interface ${use.name} for vrrp_instance ${use.owner} doesn't exist`;
    case 'vip':
      return `interface ${use.name} for ip address ${use.owner} doesn't exist`;
    case 'track':
      return `(${use.owner}) tracked interface ${use.name} doesn't exist`;
  }
}

// ---------------------------------------------------------------------------------------------
// Scripts: the caller's half of config/script-check.ts (which only decides): find the file a
// command names, resolve its symlinks, stat it and every directory above it.

/** The file system as the checks see it; the real one is in config-test.ts, tests pass a fake. */
export interface FsProbe {
  /** Follows symlinks; undefined when the path cannot be reached. */
  stat(path: string): FileFacts | undefined;
  /** Does not follow a final symlink. */
  lstat(path: string): FileFacts | undefined;
  /** Absolute, symlinks, `.` and `..` resolved; undefined when the path cannot be reached. */
  realpath(path: string): string | undefined;
}

/** A script the config would run. */
export interface ScriptUse {
  /** For messages: `vrrp_script chk_nginx`, `(VI_1) notify_master`. */
  readonly label: string;
  /** argv[0] as keepalived tokenises the command line. */
  readonly command: string;
  readonly pos: SourcePos;
  /** The user it runs as, or why that cannot be known. */
  readonly runAs: RunAs;
}

export type Resolved =
  | { readonly kind: 'found'; readonly path: string; readonly viaPath: boolean }
  | { readonly kind: 'missing' }
  | { readonly kind: 'not-executable'; readonly path: string };

/** keepalived's default when PATH is unset (glibc confstr(_CS_PATH)). */
export const DEFAULT_PATH = '/bin:/usr/bin';

/**
 * Find the file a command names, as keepalived's find_path() (glibc's execvp search): a name with
 * a `/` is taken as it is; a bare name is looked up in each PATH entry (an empty entry is the
 * current directory), and the first regular file the user may execute wins. A hit that is not
 * one (a directory, no x bit) is remembered as EACCES, as glibc does.
 */
export function resolveCommand(command: string, runAs: { uid: number; gid: number }, pathEnv: string, fs: FsProbe): Resolved {
  if (command === '') return { kind: 'missing' };
  if (command.includes('/')) return fs.stat(command) === undefined ? { kind: 'missing' } : { kind: 'found', path: command, viaPath: false };
  let denied: string | undefined;
  for (const dir of pathEnv.split(':')) {
    const candidate = dir === '' ? command : posix.join(dir, command);
    const f = fs.stat(candidate);
    if (f === undefined) continue;
    if (f.isFile && isExecutableBy(f, runAs.uid, runAs.gid)) return { kind: 'found', path: candidate, viaPath: true };
    denied ??= candidate;
  }
  return denied === undefined ? { kind: 'missing' } : { kind: 'not-executable', path: denied };
}

/** What checkScriptFile() needs to know about one script, read through `fs`. */
export function gatherScriptFacts(
  command: string,
  runAs: { uid: number; gid: number },
  scriptSecurity: boolean,
  resolved: Resolved,
  fs: FsProbe,
): ScriptFacts {
  const located = resolved.kind === 'missing' ? undefined : resolved.path;
  const real = located === undefined ? undefined : fs.realpath(posix.isAbsolute(located) ? located : posix.resolve(located));
  return {
    command,
    resolvedPath: real,
    target: real === undefined ? undefined : fs.stat(real),
    pathEntries: real === undefined ? [] : scriptPathPrefixes(real).map((path) => ({ path, facts: fs.lstat(path) })),
    runAs,
    scriptSecurity,
  };
}

/**
 * Diagnostics for the scripts. What keepalived would disable (missing, not executable, insecure
 * under enable_script_security) is an error: keepalived logs a line and runs the instance
 * untracked, vrrpd would run it and see it fail. An insecure script without script security is a
 * 'security' warning (keepalived runs it, its -t exits 6). A bare name found on PATH gets
 * keepalived's "please give the full path" warning; a script user that does not exist is an error.
 */
export function checkScripts(
  uses: readonly ScriptUse[],
  env: { readonly pathEnv: string; readonly fs: FsProbe; readonly scriptSecurity: boolean },
): ConfigDiagnostic[] {
  const out: ConfigDiagnostic[] = [];
  for (const use of uses) {
    // `</dev/tcp/host/port`: keepalived opens the path itself and never executes anything.
    if (isOpenTest(use.command)) continue;
    if (!use.runAs.ok) {
      out.push({ severity: 'error', pos: use.pos, message: `${use.label}: ${use.runAs.error}` });
      continue;
    }
    const resolved = resolveCommand(use.command, use.runAs, env.pathEnv, env.fs);
    if (resolved.kind === 'missing' && !use.command.includes('/')) {
      out.push({ severity: 'error', pos: use.pos, message: `${use.label}: script '${use.command}' not found in PATH (${env.pathEnv})` });
      continue;
    }
    if (resolved.kind === 'found' && resolved.viaPath) {
      out.push({
        severity: 'warning',
        pos: use.pos,
        message: `${use.label}: script '${use.command}' resolved by PATH search to '${resolved.path}' - please give the full path`,
      });
    }
    const facts = gatherScriptFacts(use.command, use.runAs, env.scriptSecurity, resolved, env.fs);
    for (const p of checkScriptFile(facts)) {
      const d: ConfigDiagnostic = { severity: p.disables ? 'error' : 'warning', pos: use.pos, message: `${use.label}: ${p.message}` };
      out.push(p.class === undefined ? d : { ...d, class: p.class });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Script users

export interface UserDb {
  /** name -> uid and primary gid (/etc/passwd). */
  readonly users: ReadonlyMap<string, { readonly uid: number; readonly gid: number }>;
  /** name -> gid (/etc/group). */
  readonly groups: ReadonlyMap<string, number>;
}

/** `name:x:uid:gid:...` lines (passwd) or `name:x:gid:...` lines (group); malformed lines skipped. */
function idLines(text: string): { name: string; ids: number[] }[] {
  const out: { name: string; ids: number[] }[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const [name, , ...rest] = line.split(':');
    const ids = rest.slice(0, 2).map((x) => (/^\d+$/.test(x) ? Number(x) : Number.NaN));
    if (name !== undefined && name !== '' && ids.length > 0 && !Number.isNaN(ids[0])) out.push({ name, ids });
  }
  return out;
}

export function parseUserDb(passwd: string, group: string): UserDb {
  const users = new Map<string, { uid: number; gid: number }>();
  for (const { name, ids } of idLines(passwd)) {
    const [uid, gid] = ids;
    if (uid !== undefined && gid !== undefined && !Number.isNaN(gid) && !users.has(name)) users.set(name, { uid, gid });
  }
  const groups = new Map<string, number>();
  for (const { name, ids } of idLines(group)) if (ids[0] !== undefined && !groups.has(name)) groups.set(name, ids[0]);
  return { users, groups };
}

/** The user keepalived runs a script as when neither the script nor script_user names one. */
export const DEFAULT_SCRIPT_USER = 'keepalived_script';

export type RunAs = { readonly ok: true; readonly uid: number; readonly gid: number } | { readonly ok: false; readonly error: string };

/**
 * keepalived's set_uid_gid() / get_default_script_user(): a named user (numeric ids are not
 * names), its primary group unless a group is named; with no name at all, keepalived_script if
 * that user exists, else the daemon's own ids (root) — which keepalived refuses once
 * enable_script_security is on ("Unable to set default user keepalived_script for script").
 */
export function scriptRunAs(
  user: string | undefined,
  group: string | undefined,
  db: UserDb,
  opts: { readonly own: { uid: number; gid: number }; readonly scriptSecurity: boolean },
): RunAs {
  if (user === undefined) {
    const fallback = db.users.get(DEFAULT_SCRIPT_USER);
    if (fallback !== undefined) return { ok: true, ...fallback };
    if (opts.scriptSecurity) {
      return {
        ok: false,
        error: `no script user given (script_user or the script's user) and the default user ${DEFAULT_SCRIPT_USER} does not exist; with enable_script_security scripts do not fall back to root`,
      };
    }
    return { ok: true, ...opts.own };
  }
  const u = db.users.get(user);
  if (u === undefined) return { ok: false, error: `script user '${user}' does not exist` };
  if (group === undefined) return { ok: true, ...u };
  const gid = db.groups.get(group);
  if (gid === undefined) return { ok: false, error: `script group '${group}' does not exist` };
  return { ok: true, uid: u.uid, gid };
}

// ---------------------------------------------------------------------------------------------
// Which scripts a config runs

/**
 * Every script the config would run, with the user it would run as: vrrp_script blocks (tracked or
 * not: keepalived checks them all), each instance's and sync group's notify scripts, and the
 * global start-up, shutdown and FIFO scripts.
 */
export function scriptUses(config: Config, db: UserDb, own: { uid: number; gid: number }): ScriptUse[] {
  const g = config.global;
  const scriptSecurity = g.enableScriptSecurity;
  const use = (label: string, c: CommandConfig): ScriptUse => {
    // The line's own `user [group]`, else global script_user's, else keepalived's default.
    const [user, group] = c.user !== undefined ? [c.user, c.group] : [g.scriptUser?.user, g.scriptUser?.group];
    return { label, command: c.argv[0] ?? '', pos: c.pos, runAs: scriptRunAs(user, group, db, { own, scriptSecurity }) };
  };
  const out: ScriptUse[] = [];
  for (const s of config.scripts) out.push(use(`vrrp_script ${s.name}`, s.command));
  const notifies = (owner: string, n: NotifyScripts): void => {
    for (const [field, keyword] of NOTIFY_KEYWORDS) {
      const c = n[field];
      if (c !== undefined) out.push(use(`(${owner}) ${keyword}`, c));
    }
  };
  for (const inst of config.instances) notifies(inst.name, inst.notify);
  for (const sg of config.syncGroups) notifies(sg.name, sg.notify);
  const globals: readonly (readonly [string, CommandConfig | undefined])[] = [
    ['startup_script', g.startupScript],
    ['shutdown_script', g.shutdownScript],
    ['notify_fifo_script', g.notifyFifo?.script],
    ['vrrp_notify_fifo_script', g.vrrpNotifyFifo?.script],
  ];
  for (const [keyword, c] of globals) if (c !== undefined) out.push(use(keyword, c));
  return out;
}
