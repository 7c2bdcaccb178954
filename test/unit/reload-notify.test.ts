// The notifier across a reload, with real scripts: after update() transitions run the new
// config's scripts, instances only the new config has are known, and a removed instance's
// DELETED runs with the config it was removed from.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { parseConfigText } from '../../src/config/load.js';
import { parseUserDb } from '../../src/host/rules.js';
import { createNotifier } from '../../src/notify/notifier.js';

const USERS = parseUserDb('root:x:0:0:root:/root:/bin/sh\n', 'root:x:0:\n');
const dir = mkdtempSync(join(tmpdir(), 'vrrpd-reload-notify-'));
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const out = join(dir, 'out');

/** A script appending `label arg1 arg2 ...` per run. */
function recorder(label: string): string {
  const path = join(dir, `${label}.sh`);
  writeFileSync(path, `#!/bin/sh\necho "${label} $*" >> '${out}'\n`);
  chmodSync(path, 0o755);
  return path;
}

function config(instances: readonly { name: string; vrid: number; lines: readonly string[] }[]): Config {
  const text = instances
    .map((i) => [`vrrp_instance ${i.name} {`, ' interface eth0', ` virtual_router_id ${i.vrid}`, ' priority 100', ...i.lines, ' virtual_ipaddress {', `  192.0.2.${i.vrid}`, ' }', '}'].join('\n'))
    .join('\n');
  const r = parseConfigText(text, join(dir, 'vrrpd.conf'));
  if (r.config === undefined) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.config;
}

const lines = (): string[] => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : []);

describe('notifier.update (reload)', () => {
  it('new scripts from the update on; a new instance is known; DELETED uses the removed instance\'s scripts', async () => {
    const records: string[] = [];
    const log = pino({ level: 'debug' }, { write: (l: string) => void records.push((JSON.parse(l) as { msg: string }).msg) });
    const before = config([
      { name: 'VI_1', vrid: 51, lines: [` notify_master ${recorder('old')}`] },
      { name: 'VI_2', vrid: 52, lines: [` notify ${recorder('generic2')}`, ' notify_deleted'] },
    ]);
    const after = config([
      { name: 'VI_1', vrid: 51, lines: [` notify_master ${recorder('new')}`] },
      { name: 'VI_3', vrid: 53, lines: [` notify_backup ${recorder('three')}`] },
    ]);
    const n = createNotifier(before, { log, userDb: USERS });
    n.instance('VI_1', 'MASTER', 100);
    // The daemon reports the removal before it updates the notifier.
    n.instance('VI_2', 'DELETED', 100);
    n.update(after);
    n.instance('VI_1', 'MASTER', 100);
    n.instance('VI_3', 'BACKUP', 100);
    n.instance('VI_2', 'FAULT', 100);
    await n.drain(5000);
    expect(lines().sort()).toEqual(['generic2 INSTANCE VI_2 DELETED 100', 'new ', 'old ', 'three ']);
    expect(records).toContain('notify: no vrrp_instance VI_2 - FAULT not notified');
  });
});
