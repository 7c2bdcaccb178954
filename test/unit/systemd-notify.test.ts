// What systemd hears from a running vrrpd (src/daemon/watchdog.ts): the watchdog period it derives from
// $WATCHDOG_USEC, and the STATUS= line that follows every state change.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { err, ok } from '../../src/types.js';
import { createSystemdStatus, startWatchdog, statusLine, watchdogPingMs } from '../../src/daemon/watchdog.js';

describe('watchdogPingMs', () => {
  it('pings at half of WatchdogSec, as sd_watchdog_enabled(3) advises', () => {
    expect(watchdogPingMs({ WATCHDOG_USEC: '10000000' }, 42)).toBe(5000);
    expect(watchdogPingMs({ WATCHDOG_USEC: '10000000', WATCHDOG_PID: '42' }, 42)).toBe(5000);
    expect(watchdogPingMs({ WATCHDOG_USEC: '1' }, 42)).toBe(1);
  });

  it('has no watchdog without WATCHDOG_USEC, with a bad one, or when it is meant for another pid', () => {
    expect(watchdogPingMs({}, 42)).toBeUndefined();
    for (const bad of ['', '0', '-5', 'ten', '1.5', '1e400']) expect(watchdogPingMs({ WATCHDOG_USEC: bad }, 42)).toBeUndefined();
    expect(watchdogPingMs({ WATCHDOG_USEC: '10000000', WATCHDOG_PID: '43' }, 42)).toBeUndefined();
  });
});

describe('startWatchdog', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends WATCHDOG=1 at once and then every period until stopped', () => {
    vi.useFakeTimers();
    const sent: string[] = [];
    const dog = startWatchdog((s) => (sent.push(s), ok(true)), 5000);
    expect(sent).toEqual(['WATCHDOG=1']);
    vi.advanceTimersByTime(15_000);
    expect(sent).toHaveLength(4);
    dog.stop();
    vi.advanceTimersByTime(15_000);
    expect(sent).toHaveLength(4);
  });
});

describe('statusLine', () => {
  it('groups instances by state, MASTER first, in config order', () => {
    const states = new Map([
      ['VI_2', 'BACKUP'],
      ['VI_1', 'MASTER'],
      ['VI_3', 'BACKUP'],
      ['VI_4', 'FAULT'],
    ]);
    expect(statusLine(states)).toBe('MASTER: VI_1; BACKUP: VI_2, VI_3; FAULT: VI_4');
  });

  it('stays one short line with hundreds of instances, keeping the counts', () => {
    const states = new Map(Array.from({ length: 300 }, (_, i) => [`instance_${i}`, i % 3 === 0 ? 'MASTER' : 'BACKUP'] as [string, string]));
    const line = statusLine(states);
    expect(line.length).toBeLessThanOrEqual(200);
    expect(line).toMatch(/^MASTER 100, BACKUP 200 - MASTER: instance_0, instance_3/);
    expect(line).not.toContain('\n');
  });
});

describe('createSystemdStatus', () => {
  it('starts every instance in INIT and sends a new STATUS= on each change; READY=1 carries the status', () => {
    const sent: string[] = [];
    const status = createSystemdStatus(['VI_1', 'VI_2'], (s) => (sent.push(s), ok(true)), () => undefined, (f) => f());
    status.send('READY=1');
    status.update('VI_1', 'BACKUP');
    status.update('VI_2', 'BACKUP');
    status.update('VI_1', 'MASTER');
    expect(sent).toEqual(['READY=1\nSTATUS=INIT: VI_1, VI_2', 'STATUS=BACKUP: VI_1; INIT: VI_2', 'STATUS=BACKUP: VI_1, VI_2', 'STATUS=MASTER: VI_1; BACKUP: VI_2']);
  });

  it('one STATUS= per loop turn: changes in the same turn are sent together; READY/STOPPING carry them at once', () => {
    const sent: string[] = [];
    const turns: (() => void)[] = [];
    const status = createSystemdStatus(['VI_1', 'VI_2', 'VI_3'], (s) => (sent.push(s), ok(true)), () => undefined, (f) => turns.push(f));
    status.update('VI_1', 'BACKUP');
    status.update('VI_2', 'BACKUP');
    status.update('VI_3', 'MASTER');
    expect(sent).toEqual([]);
    for (const f of turns.splice(0)) f();
    expect(sent).toEqual(['STATUS=MASTER: VI_3; BACKUP: VI_1, VI_2']);
    status.update('VI_3', 'STOP');
    status.send('STOPPING=1');
    for (const f of turns.splice(0)) f();
    expect(sent.slice(1)).toEqual(['STOPPING=1\nSTATUS=BACKUP: VI_1, VI_2; STOP: VI_3']);
  });

  it('reports a broken notify socket once, not once per state change', () => {
    const reports: string[] = [];
    const status = createSystemdStatus(['VI_1'], () => err('sendto /run/systemd/notify: Connection refused (ECONNREFUSED)'), (m) => reports.push(m), (f) => f());
    status.send('READY=1');
    status.update('VI_1', 'MASTER');
    status.update('VI_1', 'BACKUP');
    expect(reports).toEqual(['cannot tell systemd: sendto /run/systemd/notify: Connection refused (ECONNREFUSED)']);
  });
});
