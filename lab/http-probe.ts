// An HTTP client that watches a VIP the way a user of the service does: it GETs the URL every
// INTERVAL_MS and records whether an answer came and who gave it (the body names the host).
//
//   ip netns exec CLIENT_NS node dist/lab/http-probe.js URL INTERVAL_MS [DURATION_MS [TIMEOUT_MS]]
//
// Every request is a new TCP connection (no agent, no keep-alive), so each one goes wherever the
// client's ARP entry for the VIP points at that moment, and each is abandoned after TIMEOUT_MS
// (default 200): a dead owner costs one timeout, not a TCP retransmission schedule. A new request
// starts every INTERVAL_MS whether or not the previous one finished, so a hanging request never
// delays the next look; at most TIMEOUT_MS / INTERVAL_MS + 1 are in flight.
//
// Output: one JSON line per event on stdout, as it happens (`start`, `answer` when a different host
// answers, `down` when requests start failing, `up` when answers come back), and at SIGTERM/SIGINT
// or after DURATION_MS (0 = until signalled) a `summary` line, then exit 0. Times are Date.now()
// milliseconds: the lab runs every namespace on one machine, so they compare with the test's clock.
//
// The rest of this module is for the tests: the types, a parser for those lines, and
// startHttpProbe() which runs the compiled probe in a lab host.

import { request } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Result } from '../src/types.js';
import { err, ok } from '../src/types.js';
import type { Lab } from './netns.js';
import type { TrackedProcess } from './process.js';
import { repoRoot } from './vrrpd.js';

// ---------------------------------------------------------------------------------------------
// What the probe prints

export interface ProbeStart {
  readonly type: 'start';
  readonly at: number;
  readonly url: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/** A different host than the previous answer's answered (the first answer is one too). */
export interface ProbeAnswer {
  readonly type: 'answer';
  readonly at: number;
  readonly host: string;
  /** Who answered before, undefined for the first answer. */
  readonly previous: string | undefined;
}

/** A request sent after the last answer failed: the service looks down from here. */
export interface ProbeDown {
  readonly type: 'down';
  /** When the failed request was sent. */
  readonly at: number;
  /** The last answer before it. */
  readonly lastAnswerAt: number;
  readonly error: string;
}

/** Answers are back after a `down`. */
export interface ProbeUp {
  readonly type: 'up';
  readonly at: number;
  readonly host: string;
  /** at − the last answer before the failures. */
  readonly gapMs: number;
  readonly failed: number;
}

/** A run of failed requests between two answers. */
export interface ProbeOutage {
  /** The last answer before the first failed request (or the probe's start). */
  readonly from: number;
  /** The first answer after (or the probe's end, then open is true). */
  readonly to: number;
  readonly ms: number;
  readonly failed: number;
  readonly open: boolean;
  /** Who answered before and after. */
  readonly before: string | undefined;
  readonly after: string | undefined;
}

export interface ProbeSummary {
  readonly type: 'summary';
  readonly url: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly total: number;
  readonly ok: number;
  readonly failed: number;
  /** Failed requests by reason (ECONNREFUSED, timeout, HTTP 502, …). */
  readonly errors: Readonly<Record<string, number>>;
  /**
   * The longest time without an answer: between two consecutive answers, or from the last answer to
   * the end (open). Undefined when nothing ever answered.
   */
  readonly longestGap: { readonly ms: number; readonly from: number; readonly to: number; readonly open: boolean } | undefined;
  readonly outages: readonly ProbeOutage[];
  /** Who answered, from when: the first answer and every change of host. */
  readonly changes: readonly { readonly at: number; readonly host: string }[];
}

export type ProbeEvent = ProbeStart | ProbeAnswer | ProbeDown | ProbeUp | ProbeSummary;

// ---------------------------------------------------------------------------------------------
// The bookkeeping (pure, so it can be tested without a network)

/** One finished request. */
export interface ProbeSample {
  readonly sentAt: number;
  readonly doneAt: number;
  /** The answering host (the trimmed body), or undefined when the request failed. */
  readonly host: string | undefined;
  readonly error: string | undefined;
}

/**
 * Feeds finished requests in the order they finish and produces the live events and the summary.
 * A failed request sent before the latest answer was sent (a straggler that timed out while a
 * later one got through) counts as failed but opens no outage: the service was answering.
 */
export class ProbeRecorder {
  private readonly samples: ProbeSample[] = [];
  private lastOk: ProbeSample | undefined;
  private lastHost: string | undefined;
  private down: { readonly from: number; failed: number; readonly before: string | undefined } | undefined;
  private readonly outages: ProbeOutage[] = [];
  private readonly changes: { at: number; host: string }[] = [];
  private longest: { ms: number; from: number; to: number; open: boolean } | undefined;

  constructor(
    private readonly url: string,
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly startedAt: number,
  ) {}

  /** Record one finished request; returns the events it causes. */
  add(s: ProbeSample): ProbeEvent[] {
    this.samples.push(s);
    const events: ProbeEvent[] = [];
    if (s.host === undefined) {
      const afterLastAnswer = this.lastOk === undefined || s.sentAt > this.lastOk.sentAt;
      if (this.down !== undefined) {
        this.down.failed += 1;
      } else if (afterLastAnswer) {
        const from = this.lastOk?.doneAt ?? this.startedAt;
        this.down = { from, failed: 1, before: this.lastHost };
        events.push({ type: 'down', at: s.sentAt, lastAnswerAt: from, error: s.error ?? 'failed' });
      }
      return events;
    }
    if (this.lastOk !== undefined) this.noteGap(this.lastOk.doneAt, s.doneAt, false);
    if (this.down !== undefined) {
      const ms = s.doneAt - this.down.from;
      this.outages.push({ from: this.down.from, to: s.doneAt, ms, failed: this.down.failed, open: false, before: this.down.before, after: s.host });
      events.push({ type: 'up', at: s.doneAt, host: s.host, gapMs: ms, failed: this.down.failed });
      this.down = undefined;
    }
    if (s.host !== this.lastHost) {
      this.changes.push({ at: s.doneAt, host: s.host });
      events.push({ type: 'answer', at: s.doneAt, host: s.host, previous: this.lastHost });
      this.lastHost = s.host;
    }
    if (this.lastOk === undefined || s.doneAt >= this.lastOk.doneAt) this.lastOk = s;
    return events;
  }

  summary(endedAt: number): ProbeSummary {
    const outages = [...this.outages];
    let longest = this.longest;
    if (this.down !== undefined) {
      const { from, failed, before } = this.down;
      outages.push({ from, to: endedAt, ms: endedAt - from, failed, open: true, before, after: undefined });
    }
    if (this.lastOk !== undefined && endedAt - this.lastOk.doneAt > (longest?.ms ?? -1) && this.down !== undefined) {
      longest = { ms: endedAt - this.lastOk.doneAt, from: this.lastOk.doneAt, to: endedAt, open: true };
    }
    const errors: Record<string, number> = {};
    for (const s of this.samples) if (s.host === undefined) errors[s.error ?? 'failed'] = (errors[s.error ?? 'failed'] ?? 0) + 1;
    const okCount = this.samples.filter((s) => s.host !== undefined).length;
    return {
      type: 'summary',
      url: this.url,
      intervalMs: this.intervalMs,
      timeoutMs: this.timeoutMs,
      startedAt: this.startedAt,
      endedAt,
      total: this.samples.length,
      ok: okCount,
      failed: this.samples.length - okCount,
      errors,
      longestGap: longest,
      outages,
      changes: [...this.changes],
    };
  }

  private noteGap(from: number, to: number, open: boolean): void {
    if (to - from > (this.longest?.ms ?? -1)) this.longest = { ms: to - from, from, to, open };
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing the output (what the tests use)

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (o: Json, k: string): number | undefined => (typeof o[k] === 'number' ? (o[k] as number) : undefined);
const str = (o: Json, k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);

function parseOutage(v: unknown): ProbeOutage | undefined {
  if (!isObject(v)) return undefined;
  const from = num(v, 'from');
  const to = num(v, 'to');
  const ms = num(v, 'ms');
  const failed = num(v, 'failed');
  if (from === undefined || to === undefined || ms === undefined || failed === undefined || typeof v['open'] !== 'boolean') return undefined;
  return { from, to, ms, failed, open: v['open'], before: str(v, 'before'), after: str(v, 'after') };
}

function parseSummary(o: Json): ProbeSummary | undefined {
  const fields = ['intervalMs', 'timeoutMs', 'startedAt', 'endedAt', 'total', 'ok', 'failed'] as const;
  const n = Object.fromEntries(fields.map((k) => [k, num(o, k)])) as Record<(typeof fields)[number], number | undefined>;
  const url = str(o, 'url');
  if (url === undefined || fields.some((k) => n[k] === undefined)) return undefined;
  const errors: Record<string, number> = {};
  if (!isObject(o['errors'])) return undefined;
  for (const [k, v] of Object.entries(o['errors'])) {
    if (typeof v !== 'number') return undefined;
    errors[k] = v;
  }
  let longestGap: ProbeSummary['longestGap'];
  const g = o['longestGap'];
  if (g !== undefined && g !== null) {
    if (!isObject(g)) return undefined;
    const ms = num(g, 'ms');
    const from = num(g, 'from');
    const to = num(g, 'to');
    if (ms === undefined || from === undefined || to === undefined || typeof g['open'] !== 'boolean') return undefined;
    longestGap = { ms, from, to, open: g['open'] };
  }
  const rawOutages = o['outages'];
  const rawChanges = o['changes'];
  if (!Array.isArray(rawOutages) || !Array.isArray(rawChanges)) return undefined;
  const outages = rawOutages.map(parseOutage);
  const changes = rawChanges.map((c) => {
    const at = isObject(c) ? num(c, 'at') : undefined;
    const host = isObject(c) ? str(c, 'host') : undefined;
    return at === undefined || host === undefined ? undefined : { at, host };
  });
  if (outages.some((x) => x === undefined) || changes.some((x) => x === undefined)) return undefined;
  return {
    type: 'summary',
    url,
    intervalMs: n.intervalMs ?? 0,
    timeoutMs: n.timeoutMs ?? 0,
    startedAt: n.startedAt ?? 0,
    endedAt: n.endedAt ?? 0,
    total: n.total ?? 0,
    ok: n.ok ?? 0,
    failed: n.failed ?? 0,
    errors,
    longestGap,
    outages: outages.flatMap((x) => (x === undefined ? [] : [x])),
    changes: changes.flatMap((x) => (x === undefined ? [] : [x])),
  };
}

/** One output line of the probe, or undefined when it is not one of its events. */
export function parseProbeLine(line: string): ProbeEvent | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isObject(v)) return undefined;
  const at = num(v, 'at');
  switch (v['type']) {
    case 'start': {
      const url = str(v, 'url');
      const intervalMs = num(v, 'intervalMs');
      const timeoutMs = num(v, 'timeoutMs');
      return at === undefined || url === undefined || intervalMs === undefined || timeoutMs === undefined
        ? undefined
        : { type: 'start', at, url, intervalMs, timeoutMs };
    }
    case 'answer': {
      const host = str(v, 'host');
      return at === undefined || host === undefined ? undefined : { type: 'answer', at, host, previous: str(v, 'previous') };
    }
    case 'down': {
      const lastAnswerAt = num(v, 'lastAnswerAt');
      const error = str(v, 'error');
      return at === undefined || lastAnswerAt === undefined || error === undefined ? undefined : { type: 'down', at, lastAnswerAt, error };
    }
    case 'up': {
      const host = str(v, 'host');
      const gapMs = num(v, 'gapMs');
      const failed = num(v, 'failed');
      return at === undefined || host === undefined || gapMs === undefined || failed === undefined ? undefined : { type: 'up', at, host, gapMs, failed };
    }
    case 'summary':
      return parseSummary(v);
    default:
      return undefined;
  }
}

/** The summary in a finished probe's output (its last `summary` line). */
export function parseProbeSummary(lines: readonly string[]): Result<ProbeSummary, string> {
  for (let i = lines.length - 1; i >= 0; i--) {
    const e = parseProbeLine(lines[i] ?? '');
    if (e?.type === 'summary') return ok(e);
  }
  return err(`no summary line in the probe's output:\n${lines.slice(-5).join('\n')}`);
}

// ---------------------------------------------------------------------------------------------
// Phases of a run (one probe watches a whole test case; each step of it is a window in time)

export interface PhaseStats {
  /** Failed requests of the outages that ended (`up`) inside the window. */
  readonly failed: number;
  /** The longest of those outages: last answer before → first answer after, ms; 0 when none. */
  readonly longestGapMs: number;
  readonly outages: readonly ProbeUp[];
  /** Hosts that started answering (`answer` events) inside the window, in order. */
  readonly answers: readonly ProbeAnswer[];
}

/** What the client went through between from and to (Date.now() ms), from the live events. */
export function phaseStats(events: readonly ProbeEvent[], from: number, to = Number.POSITIVE_INFINITY): PhaseStats {
  const inside = (at: number): boolean => at >= from && at <= to;
  const outages = events.filter((e): e is ProbeUp => e.type === 'up' && inside(e.at));
  return {
    failed: outages.reduce((n, o) => n + o.failed, 0),
    longestGapMs: outages.reduce((m, o) => Math.max(m, o.gapMs), 0),
    outages,
    answers: events.filter((e): e is ProbeAnswer => e.type === 'answer' && inside(e.at)),
  };
}

// ---------------------------------------------------------------------------------------------
// Running the probe in a lab host

export interface HttpProbeOptions {
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
  /** Stop by itself after this long (default 0: until stop()). */
  readonly durationMs?: number;
  readonly startTimeoutMs?: number;
}

export interface HttpProbe {
  readonly process: TrackedProcess;
  /** Events so far. */
  events(): ProbeEvent[];
  /** Resolve with the first `answer` (change) event from host at or after sinceAt (Date.now() ms). */
  waitForAnswerFrom(host: string, opts: { timeoutMs: number; sinceAt?: number }): Promise<Result<ProbeAnswer, string>>;
  /** SIGTERM: the probe prints its summary and exits. */
  stop(timeoutMs?: number): Promise<Result<ProbeSummary, string>>;
}

export function httpProbeScript(): string {
  return join(repoRoot(), 'dist', 'lab', 'http-probe.js');
}

/** Start the compiled probe in a lab host; resolves once it has started requesting. */
export async function startHttpProbe(lab: Lab, host: string, url: string, opts: HttpProbeOptions = {}): Promise<Result<HttpProbe, string>> {
  const script = httpProbeScript();
  if (!existsSync(script)) return err(`${script} is missing: run npm run build first`);
  const argv = [process.execPath, script, url, String(opts.intervalMs ?? 50), String(opts.durationMs ?? 0), String(opts.timeoutMs ?? 200)];
  const proc = lab.spawn(host, argv);
  const started = await proc.waitForLine((l) => parseProbeLine(l)?.type === 'start', { timeoutMs: opts.startTimeoutMs ?? 5000, stream: 'stdout' });
  if (!started.ok) {
    await proc.stop(500);
    return err(`http probe in ${host}: ${started.error}`);
  }
  const events = (): ProbeEvent[] => proc.stdoutLines().flatMap((l) => parseProbeLine(l) ?? []);
  return ok({
    process: proc,
    events,
    waitForAnswerFrom: async (who, w) => {
      const r = await proc.waitForLine((l) => {
        const e = parseProbeLine(l);
        return e?.type === 'answer' && e.host === who && e.at >= (w.sinceAt ?? 0);
      }, { timeoutMs: w.timeoutMs, stream: 'stdout' });
      if (!r.ok) return err(r.error.replace('the awaited line', `an answer from ${who}`));
      const e = parseProbeLine(r.value);
      return e?.type === 'answer' ? ok(e) : err(`unexpected probe line ${r.value}`);
    },
    stop: async (timeoutMs = 3000) => {
      const exit = await proc.stop(timeoutMs);
      const s = parseProbeSummary(proc.stdoutLines());
      return s.ok || exit.code === 0 ? s : err(`probe exited ${exit.code ?? exit.signal}: ${s.ok ? '' : s.error}`);
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The probe itself

const MAX_BODY = 256;

function errorName(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    if (e.name === 'AbortError' || code === 'ABORT_ERR') return 'timeout';
    return code ?? e.message;
  }
  return String(e);
}

/** One GET on a fresh connection, abandoned after timeoutMs. Never rejects. */
function getOnce(url: URL, timeoutMs: number): Promise<ProbeSample> {
  const sentAt = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (host: string | undefined, error: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ sentAt, doneAt: Date.now(), host, error });
    };
    const req = request(url, { method: 'GET', agent: false, headers: { connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY) chunks.push(c);
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return finish(undefined, `HTTP ${res.statusCode ?? '?'}`);
        const body = Buffer.concat(chunks).toString('utf8').trim();
        finish(body === '' ? undefined : body, body === '' ? 'empty body' : undefined);
      });
      res.on('error', (e) => finish(undefined, errorName(e)));
    });
    const timer = setTimeout(() => {
      finish(undefined, 'timeout');
      req.destroy();
    }, timeoutMs);
    req.on('error', (e) => finish(undefined, errorName(e)));
    req.end();
  });
}

function usage(): never {
  process.stderr.write('usage: http-probe URL INTERVAL_MS [DURATION_MS [TIMEOUT_MS]]\n');
  process.exit(2);
}

async function main(args: readonly string[]): Promise<void> {
  const [rawUrl, rawInterval, rawDuration = '0', rawTimeout = '200'] = args;
  if (rawUrl === undefined || rawInterval === undefined) usage();
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    usage();
  }
  const intervalMs = Number(rawInterval);
  const durationMs = Number(rawDuration);
  const timeoutMs = Number(rawTimeout);
  if (url.protocol !== 'http:' || !(intervalMs >= 5) || !(durationMs >= 0) || !(timeoutMs >= 10)) usage();

  const emit = (e: ProbeEvent): void => {
    process.stdout.write(`${JSON.stringify(e)}\n`);
  };
  const startedAt = Date.now();
  const recorder = new ProbeRecorder(url.href, intervalMs, timeoutMs, startedAt);
  const inFlight = new Set<Promise<void>>();
  emit({ type: 'start', at: startedAt, url: url.href, intervalMs, timeoutMs });

  const tick = (): void => {
    const p = getOnce(url, timeoutMs).then((s) => {
      for (const e of recorder.add(s)) emit(e);
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  tick();
  const ticker = setInterval(tick, intervalMs);

  let finishing = false;
  const finish = async (): Promise<void> => {
    if (finishing) return;
    finishing = true;
    clearInterval(ticker);
    // Requests already sent finish within timeoutMs; their results belong to the summary.
    await Promise.all([...inFlight]);
    // Exit only once the line is handed to the pipe.
    process.stdout.write(`${JSON.stringify(recorder.summary(Date.now()))}\n`, () => process.exit(0));
  };
  process.on('SIGTERM', () => void finish());
  process.on('SIGINT', () => void finish());
  if (durationMs > 0) setTimeout(() => void finish(), durationMs);
}

const invoked = process.argv[1];
if (invoked !== undefined && import.meta.url === pathToFileURL(invoked).href) {
  void main(process.argv.slice(2));
}
