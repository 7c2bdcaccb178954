// Notify scripts and a vrrp_sync_group in the real daemon: two instances in one group on a lone
// node go MASTER together, and every instance and the group run their generic `notify` with
// keepalived's four arguments, in transition order per instance/group, STOP included at exit.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLab, labAvailable, pairLabSpec, type Lab } from '../../lab/netns.js';
import { waitUntil } from '../../lab/process.js';
import { startVrrpd } from '../../lab/vrrpd.js';
import { describeUnless } from '../helpers/unmet.js';

const available = labAvailable();

function config(notify: string): string {
  const instance = (name: string, vrid: number, vip: string): string[] => [
    `vrrp_instance ${name} {`, '    state BACKUP', '    interface eth0', `    virtual_router_id ${vrid}`, '    priority 100', '    advert_int 1',
    '    virtual_ipaddress {', `        ${vip}`, '    }', `    notify "${notify}"`, '}',
  ];
  return [
    'global_defs {', '    script_user root', '    enable_script_security', '}',
    ...instance('VI_1', 51, '192.0.2.200'), ...instance('VI_2', 52, '192.0.2.201'),
    'vrrp_sync_group G {', '    group {', '        VI_1', '        VI_2', '    }', `    notify "${notify}"`, '}', '',
  ].join('\n');
}

describeUnless(!available.ok)(`notify scripts and a sync group in the daemon${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
  let lab: Lab;
  // Root's, 0755, in a 0755 directory: what enable_script_security accepts (as for keepalived).
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-notify-test-'));
  const record = join(dir, 'calls.log');
  const script = join(dir, 'notify.sh');

  beforeAll(async () => {
    chmodSync(dir, 0o755);
    writeFileSync(script, `#!/bin/sh\necho "$*" >> ${record}\n`);
    chmodSync(script, 0o755);
    lab = await createLab(pairLabSpec());
  }, 20_000);

  afterAll(async () => {
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  it('the group goes MASTER together; INSTANCE and GROUP notifies in order, STOP at exit', async () => {
    const started = await startVrrpd(lab, 'a', config(script));
    if (!started.ok) throw new Error(started.error);
    const a = started.value;
    for (const name of ['VI_1', 'VI_2']) expect((await a.waitForState(name, 'MASTER', { timeoutMs: 9000 })).ok).toBe(true);
    expect(a.logLines()).toContain('VRRP_Group(G) Syncing instances to MASTER state');
    // The VIPs are added just after "Entering MASTER STATE" is logged.
    for (const vip of ['192.0.2.200', '192.0.2.201']) {
      expect(await waitUntil(() => lab.hasAddress('a', vip), { timeoutMs: 2000, intervalMs: 50 })).toBe(true);
    }
    expect(await a.stop()).toEqual({ code: 0, signal: null });

    const lines = readFileSync(record, 'utf8').trim().split('\n');
    const of = (prefix: string): string[] => lines.filter((l) => l.startsWith(prefix));
    expect(of('INSTANCE VI_1 ')).toEqual(['INSTANCE VI_1 BACKUP 100', 'INSTANCE VI_1 MASTER 100', 'INSTANCE VI_1 STOP 100']);
    expect(of('INSTANCE VI_2 ')).toEqual(['INSTANCE VI_2 BACKUP 100', 'INSTANCE VI_2 MASTER 100', 'INSTANCE VI_2 STOP 100']);
    expect(of('GROUP G ')).toEqual(['GROUP G BACKUP 0', 'GROUP G MASTER 0', 'GROUP G STOP 0']);
    expect(lines).toHaveLength(9);
  }, 30_000);
});
