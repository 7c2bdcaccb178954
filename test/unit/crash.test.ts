// The daemon's answer to an unexpected exception (src/daemon/crash.ts): the stack logged, the
// release run and bounded, one exit with keepalived's program-error code, later errors only logged.
import { describe, expect, it } from 'vitest';
import { createCrashHandler, injectTestThrow } from '../../src/daemon/crash.js';
import { EXIT } from '../../src/exit-codes.js';

function harness(release: () => void | Promise<void>, boundMs = 50) {
  const lines: string[] = [];
  const exits: number[] = [];
  let exited: () => void = () => undefined;
  const exitedOnce = new Promise<void>((resolve) => (exited = resolve));
  const crash = createCrashHandler({
    log: { error: (l) => lines.push(`error ${l}`), info: (l) => lines.push(`info ${l}`) },
    release,
    exit: (code) => {
      exits.push(code);
      exited();
    },
    boundMs,
  });
  return { crash, lines, exits, exitedOnce };
}

describe('the crash path', () => {
  it('logs the stack, releases, then exits 70 (KEEPALIVED_EXIT_PROGRAM_ERROR), once', async () => {
    const order: string[] = [];
    const h = harness(async () => {
      order.push('release');
      await new Promise((r) => setTimeout(r, 5));
      order.push('released');
    });
    const started = Date.now();
    h.crash(new Error('boom'), 'uncaught exception');
    await h.exitedOnce;
    expect(EXIT.programError).toBe(70);
    expect(h.exits).toEqual([70]);
    expect(order).toEqual(['release', 'released']);
    expect(h.lines[0]).toMatch(/^error internal error \(uncaught exception\): Error: boom\n\s+at /);
    expect(h.lines.at(-1)).toBe('info Stopped after an internal error (released)');
    expect(Date.now() - started).toBeLessThan(50);
  });

  it('a release that never settles is cut off at the bound', async () => {
    const h = harness(() => new Promise<void>(() => undefined), 40);
    const started = Date.now();
    h.crash('not even an Error', 'unhandled rejection');
    await h.exitedOnce;
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    expect(h.exits).toEqual([70]);
    expect(h.lines[0]).toBe('error internal error (unhandled rejection): not even an Error');
    expect(h.lines.at(-1)).toBe('info Stopped after an internal error (release still running after 40 ms)');
  });

  it('a release that throws is logged and the exit still comes; a second error is only logged', async () => {
    const h = harness(() => {
      throw new Error('release broke');
    });
    h.crash(new Error('first'), 'in an instance');
    h.crash(new Error('second'), 'uncaught exception');
    await h.exitedOnce;
    await new Promise((r) => setTimeout(r, 60)); // past the bound: still one exit
    expect(h.exits).toEqual([70]);
    expect(h.lines.filter((l) => l.startsWith('error internal error while releasing'))).toHaveLength(2);
    expect(h.lines.some((l) => l.includes('release broke'))).toBe(true);
    expect(h.lines.some((l) => l.startsWith('error internal error while releasing (uncaught exception): Error: second'))).toBe(true);
  });
});

/** A scheduler that only records what is armed: the scheduler rethrows a timer's exception later, as an uncaught one. */
function armedTimers() {
  const armed: { ms: number; fire: () => void }[] = [];
  return { armed, timers: { after: (ms: number, fire: () => void) => (armed.push({ ms, fire }), undefined as never) } };
}

describe('the test hook VRRPD_TEST_THROW_AFTER_MS', () => {
  it('arms one protocol timer that throws, and says at start that it is armed', () => {
    const { armed, timers } = armedTimers();
    const warned: string[] = [];
    injectTestThrow({ VRRPD_TEST_THROW_AFTER_MS: '2500' }, timers, { warn: (l) => warned.push(l) });
    expect(warned).toEqual(['test hook: an exception will be thrown from the protocol timers in 2500 ms (VRRPD_TEST_THROW_AFTER_MS)']);
    expect(armed.map((a) => a.ms)).toEqual([2500]);
    expect(() => armed[0]?.fire()).toThrow(/VRRPD_TEST_THROW_AFTER_MS/);
  });

  it('without it (or with nonsense) nothing is armed', () => {
    for (const env of [{}, { VRRPD_TEST_THROW_AFTER_MS: 'x' }, { VRRPD_TEST_THROW_AFTER_MS: '0' }, { VRRPD_TEST_THROW_AFTER_MS: '-5' }]) {
      const { armed, timers } = armedTimers();
      const warned: string[] = [];
      injectTestThrow(env, timers, { warn: (l) => warned.push(l) });
      expect([warned, armed]).toEqual([[], []]);
    }
  });
});
