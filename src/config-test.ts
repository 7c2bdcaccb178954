// `vrrpd -t`: check the configuration and say what is wrong, as `keepalived -t` does (reference
// §2.6), with its exit codes — except that a missing main file fails (keepalived exits 0).
import { appendFileSync } from 'node:fs';
import { formatDiagnostic } from './config/config.js';
import { loadConfig } from './config/load.js';
import { openRtnl } from './net/rtnl.js';

/** keepalived's KEEPALIVED_CHK_EXIT_* values: 4 = file or interface missing, 5 = config error. */
export const CONFIG_TEST_EXIT = { ok: 0, missing: 4, error: 5 } as const;

export async function runConfigTest(path: string, logFile: string | undefined): Promise<number> {
  const out = (line: string): void => {
    if (logFile) appendFileSync(logFile, `${line}\n`);
    else process.stderr.write(`${line}\n`);
  };
  const loaded = loadConfig(path);
  for (const d of loaded.diagnostics) out(`${d.severity === 'error' ? 'error' : 'warning'}: ${formatDiagnostic(d)}`);
  if (loaded.diagnostics.some((d) => d.severity === 'error' && d.class === 'missing')) return CONFIG_TEST_EXIT.missing;
  if (!loaded.config || loaded.diagnostics.some((d) => d.severity === 'error')) return CONFIG_TEST_EXIT.error;

  // keepalived -t reads the kernel's interfaces too: an instance on a missing interface won't start.
  let missingInterface = false;
  const rtnl = openRtnl();
  if (rtnl.ok) {
    const links = await rtnl.value.links();
    rtnl.value.close();
    if (links.ok) {
      const names = new Set(links.value.map((l) => l.name));
      for (const inst of loaded.config.instances) {
        if (names.has(inst.interface)) continue;
        out(`error: ${inst.pos.file}:${inst.pos.line}: interface ${inst.interface} for vrrp_instance ${inst.name} doesn't exist`);
        missingInterface = true;
      }
    }
  }
  if (missingInterface) return CONFIG_TEST_EXIT.missing;
  out(`${path}: configuration OK (${loaded.config.instances.length} vrrp_instance${loaded.config.instances.length === 1 ? '' : 's'})`);
  return CONFIG_TEST_EXIT.ok;
}
