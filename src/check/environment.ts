// The facts of this host that decide whether a config can run here: its interfaces (in this
// network namespace) and its script files and users. `vrrpd -t` reports them; the daemon refuses to
// start on the same errors. The rules themselves are pure, in config-env.ts; the file and user
// facts come from host-files.ts.
import type { Config, ConfigDiagnostic } from '../config/config.js';
import {
  checkInterfaces,
  checkScripts,
  DEFAULT_PATH,
  interfaceUses,
  scriptUses,
  type LinkFacts,
} from '../host/rules.js';
import { checkSourceAddresses } from '../host/source-address.js';
import { hostFs, ownIds, readHostUserDb } from '../host/files.js';
import { openRtnl, type Rtnl } from '../net/rtnl.js';
import { err, ok, type Result } from '../types.js';

/** The links of this network namespace by name, as the daemon will find them, with their IPv4 addresses. */
async function readLinks(given?: Rtnl): Promise<Result<Map<string, LinkFacts & { addresses: string[] }>, string>> {
  const opened = given === undefined ? openRtnl() : ok(given);
  if (!opened.ok) return err(opened.error);
  const rtnl = opened.value;
  try {
    const links = await rtnl.links();
    if (!links.ok) return err(links.error);
    const addresses = await rtnl.ipv4Addresses();
    if (!addresses.ok) return err(addresses.error);
    const on = (index: number): string[] => addresses.value.filter((a) => a.index === index).map((a) => a.address);
    return ok(new Map(links.value.map((l) => [l.name, { name: l.name, loopback: l.loopback, addresses: on(l.index) }])));
  } finally {
    if (given === undefined) rtnl.close();
  }
}

/** Interface and script checks: what the daemon would find missing at start-up (`rtnl`: the daemon's own, else one opened here). */
export async function environmentDiagnostics(config: Config, path: string, rtnl?: Rtnl): Promise<ConfigDiagnostic[]> {
  const out: ConfigDiagnostic[] = [];
  const links = await readLinks(rtnl);
  if (links.ok) {
    out.push(...checkInterfaces(interfaceUses(config), links.value));
    out.push(...checkSourceAddresses(config, (ifname) => links.value.get(ifname)?.addresses));
  }
  else out.push({ severity: 'warning', pos: { file: path, line: 0 }, message: `cannot list the network interfaces (${links.error}): not checked` });
  const scripts = scriptUses(config, readHostUserDb(), ownIds());
  out.push(...checkScripts(scripts, { pathEnv: process.env['PATH'] ?? DEFAULT_PATH, fs: hostFs, scriptSecurity: config.global.enableScriptSecurity }));
  return out;
}

