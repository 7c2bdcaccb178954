// What `vrrpd -t` checks beyond the text: that the interfaces the config names exist in this
// network namespace, and that its scripts can be found and run. keepalived -t reads the kernel's
// interfaces too (reference §2.6); for scripts it only logs "Disabling track script X since not
// found" and carries on, which is how checks silently disappear (§2.5) — here they are errors.
//
// Pure: the caller gathers the facts (links from rtnetlink, file facts through an FsProbe) and
// these functions turn them into diagnostics, so every rule is unit-tested without a kernel.
import { posix } from 'node:path';
import type { Config, ConfigDiagnostic } from './config/config.js';
import type { SourcePos } from './types.js';

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
    // GAP(issue 3, keyword tables): track_interface entries join here once InstanceConfig has them.
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
// Scripts

/** What stat(2)/lstat(2) say about a path, reduced to what the checks need. */
export interface FileFacts {
  readonly type: 'file' | 'directory' | 'symlink' | 'other';
  /** st_mode's permission bits (and setuid/setgid/sticky): st_mode & 0o7777. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/** The file system as the checks see it; the real one is in config-test.ts, tests pass a fake. */
export interface FsProbe {
  /** Follows symlinks; undefined when the path cannot be reached. */
  stat(path: string): FileFacts | undefined;
  /** Does not follow a final symlink. */
  lstat(path: string): FileFacts | undefined;
  /** Symlinks, `.` and `..` resolved; undefined when the path cannot be reached. */
  realpath(path: string): string | undefined;
}

/** A script the config would run, with the user it would run as. */
export interface ScriptUse {
  /** For messages: `vrrp_script chk_nginx`, `(VI_1) notify_master`. */
  readonly label: string;
  /** argv[0] as keepalived tokenises the command line. */
  readonly command: string;
  readonly pos: SourcePos;
  readonly uid: number;
  readonly gid: number;
}

export type Resolved =
  | { readonly kind: 'found'; readonly path: string; readonly viaPath: boolean }
  | { readonly kind: 'missing' }
  | { readonly kind: 'not-executable'; readonly path: string };

/** keepalived's default when PATH is unset (glibc confstr(_CS_PATH)). */
export const DEFAULT_PATH = '/bin:/usr/bin';

/**
 * keepalived's is_executable(): root may run a file with any x bit; anyone else needs the x bit of
 * the class (owner, group, other) they fall in.
 */
export function isExecutableBy(f: FileFacts, uid: number, gid: number): boolean {
  if (f.type !== 'file') return false;
  if (uid === 0) return (f.mode & 0o111) !== 0;
  if (f.uid === uid) return (f.mode & 0o100) !== 0;
  if (f.gid === gid) return (f.mode & 0o010) !== 0;
  return (f.mode & 0o001) !== 0;
}

/**
 * Find the file a command names, as keepalived's find_path() (glibc's execvp search): a name with
 * a `/` is taken as it is; a bare name is looked up in each PATH entry (an empty entry is the
 * current directory), the first regular file executable by the script's user wins.
 */
export function resolveCommand(command: string, use: { uid: number; gid: number }, pathEnv: string, fs: FsProbe): Resolved {
  if (command === '') return { kind: 'missing' };
  if (command.includes('/')) {
    const f = fs.stat(command);
    if (f === undefined) return { kind: 'missing' };
    return isExecutableBy(f, use.uid, use.gid) ? { kind: 'found', path: command, viaPath: false } : { kind: 'not-executable', path: command };
  }
  let denied: string | undefined;
  for (const dir of pathEnv.split(':')) {
    const candidate = dir === '' ? command : posix.join(dir, command);
    const f = fs.stat(candidate);
    if (f === undefined) continue;
    if (isExecutableBy(f, use.uid, use.gid)) return { kind: 'found', path: candidate, viaPath: true };
    denied ??= candidate;
  }
  return denied === undefined ? { kind: 'missing' } : { kind: 'not-executable', path: denied };
}

/**
 * Every directory from `/` down to the file, then the file: what keepalived's check_security()
 * lstat()s, in its order. `path` must be absolute.
 */
export function pathComponents(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '');
  const out = ['/'];
  for (let i = 0; i < parts.length; i++) out.push(`/${parts.slice(0, i + 1).join('/')}`);
  return out;
}

/** The security verdict for one resolved script: undefined when safe, else why not. */
export type SecurityCheck = (components: readonly { path: string; facts: FileFacts }[]) => string | undefined;

/**
 * Diagnostics for the scripts: a script that cannot be found or run is an error (keepalived
 * disables it and the instance runs untracked; vrrpd would run it and see it fail); so is an
 * unsafe one (keepalived: "Disabling track script X due to insecure", exit 5: its exit 6 means
 * scripts configured without enable_script_security, which the schema reports). A bare name
 * found on PATH gets keepalived's "please specify the full path" warning.
 */
export function checkScripts(
  uses: readonly ScriptUse[],
  env: { readonly pathEnv: string; readonly fs: FsProbe; readonly security: SecurityCheck | undefined },
): ConfigDiagnostic[] {
  const out: ConfigDiagnostic[] = [];
  for (const use of uses) {
    const r = resolveCommand(use.command, use, env.pathEnv, env.fs);
    if (r.kind === 'missing') {
      const where = use.command.includes('/') ? '' : ` in PATH (${env.pathEnv})`;
      out.push({ severity: 'error', pos: use.pos, message: `${use.label}: script '${use.command}' not found${where}` });
      continue;
    }
    if (r.kind === 'not-executable') {
      out.push({
        severity: 'error',
        pos: use.pos,
        message: `${use.label}: script '${r.path}' is not executable for uid:gid ${use.uid}:${use.gid}`,
      });
      continue;
    }
    if (r.viaPath) {
      out.push({ severity: 'warning', pos: use.pos, message: `${use.label}: script '${use.command}' resolved by PATH search to '${r.path}' - please give the full path` });
    }
    if (env.security === undefined) continue;
    const absolute = posix.isAbsolute(r.path) ? r.path : posix.resolve(r.path);
    // Both the path as written and where its symlinks lead must be safe (keepalived checks both).
    const real = env.fs.realpath(absolute);
    for (const path of real === undefined || real === absolute ? [absolute] : [absolute, real]) {
      const components = pathComponents(path).map((p) => ({ path: p, facts: env.fs.lstat(p) }));
      const unreachable = components.find((c) => c.facts === undefined);
      if (unreachable !== undefined) {
        out.push({ severity: 'error', pos: use.pos, message: `${use.label}: cannot check '${unreachable.path}' on the way to script '${path}'` });
        break;
      }
      const why = env.security(components.map((c) => ({ path: c.path, facts: c.facts as FileFacts })));
      if (why !== undefined) {
        out.push({ severity: 'error', pos: use.pos, message: `${use.label}: script '${path}' is insecure: ${why}` });
        break;
      }
    }
  }
  return out;
}
