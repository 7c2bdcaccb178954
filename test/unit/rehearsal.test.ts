// The start-up takeover rehearsal (src/vrrp/rehearsal.ts): it goes through its script (a master
// heard, a priority 0, adverts, preempted, a silent master, shutdown; an owner: a lower priority
// heard) on its own virtual clock and ports, leaves no real timer behind, and reports where it
// stopped as a value: an ok means every role change it expects happened.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hostFor, instanceConfig } from '../helpers/instance.js';
import { rehearseTakeover } from '../../src/instance/rehearsal.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('rehearseTakeover', () => {
  it.each([
    ['a BACKUP at start (priority 150)', 'priority 150\nvirtual_ipaddress {\n192.0.2.200\n}'],
    ['the address owner (priority 255)', 'priority 255\nvirtual_ipaddress {\n192.0.2.200\n}'],
    ['preempt_delay and GARP repeats', 'priority 100\npreempt_delay 5\ngarp_master_delay 1\ngarp_master_refresh 2\nvirtual_ipaddress {\n192.0.2.200\n192.0.2.201\n}'],
    ['nopreempt, state BACKUP', 'state BACKUP\nnopreempt\npriority 100\nvirtual_ipaddress {\n192.0.2.200\n}'],
    ['unicast', 'priority 100\nunicast_peer {\n192.0.2.12\n}\nvirtual_ipaddress {\n192.0.2.200\n}'],
  ])('follows its script to shutdown: %s, with no real timer or immediate left', (_name, body) => {
    vi.useFakeTimers();
    const config = instanceConfig(body);
    expect(rehearseTakeover(config, hostFor(config))).toEqual({ ok: true, value: undefined });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('says where it stopped when the instance cannot follow the script (unicast_fault_no_peer without peers stays in FAULT)', () => {
    const config = instanceConfig('priority 100\nunicast_fault_no_peer\nunicast_src_ip 192.0.2.11\nvirtual_ipaddress {\n192.0.2.200\n}');
    const rehearsed = rehearseTakeover(config, hostFor(config));
    expect(rehearsed.ok).toBe(false);
    expect(rehearsed.ok ? '' : rehearsed.error).toBe('FAULT, not BACKUP, after a higher priority heard');
  });
});
