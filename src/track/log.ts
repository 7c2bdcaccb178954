// An exception in a tracking listener is logged, never thrown into a timer or child callback.
import type { LineLog } from '../log/lines.js';

/** Calls a listener without letting its exception escape into a timer or child callback. */
export function guarded(log: LineLog, what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    log.error(`internal error in ${what}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
}
