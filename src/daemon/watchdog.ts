// What systemd sees of a running vrrpd (Type=notify, sd_notify(3)): STATUS= with a one-line summary
// of who is MASTER after every state change (`systemctl status vrrpd` shows it), and WATCHDOG=1 from
// the event loop itself, so a daemon whose loop is stuck - and which therefore sends no adverts - is
// restarted by systemd rather than left holding the VIP silently.
import type { Result } from '../types.js';

export type SdSend = (state: string) => Result<boolean, string>;

/** systemd's STATUS= is shown on one line; a long list of instances is cut, saying how many. */
const STATUS_MAX = 200;

/**
 * Half the watchdog interval systemd asks for ($WATCHDOG_USEC), as sd_watchdog_enabled(3) advises;
 * undefined when there is no watchdog for this process ($WATCHDOG_PID names another one).
 */
export function watchdogPingMs(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = Number(env['WATCHDOG_USEC'] ?? '');
  if (!Number.isSafeInteger(usec) || usec <= 0) return undefined;
  const owner = env['WATCHDOG_PID'];
  if (owner !== undefined && owner !== '' && Number(owner) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

/** Sends WATCHDOG=1 every `everyMs` from a timer on the event loop; the timer keeps nobody alive. */
export function startWatchdog(send: SdSend, everyMs: number): { stop(): void } {
  send('WATCHDOG=1');
  const timer = setInterval(() => send('WATCHDOG=1'), everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * Test hook, not for production: with VRRPD_TEST_STALL_MS=N (and VRRPD_TEST_STALL_AFTER_MS=M, default
 * 2000) the event loop is blocked by a synchronous busy loop of N ms, M ms after start-up, so a test
 * can show that WATCHDOG=1 stops (and adverts with it) and systemd's watchdog would restart us.
 */
export function injectTestStall(env: NodeJS.ProcessEnv, log: (message: string) => void): void {
  const stallMs = Number(env['VRRPD_TEST_STALL_MS'] ?? '');
  if (!Number.isSafeInteger(stallMs) || stallMs <= 0) return;
  const afterMs = Number(env['VRRPD_TEST_STALL_AFTER_MS'] ?? '2000');
  const timer = setTimeout(() => {
    log(`test hook: blocking the event loop for ${stallMs} ms (VRRPD_TEST_STALL_MS)`);
    const until = Date.now() + stallMs;
    while (Date.now() < until) {
      // a stuck loop: nothing else runs, no advert, no WATCHDOG=1
    }
  }, Number.isSafeInteger(afterMs) && afterMs >= 0 ? afterMs : 2000);
  timer.unref();
}

/** "MASTER: VI_1; BACKUP: VI_2, VI_3", states in this order, instances in config order. */
export function statusLine(states: ReadonlyMap<string, string>): string {
  const order = ['MASTER', 'BACKUP', 'FAULT', 'INIT', 'STOP'];
  const groups = new Map<string, string[]>();
  for (const [name, state] of states) {
    const names = groups.get(state);
    if (names) names.push(name);
    else groups.set(state, [name]);
  }
  const rank = (s: string): number => (order.includes(s) ? order.indexOf(s) : order.length);
  const parts = [...groups.entries()].sort(([a], [b]) => rank(a) - rank(b)).map(([state, names]) => `${state}: ${names.join(', ')}`);
  const line = parts.join('; ');
  if (line.length <= STATUS_MAX) return line;
  const counts = [...groups.entries()].sort(([a], [b]) => rank(a) - rank(b)).map(([state, names]) => `${state} ${names.length}`).join(', ');
  const head = `${counts} - `;
  return `${head}${line.slice(0, STATUS_MAX - head.length - 1)}…`;
}

export interface SystemdStatus {
  /** An instance entered a state (its notify): a new STATUS= line. */
  update(instance: string, state: string): void;
  /** Any other message for systemd (READY=1, STOPPING=1), with the current STATUS= appended. */
  send(state: string): void;
}

/** `report` hears a failed sd_notify once (the socket went away): it is not worth a log per advert. */
export function createSystemdStatus(
  instances: readonly string[],
  send: SdSend,
  report: (message: string) => void,
  defer: (f: () => void) => void = (f) => void setImmediate(f),
): SystemdStatus {
  const states = new Map<string, string>(instances.map((name) => [name, 'INIT']));
  let reported = false;
  let pending = false;
  const emit = (message: string): void => {
    const sent = send(message);
    if (!sent.ok && !reported) {
      reported = true;
      report(`cannot tell systemd: ${sent.error}`);
    }
  };
  return {
    // One STATUS= per loop turn however many instances moved in it: 1000 instances entering BACKUP
    // at start-up (or leaving at shutdown) would otherwise build 1000 lines of 1000 names each.
    update: (instance, state) => {
      states.set(instance, state);
      if (pending) return;
      pending = true;
      defer(() => {
        if (!pending) return;
        pending = false;
        emit(`STATUS=${statusLine(states)}`);
      });
    },
    send: (message) => {
      pending = false;
      emit(`${message}\nSTATUS=${statusLine(states)}`);
    },
  };
}
