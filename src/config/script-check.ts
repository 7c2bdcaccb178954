// Script file checks, as keepalived makes them at start-up (lib/notify.c check_script_secure and
// check_security). Pure: the caller (`vrrpd -t`, later the daemon) resolves argv[0] (PATH search,
// realpath), stats the file and every directory above it, and hands the facts in; this module
// only decides. keepalived disables a script that is missing, not executable for the user it runs
// as, or - with enable_script_security - writable by a non-root user anywhere along its path.

/** What lstat/stat say about one path (Node's fs.Stats has all of these). */
export interface FileFacts {
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly isSymbolicLink: boolean;
  /** st_mode, including the permission and setuid/setgid/sticky bits. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

export interface ScriptFacts {
  /** argv[0] as configured (for messages). */
  readonly command: string;
  /** argv[0] resolved to an absolute path without symbolic links; undefined when it was not found. */
  readonly resolvedPath: string | undefined;
  /** stat (links followed) of resolvedPath; undefined when it cannot be read. */
  readonly target: FileFacts | undefined;
  /** lstat of every entry of scriptPathPrefixes(resolvedPath), in that order; undefined where it failed. */
  readonly pathEntries: ReadonlyArray<{ readonly path: string; readonly facts: FileFacts | undefined }>;
  /** The user and group the script runs as (its `user`, else script_user, else keepalived_script or root). */
  readonly runAs: { readonly uid: number; readonly gid: number };
  /** global_defs enable_script_security. */
  readonly scriptSecurity: boolean;
}

export interface ScriptProblem {
  readonly kind: 'not-found' | 'not-executable' | 'wrong-type' | 'insecure';
  /** True when keepalived would not run the script at all. */
  readonly disables: boolean;
  /** 'security' for the permission findings (keepalived's -t exit 6 class). */
  readonly class: 'security' | undefined;
  readonly message: string;
}

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;
const S_IXUSR = 0o100;
const S_IXGRP = 0o010;
const S_IXOTH = 0o001;
const S_IWGRP = 0o020;
const S_IWOTH = 0o002;

/**
 * A `script "</dev/tcp/127.0.0.1/80"` is a file-open test that keepalived performs itself; it is
 * never executed, so none of the checks apply (check_script_secure returns SC_SYSTEM).
 */
export function isOpenTest(command: string): boolean {
  return /^<[ \t]*\//.test(command);
}

/** `/usr/local/bin/x` -> `/`, `/usr`, `/usr/local`, `/usr/local/bin`, `/usr/local/bin/x`. */
export function scriptPathPrefixes(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '');
  const prefixes = ['/'];
  let current = '';
  for (const part of parts) {
    current += `/${part}`;
    prefixes.push(current);
  }
  return prefixes;
}

/** keepalived is_executable(): root needs any x bit; the owner its u bit; the group its g bit; others o. */
export function isExecutableBy(facts: FileFacts, uid: number, gid: number): boolean {
  if (uid === 0) return (facts.mode & (S_IXUSR | S_IXGRP | S_IXOTH)) !== 0;
  if (uid === facts.uid) return (facts.mode & S_IXUSR) !== 0;
  if (gid === facts.gid) return (facts.mode & S_IXGRP) !== 0;
  return (facts.mode & S_IXOTH) !== 0;
}

/** Root runs it, or it is set-uid/set-gid root: then nobody but root may be able to change it. */
function needsProtection(facts: ScriptFacts, target: FileFacts): boolean {
  const { uid, gid } = facts.runAs;
  return (
    uid === 0 ||
    gid === 0 ||
    (target.uid === 0 && (target.mode & S_IXUSR) !== 0 && (target.mode & S_ISUID) !== 0) ||
    (target.gid === 0 && (target.mode & S_IXGRP) !== 0 && (target.mode & S_ISGID) !== 0)
  );
}

/** keepalived check_security(): every directory and the file itself must be root's and not writable by others. */
function pathProblems(facts: ScriptFacts): ScriptProblem[] {
  const last = facts.pathEntries.length - 1;
  for (const [index, entry] of facts.pathEntries.entries()) {
    const f = entry.facts;
    if (f === undefined) {
      return [{ kind: 'not-found', disables: true, class: undefined, message: `check_script_secure could not find script '${facts.command}' - disabling` }];
    }
    const isLast = index === last;
    if ((!isLast && !f.isDirectory) || (isLast && !f.isFile && !f.isSymbolicLink)) {
      return [{ kind: 'wrong-type', disables: true, class: 'security', message: `Wrong file type found in script path '${facts.command}' (${entry.path})` }];
    }
    const othersMayWrite =
      ((f.isDirectory && (f.mode & S_ISVTX) === 0) || f.isFile) &&
      ((f.gid !== 0 && (f.mode & S_IWGRP) !== 0) || (f.mode & S_IWOTH) !== 0);
    if (f.uid !== 0 || othersMayWrite) {
      const why = f.uid !== 0 ? `${entry.path} is owned by uid ${f.uid}` : `${entry.path} is writable by a non-root user`;
      return [{
        kind: 'insecure',
        disables: facts.scriptSecurity,
        class: 'security',
        message: `Unsafe permissions found for script '${facts.command}'${facts.scriptSecurity ? ' - disabling' : ''} (${why})`,
      }];
    }
  }
  return [];
}

/** The problems keepalived would find with one script; empty when it would run it as is. */
export function checkScriptFile(facts: ScriptFacts): ScriptProblem[] {
  if (isOpenTest(facts.command)) return [];
  if (facts.resolvedPath === undefined || facts.target === undefined) {
    return [{ kind: 'not-found', disables: true, class: undefined, message: `Cannot find script ${facts.command} - disabling` }];
  }
  const { uid, gid } = facts.runAs;
  if (!isExecutableBy(facts.target, uid, gid)) {
    return [{
      kind: 'not-executable',
      disables: true,
      class: undefined,
      message: `WARNING - script '${facts.command}' is not executable for uid:gid ${uid}:${gid} - disabling.`,
    }];
  }
  return needsProtection(facts, facts.target) ? pathProblems(facts) : [];
}
