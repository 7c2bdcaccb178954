// Which scripts a transition runs and what is appended: keepalived 2.2.8 vrrp_notify.c
// (send_instance_notifies, send_group_notifies, send_event_notify, notify_script_exec).
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { parseConfigText } from '../../src/config/load.js';
import { planGroup, planInstance, planMasterRxLowerPri } from '../../src/notify/plan.js';

function config(...body: string[]): Config {
  const text = [
    'global_defs {',
    '  enable_script_security',
    '}',
    'vrrp_sync_group G1 {',
    '  group {',
    '    VI_1',
    '  }',
    ...body.filter((l) => l.startsWith('G ')).map((l) => `  ${l.slice(2)}`),
    '}',
    'vrrp_instance VI_1 {',
    '  interface eth0',
    '  virtual_router_id 51',
    '  priority 150',
    ...body.filter((l) => !l.startsWith('G ')).map((l) => `  ${l}`),
    '  virtual_ipaddress {',
    '    192.0.2.200',
    '  }',
    '}',
    '',
  ].join('\n');
  const r = parseConfigText(text, 'n.conf');
  if (r.config === undefined) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.config;
}

const shape = (p: ReturnType<typeof planInstance>): unknown => ({
  state: p.state,
  scripts: p.scripts.map((s) => [s.keyword, [...s.command.argv, ...s.extraArgs]]),
});

describe('planInstance', () => {
  const c = config(
    'notify_master "/s/master.sh m1"',
    'notify_backup /s/backup.sh',
    'notify_fault /s/fault.sh',
    'notify_stop /s/stop.sh',
    'notify "/s/generic.sh x"',
  );
  const vi = c.instances[0]!;

  it('runs the state script first, then the generic one with INSTANCE <name> <STATE> <priority> (name unquoted)', () => {
    expect(shape(planInstance(vi, 'MASTER', 140))).toEqual({
      state: 'MASTER',
      scripts: [
        ['notify_master', ['/s/master.sh', 'm1']],
        ['notify', ['/s/generic.sh', 'x', 'INSTANCE', 'VI_1', 'MASTER', '140']],
      ],
    });
    expect(shape(planInstance(vi, 'STOP', 0))).toEqual({
      state: 'STOP',
      scripts: [
        ['notify_stop', ['/s/stop.sh']],
        ['notify', ['/s/generic.sh', 'x', 'INSTANCE', 'VI_1', 'STOP', '0']],
      ],
    });
  });

  it('reports DELETED as FAULT unless notify_deleted is configured', () => {
    expect(shape(planInstance(vi, 'DELETED', 150))).toEqual({
      state: 'FAULT',
      scripts: [
        ['notify_fault', ['/s/fault.sh']],
        ['notify', ['/s/generic.sh', 'x', 'INSTANCE', 'VI_1', 'FAULT', '150']],
      ],
    });
    const bare = config('notify_deleted', 'notify /s/g.sh').instances[0]!;
    expect(shape(planInstance(bare, 'DELETED', 150))).toEqual({ state: 'DELETED', scripts: [['notify', ['/s/g.sh', 'INSTANCE', 'VI_1', 'DELETED', '150']]] });
    const withScript = config('notify_deleted /s/del.sh').instances[0]!;
    expect(shape(planInstance(withScript, 'DELETED', 150))).toEqual({ state: 'DELETED', scripts: [['notify_deleted', ['/s/del.sh']]] });
  });

  it('plans nothing when no script is configured for the state', () => {
    const only = config('notify_master /s/m.sh').instances[0]!;
    expect(planInstance(only, 'BACKUP', 150).scripts).toEqual([]);
  });

  it('notify_master_rx_lower_pri gets nothing appended and does not run the generic notify', () => {
    const c2 = config('notify_master_rx_lower_pri "/s/rx.sh a"', 'notify /s/g.sh');
    expect(shape(planMasterRxLowerPri(c2.instances[0]!))).toEqual({ state: 'MASTER_RX_LOWER_PRI', scripts: [['notify_master_rx_lower_pri', ['/s/rx.sh', 'a']]] });
    expect(planMasterRxLowerPri(vi).scripts).toEqual([]);
  });
});

describe('planGroup', () => {
  it('runs the group state script, then the generic one with GROUP <name> <STATE> 0', () => {
    const g = config('G notify_backup /s/gb.sh', 'G notify /s/gg.sh').syncGroups[0]!;
    expect(shape(planGroup(g, 'BACKUP'))).toEqual({
      state: 'BACKUP',
      scripts: [
        ['notify_backup', ['/s/gb.sh']],
        ['notify', ['/s/gg.sh', 'GROUP', 'G1', 'BACKUP', '0']],
      ],
    });
    expect(shape(planGroup(g, 'STOP'))).toEqual({ state: 'STOP', scripts: [['notify', ['/s/gg.sh', 'GROUP', 'G1', 'STOP', '0']]] });
  });
});
