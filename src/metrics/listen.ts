// --metrics-listen's value, apart from src/metrics/exporter.ts: the command line checks it on every start,
// while prom-client (about 1.5 MB of heap and 4 MB of RSS) is loaded only when the flag is given.
import { err, ok, type Result } from '../types.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** "127.0.0.1:9650", "[::1]:9650", ":9650" (all addresses, said explicitly). */
export function parseListen(text: string): Result<ListenAddress, string> {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !(port >= 1 && port <= 65535)) return err(`invalid --metrics-listen ${JSON.stringify(text)}: expected HOST:PORT, e.g. 127.0.0.1:9650`);
  const host = m[1] ?? m[2] ?? '';
  return ok({ host: host === '' ? '0.0.0.0' : host, port });
}
