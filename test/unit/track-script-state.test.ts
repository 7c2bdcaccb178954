// vrrp_script status from its results, as keepalived 2.2.8's vrrp_script_child_thread counts:
// first result decides, then rise/fall; init_fail; the lines it logs.
import { describe, expect, it } from 'vitest';
import { applyScriptResult, initialScriptState, scriptStatus, type ScriptRules, type ScriptRunResult, type ScriptState } from '../../src/track/script-state.js';

const ok: ScriptRunResult = { kind: 'exited', status: 0 };
const fail = (status = 1): ScriptRunResult => ({ kind: 'exited', status });

/** Feed results; returns the status after each, and every line logged. */
function feed(rules: ScriptRules, results: readonly ScriptRunResult[], name = 'chk'): { statuses: string[]; logs: string[]; state: ScriptState } {
  let state = initialScriptState(rules);
  const statuses: string[] = [];
  const logs: string[] = [];
  for (const r of results) {
    const next = applyScriptResult(state, rules, name, r);
    state = next.state;
    logs.push(...next.logs);
    statuses.push(scriptStatus(state, rules));
  }
  return { statuses, logs, state };
}

const rules = (rise: number, fall: number, initFail = false): ScriptRules => ({ rise, fall, initFail });

describe('start: the first result decides', () => {
  it('no result yet is unknown', () => {
    expect(scriptStatus(initialScriptState(rules(3, 3)), rules(3, 3))).toBe('unknown');
  });

  it('one success brings it up whatever rise is', () => {
    const r = feed(rules(5, 2), [ok]);
    expect(r.statuses).toEqual(['up']);
    expect(r.logs).toEqual(['VRRP_Script(chk) succeeded']);
  });

  it('one failure takes it down whatever fall is, and is logged', () => {
    const r = feed(rules(2, 5), [fail()]);
    expect(r.statuses).toEqual(['down']);
    expect(r.logs).toEqual(['Script `chk` now returning 1', 'VRRP_Script(chk) failed (exited with status 1)']);
  });

  it('after a first failure, rise successes are needed', () => {
    expect(feed(rules(3, 1), [fail(), ok, ok, ok]).statuses).toEqual(['down', 'down', 'down', 'up']);
  });

  it('after a first success, fall failures are needed', () => {
    expect(feed(rules(1, 3), [ok, fail(), fail(), fail()]).statuses).toEqual(['up', 'up', 'up', 'down']);
  });
});

describe('then rise and fall', () => {
  it('fall counts consecutive failures: a success in between starts again', () => {
    const r = feed(rules(1, 2), [ok, fail(), ok, fail(), fail()]);
    expect(r.statuses).toEqual(['up', 'up', 'up', 'up', 'down']);
    expect(r.logs.filter((l) => l.startsWith('VRRP_Script'))).toEqual(['VRRP_Script(chk) succeeded', 'VRRP_Script(chk) failed (exited with status 1)']);
  });

  it('rise counts consecutive successes: a failure in between starts again, silently', () => {
    const r = feed(rules(2, 1), [fail(), ok, fail(), ok, ok]);
    expect(r.statuses).toEqual(['down', 'down', 'down', 'down', 'up']);
    expect(r.logs.filter((l) => l.startsWith('VRRP_Script'))).toEqual(['VRRP_Script(chk) failed (exited with status 1)', 'VRRP_Script(chk) succeeded']);
  });

  it('repeated successes or failures log nothing more', () => {
    const r = feed(rules(1, 1), [ok, ok, ok, fail(), fail(), fail()]);
    expect(r.logs).toEqual(['VRRP_Script(chk) succeeded', 'Script `chk` now returning 1', 'VRRP_Script(chk) failed (exited with status 1)']);
  });

  it('the counter stays within 0..rise+fall-1', () => {
    const r = rules(2, 3);
    let state = initialScriptState(r);
    for (let i = 0; i < 10; i++) state = applyScriptResult(state, r, 'x', ok).state;
    expect(state.result).toBe(4);
    for (let i = 0; i < 10; i++) state = applyScriptResult(state, r, 'x', fail()).state;
    expect(state.result).toBe(0);
  });
});

describe('init_fail', () => {
  it('starts down (not unknown) and needs rise successes', () => {
    const r = rules(2, 2, true);
    expect(scriptStatus(initialScriptState(r), r)).toBe('down');
    expect(feed(r, [ok, ok]).statuses).toEqual(['down', 'up']);
  });

  it('a first failure is not a change: not logged as one', () => {
    const r = feed(rules(1, 1, true), [fail(3)]);
    expect(r.statuses).toEqual(['down']);
    expect(r.logs).toEqual(['Script `chk` now returning 3']);
  });
});

describe('how a run ended', () => {
  it('"now returning" is logged when the exit status changes, from an initial 0', () => {
    const r = feed(rules(1, 1), [ok, fail(1), fail(1), fail(2), ok]);
    expect(r.logs.filter((l) => l.startsWith('Script'))).toEqual(['Script `chk` now returning 1', 'Script `chk` now returning 2', 'Script `chk` now returning 0']);
  });

  it('a signal is a failure with its number; it does not touch the exit status', () => {
    const r = feed(rules(1, 1), [ok, { kind: 'signaled', signal: 9 }]);
    expect(r.statuses).toEqual(['up', 'down']);
    expect(r.logs).toEqual(['VRRP_Script(chk) succeeded', 'VRRP_Script(chk) failed (due to signal 9)']);
    expect(r.state.lastExitStatus).toBe(0);
  });

  it('a timeout is a failure: "timed_out"', () => {
    const r = feed(rules(1, 1), [ok, { kind: 'timedOut' }]);
    expect(r.statuses).toEqual(['up', 'down']);
    expect(r.logs[1]).toBe('VRRP_Script(chk) timed_out');
  });

  it('a script that cannot be run is a failure with the reason', () => {
    const r = feed(rules(1, 1), [{ kind: 'cannotRun', reason: 'not found in PATH (/bin)' }]);
    expect(r.statuses).toEqual(['down']);
    expect(r.logs).toEqual(['VRRP_Script(chk) failed (cannot run: not found in PATH (/bin))']);
  });

  it('any non-zero exit status is a failure', () => {
    expect(feed(rules(1, 1), [fail(255)]).statuses).toEqual(['down']);
    expect(feed(rules(1, 1), [fail(2), ok]).statuses).toEqual(['down', 'up']);
  });
});
