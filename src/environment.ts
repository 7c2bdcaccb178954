// The facts of this host that decide whether a config can run here: its interfaces (in this
// network namespace) and its script files and users. `vrrpd -t` reports them; the daemon refuses to
// start on the same errors. The rules themselves are pure, in config-env.ts.
import { lstatSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import type { Config, ConfigDiagnostic } from './config/config.js';
import {
  checkInterfaces,
  checkScripts,
  DEFAULT_PATH,
  interfaceUses,
  parseUserDb,
  scriptUses,
  type FileFacts,
  type FsProbe,
  type LinkFacts,
  type UserDb,
} from './config-env.js';
import { openRtnl } from './net/rtnl.js';
import { err, ok, type Result } from './types.js';

/** The links of this network namespace by name, as the daemon will find them. */
async function readLinks(): Promise<Result<Map<string, LinkFacts>, string>> {
  const rtnl = openRtnl();
  if (!rtnl.ok) return err(rtnl.error);
  try {
    const links = await rtnl.value.links();
    if (!links.ok) return err(links.error);
    return ok(new Map(links.value.map((l) => [l.name, { name: l.name, loopback: l.loopback }])));
  } finally {
    rtnl.value.close();
  }
}

function facts(s: Stats): FileFacts {
  return { isFile: s.isFile(), isDirectory: s.isDirectory(), isSymbolicLink: s.isSymbolicLink(), mode: s.mode, uid: s.uid, gid: s.gid };
}

/** The real file system; any error (ENOENT, EACCES, ELOOP…) is "cannot be reached". */
export const nodeFs: FsProbe = {
  stat: (p) => {
    try {
      return facts(statSync(p));
    } catch {
      return undefined;
    }
  },
  lstat: (p) => {
    try {
      return facts(lstatSync(p));
    } catch {
      return undefined;
    }
  },
  realpath: (p) => {
    try {
      return realpathSync.native(p);
    } catch {
      return undefined;
    }
  },
};

/** /etc/passwd and /etc/group, as getpwnam()/getgrnam() would read them (NSS files only). */
export function readUserDb(): UserDb {
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  return parseUserDb(read('/etc/passwd'), read('/etc/group'));
}

/** Interface and script checks: what the daemon would find missing at start-up. */
export async function environmentDiagnostics(config: Config, path: string): Promise<ConfigDiagnostic[]> {
  const out: ConfigDiagnostic[] = [];
  const links = await readLinks();
  if (links.ok) out.push(...checkInterfaces(interfaceUses(config), links.value));
  else out.push({ severity: 'warning', pos: { file: path, line: 0 }, message: `cannot list the network interfaces (${links.error}): not checked` });
  const own = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  const scripts = scriptUses(config, readUserDb(), own);
  out.push(...checkScripts(scripts, { pathEnv: process.env['PATH'] ?? DEFAULT_PATH, fs: nodeFs, scriptSecurity: config.global.enableScriptSecurity }));
  return out;
}

