// `vrrpd status [--json] [--control-socket PATH | -p PIDFILE]`: asks the running daemon and prints
// its answer. Exit 0 with the status, 1 with one sentence on stderr when it cannot be had.
import { existsSync } from 'node:fs';
import { EXIT } from '../exit-codes.js';
import { request, socketCandidates } from './client.js';
import { formatStatus } from './format.js';
import { CLIENT_DEFAULT_SOCKETS, defaultSocketPath } from './protocol.js';
import type { StatusReport } from './status.js';

export interface StatusCommandOptions {
  readonly json: boolean;
  readonly controlSocket?: string;
  readonly pidFile?: string;
}

function isReport(value: unknown): value is StatusReport {
  return typeof value === 'object' && value !== null && Array.isArray((value as { instances?: unknown }).instances);
}

export async function runStatusCommand(opts: StatusCommandOptions, out: (text: string) => void, fail: (line: string) => void): Promise<number> {
  const given = opts.controlSocket ?? (opts.pidFile === undefined ? undefined : defaultSocketPath(opts.pidFile));
  const candidates = socketCandidates(given);
  const path = candidates.find((p) => existsSync(p));
  if (path === undefined) {
    const where = given ?? CLIENT_DEFAULT_SOCKETS.join(' or ');
    fail(`vrrpd is not running (no control socket at ${where}; --control-socket PATH names another)`);
    return EXIT.fatal;
  }
  const reply = await request(path, 'status');
  if (!reply.ok) {
    fail(reply.error);
    return EXIT.fatal;
  }
  if (!isReport(reply.value)) {
    fail(`vrrpd's reply on ${path} is not a status report`);
    return EXIT.fatal;
  }
  out(opts.json ? `${JSON.stringify(reply.value)}\n` : formatStatus(reply.value));
  return EXIT.ok;
}
