// The start-up takeover rehearsal (src/vrrp/rehearsal.ts): it goes through a takeover on its own
// virtual clock and ports, leaves no real timer behind, and reports what stopped it as a value.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hostFor, instanceConfig } from '../helpers/instance.js';
import { rehearseTakeover } from '../../src/vrrp/rehearsal.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('rehearseTakeover', () => {
  it.each([
    ['a BACKUP at start (priority 150)', 'priority 150\nvirtual_ipaddress {\n192.0.2.200\n}'],
    ['the address owner (priority 255)', 'priority 255\nvirtual_ipaddress {\n192.0.2.200\n}'],
    ['preempt_delay and GARP repeats', 'priority 100\npreempt_delay 5\ngarp_master_delay 1\ngarp_master_refresh 2\nvirtual_ipaddress {\n192.0.2.200\n192.0.2.201\n}'],
    ['unicast', 'priority 100\nunicast_peer {\n192.0.2.12\n}\nvirtual_ipaddress {\n192.0.2.200\n}'],
  ])('takes over and shuts down: %s, with no real timer or immediate left', (_name, body) => {
    vi.useFakeTimers();
    const config = instanceConfig(body);
    expect(rehearseTakeover(config, hostFor(config))).toEqual({ ok: true, value: undefined });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('says why when the instance cannot become MASTER (unicast_fault_no_peer without peers stays in FAULT)', () => {
    const config = instanceConfig('priority 100\nunicast_fault_no_peer\nunicast_src_ip 192.0.2.11\nvirtual_ipaddress {\n192.0.2.200\n}');
    const rehearsed = rehearseTakeover(config, hostFor(config));
    expect(rehearsed.ok).toBe(false);
    expect(rehearsed.ok ? '' : rehearsed.error).toMatch(/no takeover within \d+ ms \(FAULT\)/);
  });
});
