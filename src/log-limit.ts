// One rate limit per kind of log line: a flood of one kind is logged once per interval with the
// count of the rest, and neither silences nor miscounts another kind.

export interface LogLimiter<K extends string> {
  /** The line to log now (with "(N more since last report)" of its own kind), or undefined to stay quiet. */
  (kind: K, line: string): string | undefined;
}

export function createLogLimiter<K extends string>(intervalMs: number, now: () => number): LogLimiter<K> {
  const seen = new Map<K, { last: number; suppressed: number }>();
  return (kind, line) => {
    const t = now();
    const entry = seen.get(kind);
    if (entry !== undefined && t - entry.last < intervalMs) {
      entry.suppressed++;
      return undefined;
    }
    const more = entry !== undefined && entry.suppressed > 0 ? ` (${entry.suppressed} more since last report)` : '';
    seen.set(kind, { last: t, suppressed: 0 });
    return `${line}${more}`;
  };
}
