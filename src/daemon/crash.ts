// An unexpected exception (uncaught, an unhandled rejection, one in an instance's own work or in a
// reload) leaves the daemon in a state nobody planned for: an instance may be MASTER with its
// timers gone while the addon's repeater still sends its adverts, or hold VIPs its core thinks are
// released. Running on like that can keep a VIP nobody answers for. So the stack is logged, what
// can be released is released within RELEASE_BOUND_MS (the adverts stopped, priority 0 from each
// MASTER, every VIP removed), and the process exits EXIT.programError: the peer takes over at
// once, and systemd (Restart=on-failure) starts a fresh daemon, whose start-up removes what is
// left (a VIP that could not be removed, the no-accept drop rules).
import { EXIT } from '../exit-codes.js';
import type { LineLog } from '../log/lines.js';
import type { Scheduler } from '../timers/scheduler.js';

/** How long releasing may take before the process exits anyway. */
export const RELEASE_BOUND_MS = 1000;

export interface CrashDeps {
  readonly log: Pick<LineLog, 'error' | 'info'>;
  /** Release what can be released; may throw or never settle: both are bounded. */
  release(): void | Promise<void>;
  exit(code: number): void;
  readonly boundMs?: number;
}

const describe = (e: unknown): string => (e instanceof Error ? (e.stack ?? e.message) : String(e));

/**
 * The daemon's one answer to an unexpected exception, `where` saying how it arrived. The first
 * one releases and exits; any later one (say, from the release itself) is only logged.
 */
export function createCrashHandler(deps: CrashDeps): (e: unknown, where: string) => void {
  let crashing = false;
  return (e, where) => {
    if (crashing) {
      deps.log.error(`internal error while releasing (${where}): ${describe(e)}`);
      return;
    }
    crashing = true;
    deps.log.error(`internal error (${where}): ${describe(e)}`);
    deps.log.error(`releasing the VIPs and exiting ${EXIT.programError}: the state after an internal error is unknown`);
    const boundMs = deps.boundMs ?? RELEASE_BOUND_MS;
    let done = false;
    const finish = (how: string): void => {
      if (done) return;
      done = true;
      deps.log.info(`Stopped after an internal error (${how})`);
      deps.exit(EXIT.programError);
    };
    const bound = setTimeout(() => finish(`release still running after ${boundMs} ms`), boundMs);
    let releasing: void | Promise<void> = undefined;
    try {
      releasing = deps.release();
    } catch (r) {
      deps.log.error(`internal error while releasing: ${describe(r)}`);
    }
    void Promise.resolve(releasing)
      .catch((r: unknown) => deps.log.error(`internal error while releasing: ${describe(r)}`))
      .then(() => {
        clearTimeout(bound);
        finish('released');
      });
  };
}

/**
 * Test hook, not for production: with VRRPD_TEST_THROW_AFTER_MS=N an exception is thrown from the
 * protocol timers N ms after start-up, as a bug there would, so a test can show the crash path.
 * The daemon says at start-up that it is armed.
 */
export function injectTestThrow(env: NodeJS.ProcessEnv, timers: Pick<Scheduler, 'after'>, log: Pick<LineLog, 'warn'>): void {
  const afterMs = Number(env['VRRPD_TEST_THROW_AFTER_MS'] ?? '');
  if (!Number.isSafeInteger(afterMs) || afterMs <= 0) return;
  log.warn(`test hook: an exception will be thrown from the protocol timers in ${afterMs} ms (VRRPD_TEST_THROW_AFTER_MS)`);
  timers.after(afterMs, () => {
    throw new Error('test hook: thrown from the protocol timers (VRRPD_TEST_THROW_AFTER_MS)');
  });
}
