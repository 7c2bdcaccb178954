// A vrrp_script's status from its results, as keepalived 2.2.8's vrrp_script_child_thread()
// (vrrp_scheduler.c) counts them, with the lines it logs. keepalived keeps one counter, `result`,
// in 0 .. rise+fall-1: the script is up while result >= rise. A success while down counts up
// towards rise; a failure while down starts the count again. A success while up resets it to the
// top; a failure while up counts down, and the fall-th one in a row takes it to 0 (down).
// Start (vrrp_init_script): result = rise-1, so the first success alone brings it up; the first
// failure alone takes it down (it is logged and applied even though result != rise) — "first
// result decides". With init_fail the script starts down (result 0) and needs `rise` successes.

export interface ScriptRules {
  readonly rise: number;
  readonly fall: number;
  readonly initFail: boolean;
}

export interface ScriptState {
  /** keepalived's vscript->result. */
  readonly result: number;
  /** 'init': no result yet (status unknown); 'failed': init_fail, no result yet; 'done'. */
  readonly phase: 'init' | 'failed' | 'done';
  /** Exit status of the last run that exited (keepalived's last_status, initially 0). */
  readonly lastExitStatus: number;
}

/** How one run ended. */
export type ScriptRunResult =
  | { readonly kind: 'exited'; readonly status: number }
  | { readonly kind: 'signaled'; readonly signal: number }
  /** Killed by us at the timeout, however it then ended. */
  | { readonly kind: 'timedOut' }
  /** Never ran: the file is missing or not executable, the user does not exist, exec failed. */
  | { readonly kind: 'cannotRun'; readonly reason: string };

export function initialScriptState(rules: ScriptRules): ScriptState {
  return rules.initFail ? { result: 0, phase: 'failed', lastExitStatus: 0 } : { result: rules.rise - 1, phase: 'init', lastExitStatus: 0 };
}

export function scriptStatus(state: ScriptState, rules: ScriptRules): 'unknown' | 'up' | 'down' {
  if (state.phase === 'init') return 'unknown';
  return state.result >= rules.rise ? 'up' : 'down';
}

export function isSuccess(r: ScriptRunResult): boolean {
  return r.kind === 'exited' && r.status === 0;
}

/** The `VRRP_Script(X) failed (...)` text of a failed run. */
function failureLine(name: string, r: ScriptRunResult): string {
  switch (r.kind) {
    case 'exited':
      return `VRRP_Script(${name}) failed (exited with status ${r.status})`;
    case 'signaled':
      return `VRRP_Script(${name}) failed (due to signal ${r.signal})`;
    case 'timedOut':
      return `VRRP_Script(${name}) timed_out`;
    case 'cannotRun':
      return `VRRP_Script(${name}) failed (cannot run: ${r.reason})`;
  }
}

/**
 * Apply one run's result. `logs` are keepalived's lines: "Script `X` now returning N" whenever
 * the exit status differs from the previous exit (signals and timeouts do not count), and
 * "VRRP_Script(X) succeeded" / "... failed (exited with status N)" / "... failed (due to signal
 * N)" / "... timed_out" when the status changes (and for the first failure).
 */
export function applyScriptResult(
  state: ScriptState,
  rules: ScriptRules,
  name: string,
  run: ScriptRunResult,
): { readonly state: ScriptState; readonly logs: readonly string[] } {
  const logs: string[] = [];
  let lastExitStatus = state.lastExitStatus;
  if (run.kind === 'exited') {
    if (run.status !== state.lastExitStatus) logs.push(`Script \`${name}\` now returning ${run.status}`);
    lastExitStatus = run.status;
  }
  const top = rules.rise + rules.fall - 1;
  let result = state.result;
  if (isSuccess(run)) {
    if (result < rules.rise - 1) {
      result++;
    } else if (result !== top) {
      if (result < rules.rise) logs.push(`VRRP_Script(${name}) succeeded`);
      result = top;
    }
  } else if (result > rules.rise) {
    result--;
  } else {
    // At rise this is the fall-th failure; in the init phase it is the first result.
    if (result === rules.rise || state.phase === 'init') logs.push(failureLine(name, run));
    result = 0;
  }
  return { state: { result, phase: 'done', lastExitStatus }, logs };
}
