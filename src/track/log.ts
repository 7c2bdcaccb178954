// The logging the tracking modules need: pino's Logger fits, tests pass a recorder.
export interface TrackLog {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** Calls a listener without letting its exception escape into a timer or child callback. */
export function guarded(log: TrackLog, what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    log.error(`internal error in ${what}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
}
