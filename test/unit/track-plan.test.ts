// Which objects each instance tracks: own interface (unless dont_track_primary), its own
// track_* lists, its sync group's, merged as keepalived merges them.
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { formatDiagnostic } from '../../src/config/config.js';
import { parseConfigText } from '../../src/config/load.js';
import { planTracking } from '../../src/track/plan.js';

function config(...lines: string[]): Config {
  const r = parseConfigText(`${lines.join('\n')}\n`, 't.conf');
  expect(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
  if (r.config === undefined) throw new Error('no config');
  return r.config;
}

const scripts = [
  'vrrp_script chk_a {', 'script "/bin/true"', 'weight -20', '}',
  'vrrp_script chk_b {', 'script "/bin/true"', '}',
  'track_file tf {', 'file /tmp/tf', 'weight 3', '}',
];
const instance = (name: string, vrid: number, iface: string, ...body: string[]): string[] => [
  `vrrp_instance ${name} {`, `interface ${iface}`, `virtual_router_id ${vrid}`, 'priority 100', 'no_virtual_ipaddress', ...body, '}',
];

describe('planTracking', () => {
  it('own interface with weight 0, then the instance\'s lists with their resolved weights', () => {
    const c = config(
      ...scripts,
      ...instance('VI_1', 1, 'eth0', 'track_interface {', 'eth1 weight 10', 'eth2 weight -5 reverse', '}', 'track_script {', 'chk_a', 'chk_b weight 7 reverse', '}', 'track_file {', 'tf', '}'),
    );
    const plan = planTracking(c);
    expect(plan.instances.get('VI_1')).toEqual([
      { kind: 'interface', name: 'eth0', weight: 0, reverse: false },
      { kind: 'interface', name: 'eth1', weight: 10, reverse: false },
      { kind: 'interface', name: 'eth2', weight: -5, reverse: true },
      { kind: 'script', name: 'chk_a', weight: -20, reverse: false },
      { kind: 'script', name: 'chk_b', weight: 7, reverse: true },
      { kind: 'file', name: 'tf', weight: 3, reverse: false },
    ]);
    expect(plan.scripts).toEqual(['chk_a', 'chk_b']);
    expect(plan.files).toEqual(['tf']);
    expect(plan.interfaces).toEqual(['eth0', 'eth1', 'eth2']);
  });

  it('dont_track_primary: the own interface is not tracked, but still reported', () => {
    const plan = planTracking(config(...instance('VI_1', 1, 'eth0', 'dont_track_primary')));
    expect(plan.instances.get('VI_1')).toEqual([]);
    expect(plan.interfaces).toEqual([]);
    expect(plan.reportedInterfaces).toEqual(['eth0']);
  });

  it('a vrrp_script nobody tracks does not run', () => {
    const plan = planTracking(config(...scripts, ...instance('VI_1', 1, 'eth0')));
    expect(plan.scripts).toEqual([]);
    expect(plan.files).toEqual([]);
  });

  it('a script tracked by two instances is one script', () => {
    const plan = planTracking(config(...scripts, ...instance('VI_1', 1, 'eth0', 'track_script {', 'chk_a', '}'), ...instance('VI_2', 2, 'eth0', 'track_script {', 'chk_a weight 5', '}')));
    expect(plan.scripts).toEqual(['chk_a']);
    expect(plan.instances.get('VI_2')?.[1]).toEqual({ kind: 'script', name: 'chk_a', weight: 5, reverse: false });
  });

  describe('sync groups', () => {
    const group = (...body: string[]): string[] => ['vrrp_sync_group G {', 'group {', 'VI_1', 'VI_2', '}', ...body, '}'];

    it("the group's objects apply to every member; members' own weights are 0 without sync_group_tracking_weight", () => {
      const c = config(
        ...scripts,
        ...instance('VI_1', 1, 'eth0', 'track_script {', 'chk_b weight 9', '}'),
        ...instance('VI_2', 2, 'eth1'),
        ...group('track_script {', 'chk_a', '}', 'track_interface {', 'eth5 weight 4', '}', 'track_file {', 'tf weight 0', '}'),
      );
      const plan = planTracking(c);
      expect(plan.instances.get('VI_1')).toEqual([
        { kind: 'interface', name: 'eth0', weight: 0, reverse: false },
        { kind: 'script', name: 'chk_b', weight: 0, reverse: false },
        { kind: 'interface', name: 'eth5', weight: 4, reverse: false },
        { kind: 'script', name: 'chk_a', weight: -20, reverse: false },
        { kind: 'file', name: 'tf', weight: 0, reverse: false },
      ]);
      expect(plan.instances.get('VI_2')).toEqual([
        { kind: 'interface', name: 'eth1', weight: 0, reverse: false },
        { kind: 'interface', name: 'eth5', weight: 4, reverse: false },
        { kind: 'script', name: 'chk_a', weight: -20, reverse: false },
        { kind: 'file', name: 'tf', weight: 0, reverse: false },
      ]);
    });

    it('an object on both: the group weight replaces a weighted member entry, an unweighted one stays', () => {
      const c = config(
        ...scripts,
        ...instance('VI_1', 1, 'eth0', 'track_script {', 'chk_a weight 9', '}'),
        ...instance('VI_2', 2, 'eth1', 'track_script {', 'chk_a weight 0', '}'),
        ...group('sync_group_tracking_weight', 'track_script {', 'chk_a weight -30 reverse', '}'),
      );
      const plan = planTracking(c);
      expect(plan.instances.get('VI_1')?.filter((t) => t.kind === 'script')).toEqual([{ kind: 'script', name: 'chk_a', weight: -30, reverse: true }]);
      expect(plan.instances.get('VI_2')?.filter((t) => t.kind === 'script')).toEqual([{ kind: 'script', name: 'chk_a', weight: 0, reverse: false }]);
    });

    it("the group tracking a member's own interface: unweighted stays unweighted; under dont_track_primary the group's entry counts", () => {
      const c = config(...instance('VI_1', 1, 'eth0'), ...instance('VI_2', 2, 'eth1', 'dont_track_primary'), ...group('track_interface {', 'eth0 weight 5', 'eth1 weight 6', '}'));
      const plan = planTracking(c);
      expect(plan.instances.get('VI_1')).toEqual([
        { kind: 'interface', name: 'eth0', weight: 0, reverse: false },
        { kind: 'interface', name: 'eth1', weight: 6, reverse: false },
      ]);
      expect(plan.instances.get('VI_2')).toEqual([
        { kind: 'interface', name: 'eth1', weight: 6, reverse: false },
        { kind: 'interface', name: 'eth0', weight: 5, reverse: false },
      ]);
    });
  });
});
