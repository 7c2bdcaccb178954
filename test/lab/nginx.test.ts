// Issue 4 item 7: the pair in front of nginx, as it is used. nginx runs on both nodes (each page
// names its node), a vrrp_script checks the node's own nginx, and a client requests the VIP every
// 50 ms throughout each case (lab/http-probe.ts), so what is measured is what a user of the site
// sees: when the answers move from node-a to node-b, and how many requests failed on the way.
//
//   (a) weight 0: nginx stopped on the master → A goes FAULT (priority 0 on the wire), B serves
//       within interval × fall + Skew_Time + 200 ms of the stop; nginx back → A preempts.
//   (b) weight -60 (150 → 90 < 100): B serves within interval × fall + Master_Down_Interval + 200 ms
//       (A stays MASTER at 90 and B waits out its timer); (c) nginx back → 150 again, A preempts.
//   (c) nopreempt on both (both `state BACKUP`, keepalived's rule): B takes over as in (a), and keeps
//       serving when A's nginx is back.
//   (d) A's link down → A FAULT, B serves within Master_Down_Interval + 200 ms (A cannot send
//       priority 0 on a dead link); link up → A preempts.
//
// Every case runs twice: against the real keepalived 2.2.7 on both nodes (the reference: it proves
// the harness and the bounds) and against vrrpd. Each case is its own lab, so the cases of a block
// run concurrently (the whole file stays well under 2 minutes) and one failing case cannot leave
// the next one a wrong state. Figures are printed before they are asserted, vrrpd's next to
// keepalived's.

import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  parseProbeLine,
  parseProbeSummary,
  phaseStats,
  ProbeRecorder,
  startHttpProbe,
  type HttpProbe,
  type PhaseStats,
  type ProbeEvent,
  type ProbeSample,
} from '../../lab/http-probe.js';
import { startKeepalived } from '../../lab/keepalived.js';
import { createLab, LAB_VIP, labAvailable, pairLabSpec, type Lab } from '../../lab/netns.js';
import { httpGetArgv, nginxArgv, NGINX_BINARY, renderNginxConfig, startNginx, writeNginxCheck, type Nginx } from '../../lab/nginx.js';
import { pidAlive, sleep, waitUntil } from '../../lab/process.js';
import { repoRoot, startVrrpd, type Vrrpd } from '../../lab/vrrpd.js';
import { A_IP, B_IP, unwrap } from '../helpers/lab.js';
import { describeUnless } from '../helpers/unmet.js';

const available = labAvailable();
const missing = [
  ...(available.ok ? [] : [available.reason]),
  ...(existsSync(NGINX_BINARY) ? [] : [`${NGINX_BINARY} not installed`]),
  ...(existsSync('/usr/sbin/keepalived') ? [] : ['keepalived not installed']),
];
const runnable = missing.length === 0;
const skipped = runnable ? '' : ` (skipped: ${missing.join('; ')})`;

// The pair's timers (RFC 3768 §6.1, advert_int 1) and the check's (vrrp_script interval 1, fall 2, rise 2).
const INTERVAL_MS = 1000;
const FALL = 2;
const RISE = 2;
/** B (priority 100): (256 − 100)/256 s, and 3 × advert_int + that. */
const SKEW_B_MS = 609.375;
const MASTER_DOWN_B_MS = 3609.375;
/** A (priority 150), which it waits out in BACKUP before preempting. */
const MASTER_DOWN_A_MS = 3414.0625;
/** How much later than the protocol's own times the client may see the change. */
const SLACK_MS = 200;
const BOUND_MS = {
  /** weight 0: fall failed checks, FAULT with priority 0, B waits Skew_Time. */
  fault: INTERVAL_MS * FALL + SKEW_B_MS + SLACK_MS,
  /** weight -60: fall failed checks, then B waits out Master_Down_Interval from A's last 150 advert. */
  weight: INTERVAL_MS * FALL + MASTER_DOWN_B_MS + SLACK_MS,
  /** nginx back: rise good checks, then A waits out its own Master_Down_Interval. */
  preempt: INTERVAL_MS * RISE + MASTER_DOWN_A_MS + SLACK_MS,
  /** link down: no priority 0 can leave A, B waits Master_Down_Interval from A's last advert. */
  link: MASTER_DOWN_B_MS + SLACK_MS,
  /** link up: A leaves FAULT for BACKUP, B's adverts are lower, A waits out Master_Down_Interval. */
  linkBack: MASTER_DOWN_A_MS + SLACK_MS,
} as const;
/** How long the nopreempt case watches B keep the VIP after A's nginx is back. */
const NOPREEMPT_WATCH_MS = INTERVAL_MS * RISE + MASTER_DOWN_A_MS + 1000;
const CASE_TIMEOUT_MS = 45_000;

// ---------------------------------------------------------------------------------------------
// Configs: test/fixtures/nginx/keepalived.conf.in, rendered per node and case

interface PairOptions {
  readonly weight: number;
  readonly nopreempt?: boolean;
}

function renderPairConfig(node: 'a' | 'b', checkScript: string, o: PairOptions): string {
  const template = readFileSync(join(repoRoot(), 'test', 'fixtures', 'nginx', 'keepalived.conf.in'), 'utf8');
  const values: Record<string, string> = {
    ROUTER_ID: node === 'a' ? 'NodeA' : 'NodeB',
    // nopreempt needs `state BACKUP` on both nodes: keepalived clears it with state MASTER.
    STATE: node === 'a' && !o.nopreempt ? 'MASTER' : 'BACKUP',
    PRIORITY: node === 'a' ? '150' : '100',
    NOPREEMPT: o.nopreempt ? 'nopreempt' : '',
    CHECK_SCRIPT: checkScript,
    WEIGHT: String(o.weight),
  };
  const text = template.replace(/@([A-Z_]+)@/g, (whole, name: string) => values[name] ?? whole);
  const left = /@[A-Z_]+@/.exec(text);
  if (left) throw new Error(`keepalived.conf.in: no value for ${left[0]}`);
  return text;
}

// ---------------------------------------------------------------------------------------------
// Either daemon on both nodes

type DaemonKind = 'keepalived' | 'vrrpd';
/** What this test needs of a daemon: lab/keepalived.ts and lab/vrrpd.ts both provide it. */
type Daemon = Pick<Vrrpd, 'host' | 'pid' | 'logLines' | 'logMark' | 'waitForLog' | 'waitForState' | 'stop'>;

async function startDaemon(kind: DaemonKind, lab: Lab, host: string, config: string): Promise<Daemon> {
  if (kind === 'keepalived') return unwrap(await startKeepalived(lab, host, config));
  return unwrap(await startVrrpd(lab, host, config));
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A whole log line, as keepalived writes it (both daemons' helpers strip the timestamp). */
const line = (text: string): RegExp => new RegExp(`^${esc(text)}$`);

interface Pair {
  readonly kind: DaemonKind;
  readonly label: string;
  readonly lab: Lab;
  readonly check: string;
  readonly a: Daemon;
  readonly b: Daemon;
  readonly nginx: { a: Nginx; b: Nginx };
  readonly probe: HttpProbe;
}

/**
 * A daemon's last log lines for a failure message, without the -D lines of each GARP (ten per
 * takeover, they would push everything else out), after any "not supported yet" warning it gave.
 */
function tail(d: Daemon, n = 12): string {
  const lines = d.logLines();
  const warnings = lines.filter((l) => /not supported yet/.test(l));
  const recent = lines.filter((l) => !/^Sending gratuitous ARP on /.test(l) && !warnings.includes(l)).slice(-n);
  return [...warnings, ...(warnings.length > 0 ? ['...'] : []), ...recent].map((l) => `    ${l}`).join('\n');
}

/**
 * Build a lab, start nginx on both nodes, the daemons (A first: it must time out first), wait
 * for A to be MASTER and the client to get node-a's page, run body, tear everything down.
 */
async function withPair(kind: DaemonKind, label: string, o: PairOptions, body: (p: Pair) => Promise<void>): Promise<void> {
  const lab = await createLab(pairLabSpec());
  let probe: HttpProbe | undefined;
  try {
    const check = writeNginxCheck(lab);
    const nginx = { a: unwrap(await startNginx(lab, 'a')), b: unwrap(await startNginx(lab, 'b')) };
    const a = await startDaemon(kind, lab, 'a', renderPairConfig('a', check, o));
    const b = await startDaemon(kind, lab, 'b', renderPairConfig('b', check, o));
    const master = await a.waitForState('VI_1', 'MASTER', { timeoutMs: 6000 });
    if (!master.ok) throw new Error(`[${kind}] ${label}: A never became MASTER:\n${master.error}`);
    probe = unwrap(await startHttpProbe(lab, 'client', `http://${LAB_VIP}/`, { intervalMs: 50, timeoutMs: 200 }));
    unwrap(await probe.waitForAnswerFrom('node-a', { timeoutMs: 3000 }));
    // A steady baseline: a few adverts, checks and answers before anything is broken.
    await sleep(1000);
    expect(await lab.hasAddress('b', LAB_VIP)).toBe(false);
    expect(b.logLines()).not.toContain('(VI_1) Entering MASTER STATE');
    // Both daemons took the check script as it is (root's, 0755, in a root-owned directory).
    for (const d of [a, b]) expect(d.logLines().filter((l) => /Unsafe permissions|disabling|not executable|Cannot find script/i.test(l))).toEqual([]);
    await body({ kind, label, lab, check, a, b, nginx, probe });
  } finally {
    if (probe !== undefined) {
      const s = await probe.stop();
      if (s.ok) {
        console.info(
          `[${kind}] ${label}: client ${s.value.total} requests, ${s.value.failed} failed, longest gap ${s.value.longestGap?.ms ?? 0} ms; ` +
            `answers: ${s.value.changes.map((c) => `${c.host}@+${c.at - s.value.startedAt}ms`).join(' → ')}`,
        );
      }
    }
    await lab.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Measuring and reporting one step of a case

interface StepFigures {
  readonly takeoverMs: number;
  readonly boundMs: number;
  readonly failed: number;
  readonly longestGapMs: number;
}

/** kind → "case / step" → what the client saw; the vrrpd block prints keepalived's next to its own. */
const figures: Record<DaemonKind, Map<string, string>> = { keepalived: new Map(), vrrpd: new Map() };
/** Every "case / step" in the order it was first reached (cases run concurrently: sorted by case later). */
const stepOrder: string[] = [];

const describeFigures = (f: StepFigures): string =>
  `${f.takeoverMs} ms (bound ${f.boundMs.toFixed(0)}), ${f.failed} failed requests, longest gap ${f.longestGapMs} ms`;

/** Record and print one step's outcome, next to keepalived's when this is vrrpd. */
function record(p: Pair, what: string, outcome: string): void {
  const key = `${p.label} / ${what}`;
  figures[p.kind].set(key, outcome);
  if (!stepOrder.includes(key)) stepOrder.push(key);
  const reference = p.kind === 'vrrpd' ? `   | keepalived: ${figures.keepalived.get(key) ?? 'not run'}` : '';
  console.info(`[${p.kind}] ${key}: ${outcome}${reference}`);
}

/**
 * Wait until the client gets answers from `host` after `since` (a bit longer than the bound, so a
 * late takeover is measured and reported rather than timed out), record and print the step.
 */
async function step(p: Pair, what: string, host: string, since: number, boundMs: number): Promise<StepFigures> {
  const r = await p.probe.waitForAnswerFrom(host, { sinceAt: since, timeoutMs: boundMs + 3000 });
  if (!r.ok) {
    const last = p.probe.events().filter((e) => e.type === 'answer').at(-1);
    const waited = `${(boundMs + 3000).toFixed(0)} ms (bound ${boundMs.toFixed(0)})`;
    record(p, what, `FAILED: no answer from ${host} within ${waited}`);
    throw new Error(
      `[${p.kind}] ${p.label} / ${what}: the client got no answer from ${host} within ${waited} ` +
        `(still ${last?.type === 'answer' ? last.host : 'nobody'}).\n  A's log, last lines:\n${tail(p.a)}\n  B's log, last lines:\n${tail(p.b)}`,
    );
  }
  // Let the answers settle, so the outage that just ended is complete in the events.
  await sleep(100);
  const stats: PhaseStats = phaseStats(p.probe.events(), since, r.value.at + 100);
  const f: StepFigures = { takeoverMs: r.value.at - since, boundMs, failed: stats.failed, longestGapMs: stats.longestGapMs };
  record(p, what, `${host} answers after ${describeFigures(f)}`);
  return f;
}

async function expectLog(d: Daemon, text: string | RegExp, since: number, timeoutMs = 3000): Promise<void> {
  const r = await d.waitForLog(typeof text === 'string' ? line(text) : text, { timeoutMs, since });
  if (!r.ok) throw new Error(`${d.host}: no log line ${String(text)} within ${timeoutMs} ms. Last lines:\n${tail(d)}`);
}

const newLines = (d: Daemon, since: number): string[] => d.logLines().slice(since);

// ---------------------------------------------------------------------------------------------
// The cases, for either daemon

function defineCases(kind: DaemonKind): void {
  it('(a) weight 0: nginx stopped on A → A FAULT (priority 0), B serves within interval × fall + Skew_Time + 200 ms; nginx back → A preempts', async () => {
    await withPair(kind, '(a) weight 0', { weight: 0 }, async (p) => {
      const [aMark, bMark] = [p.a.logMark(), p.b.logMark()];
      const stoppedAt = Date.now();
      expect(await p.nginx.a.stop()).toEqual({ code: 0, signal: null });
      const f = await step(p, 'nginx stopped on A', 'node-b', stoppedAt, BOUND_MS.fault);
      await expectLog(p.a, 'VRRP_Script(chk_nginx) failed (exited with status 1)', aMark);
      await expectLog(p.a, '(VI_1) Entering FAULT STATE', aMark);
      await expectLog(p.a, '(VI_1) sent 0 priority', aMark);
      await expectLog(p.b, '(VI_1) Backup received priority 0 advertisement', bMark);
      await expectLog(p.b, '(VI_1) Entering MASTER STATE', bMark);
      expect(f.takeoverMs).toBeLessThanOrEqual(BOUND_MS.fault);
      expect(await p.lab.hasAddress('a', LAB_VIP)).toBe(false);
      expect(await p.lab.hasAddress('b', LAB_VIP)).toBe(true);

      const [aMark2, bMark2] = [p.a.logMark(), p.b.logMark()];
      const startedAt = Date.now();
      p.nginx.a = unwrap(await startNginx(p.lab, 'a'));
      const back = await step(p, 'nginx back on A', 'node-a', startedAt, BOUND_MS.preempt);
      await expectLog(p.a, 'VRRP_Script(chk_nginx) succeeded', aMark2);
      await expectLog(p.a, '(VI_1) Entering MASTER STATE', aMark2);
      await expectLog(p.b, `(VI_1) Master received advert from ${A_IP} with higher priority 150, ours 100`, bMark2);
      await expectLog(p.b, '(VI_1) Entering BACKUP STATE', bMark2);
      expect(back.takeoverMs).toBeLessThanOrEqual(BOUND_MS.preempt);
      expect(await p.lab.hasAddress('a', LAB_VIP)).toBe(true);
      expect(await p.lab.hasAddress('b', LAB_VIP)).toBe(false);
    });
  }, CASE_TIMEOUT_MS);

  it('(b) weight -60: nginx stopped on A → priority 150 → 90, B serves within interval × fall + Master_Down_Interval + 200 ms; (c) nginx back → 90 → 150, A preempts', async () => {
    await withPair(kind, '(b) weight -60', { weight: -60 }, async (p) => {
      const [aMark, bMark] = [p.a.logMark(), p.b.logMark()];
      const stoppedAt = Date.now();
      expect(await p.nginx.a.stop()).toEqual({ code: 0, signal: null });
      const f = await step(p, 'nginx stopped on A', 'node-b', stoppedAt, BOUND_MS.weight);
      await expectLog(p.a, 'VRRP_Script(chk_nginx) failed (exited with status 1)', aMark);
      await expectLog(p.a, '(VI_1) Changing effective priority from 150 to 90', aMark);
      await expectLog(p.b, `(VI_1) received lower priority (90) advert from ${A_IP} - discarding`, bMark);
      await expectLog(p.b, '(VI_1) Entering MASTER STATE', bMark);
      await expectLog(p.a, `(VI_1) Master received advert from ${B_IP} with higher priority 100, ours 90`, aMark);
      await expectLog(p.a, '(VI_1) Entering BACKUP STATE', aMark);
      // A lowered its priority and yielded: it never went FAULT and never sent priority 0.
      expect(newLines(p.a, aMark)).not.toContain('(VI_1) Entering FAULT STATE');
      expect(newLines(p.a, aMark)).not.toContain('(VI_1) sent 0 priority');
      expect(f.takeoverMs).toBeLessThanOrEqual(BOUND_MS.weight);
      expect(await p.lab.hasAddress('a', LAB_VIP)).toBe(false);
      expect(await p.lab.hasAddress('b', LAB_VIP)).toBe(true);

      const [aMark2, bMark2] = [p.a.logMark(), p.b.logMark()];
      const startedAt = Date.now();
      p.nginx.a = unwrap(await startNginx(p.lab, 'a'));
      const back = await step(p, 'nginx back on A', 'node-a', startedAt, BOUND_MS.preempt);
      await expectLog(p.a, 'VRRP_Script(chk_nginx) succeeded', aMark2);
      await expectLog(p.a, '(VI_1) Changing effective priority from 90 to 150', aMark2);
      await expectLog(p.a, '(VI_1) Entering MASTER STATE', aMark2);
      await expectLog(p.b, `(VI_1) Master received advert from ${A_IP} with higher priority 150, ours 100`, bMark2);
      await expectLog(p.b, '(VI_1) Entering BACKUP STATE', bMark2);
      expect(back.takeoverMs).toBeLessThanOrEqual(BOUND_MS.preempt);
      expect(await p.lab.hasAddress('a', LAB_VIP)).toBe(true);
      expect(await p.lab.hasAddress('b', LAB_VIP)).toBe(false);
    });
  }, CASE_TIMEOUT_MS);

  it('(c) nopreempt on both (both state BACKUP): B takes over when A\'s nginx stops and keeps serving when it is back', async () => {
    await withPair(kind, '(c) nopreempt', { weight: 0, nopreempt: true }, async (p) => {
      const [aMark, bMark] = [p.a.logMark(), p.b.logMark()];
      const stoppedAt = Date.now();
      expect(await p.nginx.a.stop()).toEqual({ code: 0, signal: null });
      const f = await step(p, 'nginx stopped on A', 'node-b', stoppedAt, BOUND_MS.fault);
      await expectLog(p.a, 'VRRP_Script(chk_nginx) failed (exited with status 1)', aMark);
      await expectLog(p.a, '(VI_1) Entering FAULT STATE', aMark);
      await expectLog(p.b, '(VI_1) Entering MASTER STATE', bMark);
      expect(f.takeoverMs).toBeLessThanOrEqual(BOUND_MS.fault);

      const [aMark2, bMark2] = [p.a.logMark(), p.b.logMark()];
      const startedAt = Date.now();
      p.nginx.a = unwrap(await startNginx(p.lab, 'a'));
      await expectLog(p.a, 'VRRP_Script(chk_nginx) succeeded', aMark2, INTERVAL_MS * (RISE + 1) + 1000);
      // Out of FAULT, A is a healthy higher-priority BACKUP: without nopreempt it would take the VIP
      // one Master_Down_Interval later. Watch past that.
      await expectLog(p.a, '(VI_1) Entering BACKUP STATE', aMark2);
      const watchUntil = startedAt + NOPREEMPT_WATCH_MS;
      await sleep(Math.max(0, watchUntil - Date.now()));
      const moved: ProbeEvent[] = p.probe.events().filter((e) => (e.type === 'answer' || e.type === 'down') && e.at >= startedAt);
      const seen = moved.length === 0 ? 'node-b kept answering, no failed request' : JSON.stringify(moved);
      record(p, 'nginx back on A', `watched ${NOPREEMPT_WATCH_MS.toFixed(0)} ms: ${seen}`);
      expect(moved).toEqual([]);
      expect(newLines(p.a, aMark2)).not.toContain('(VI_1) Entering MASTER STATE');
      expect(newLines(p.b, bMark2)).not.toContain('(VI_1) Entering BACKUP STATE');
      expect(await p.lab.hasAddress('b', LAB_VIP)).toBe(true);
      expect(await p.lab.hasAddress('a', LAB_VIP)).toBe(false);
    });
  }, CASE_TIMEOUT_MS);

  it('(d) link down on A → A FAULT, B serves within Master_Down_Interval + 200 ms; link up → A preempts', async () => {
    await withPair(kind, '(d) link down', { weight: -60 }, async (p) => {
      const [aMark, bMark] = [p.a.logMark(), p.b.logMark()];
      const downAt = Date.now();
      await p.lab.setLink('a', 'down');
      const f = await step(p, 'link down on A', 'node-b', downAt, BOUND_MS.link);
      await expectLog(p.a, 'Netlink reports eth0 down', aMark);
      await expectLog(p.a, '(VI_1) Entering FAULT STATE', aMark);
      await expectLog(p.b, '(VI_1) Entering MASTER STATE', bMark);
      // Nothing leaves a downed link: B timed out, it heard no priority 0.
      expect(newLines(p.b, bMark)).not.toContain('(VI_1) Backup received priority 0 advertisement');
      expect(f.takeoverMs).toBeLessThanOrEqual(BOUND_MS.link);
      expect(await p.lab.hasAddress('b', LAB_VIP)).toBe(true);
      // A in FAULT drops the VIP (it cannot serve it anyway).
      expect(await p.lab.hasAddress('a', LAB_VIP)).toBe(false);

      const [aMark2, bMark2] = [p.a.logMark(), p.b.logMark()];
      const upAt = Date.now();
      await p.lab.setLink('a', 'up');
      const back = await step(p, 'link up on A', 'node-a', upAt, BOUND_MS.linkBack);
      await expectLog(p.a, 'Netlink reports eth0 up', aMark2);
      await expectLog(p.a, '(VI_1) Entering MASTER STATE', aMark2);
      await expectLog(p.b, '(VI_1) Entering BACKUP STATE', bMark2);
      expect(back.takeoverMs).toBeLessThanOrEqual(BOUND_MS.linkBack);
      expect(await p.lab.hasAddress('a', LAB_VIP)).toBe(true);
      expect(await p.lab.hasAddress('b', LAB_VIP)).toBe(false);
    });
  }, CASE_TIMEOUT_MS);
}

// ---------------------------------------------------------------------------------------------
// The probe's bookkeeping (no root needed)

describe('http-probe bookkeeping', () => {
  const sample = (sentAt: number, doneAt: number, host?: string, error?: string): ProbeSample => ({
    sentAt,
    doneAt,
    host,
    error: host ? undefined : (error ?? 'ECONNREFUSED'),
  });

  it('reports who answers, outages and the longest gap; stragglers that time out behind an answer open no outage', () => {
    const r = new ProbeRecorder('http://192.0.2.200/', 50, 200, 1000);
    const events = [
      ...r.add(sample(1000, 1002, 'node-a')),
      ...r.add(sample(1050, 1052, 'node-a')),
      // a straggler: sent before the next answer, timed out after it
      ...r.add(sample(1100, 1101, 'node-a')),
      ...r.add(sample(1090, 1290, undefined, 'timeout')),
      ...r.add(sample(1150, 1151, undefined)),
      ...r.add(sample(1200, 1201, undefined)),
      ...r.add(sample(1250, 1252, 'node-b')),
      ...r.add(sample(1300, 1301, 'node-b')),
      ...r.add(sample(1350, 1351, undefined)),
    ];
    expect(events).toEqual([
      { type: 'answer', at: 1002, host: 'node-a', previous: undefined },
      { type: 'down', at: 1150, lastAnswerAt: 1101, error: 'ECONNREFUSED' },
      { type: 'up', at: 1252, host: 'node-b', gapMs: 151, failed: 2 },
      { type: 'answer', at: 1252, host: 'node-b', previous: 'node-a' },
      { type: 'down', at: 1350, lastAnswerAt: 1301, error: 'ECONNREFUSED' },
    ]);
    const s = r.summary(1500);
    expect(s).toMatchObject({ total: 9, ok: 5, failed: 4, errors: { timeout: 1, ECONNREFUSED: 3 } });
    // The open outage at the end is the longest gap: 1301 → 1500.
    expect(s.longestGap).toEqual({ ms: 199, from: 1301, to: 1500, open: true });
    expect(s.outages).toEqual([
      { from: 1101, to: 1252, ms: 151, failed: 2, open: false, before: 'node-a', after: 'node-b' },
      { from: 1301, to: 1500, ms: 199, failed: 1, open: true, before: 'node-b', after: undefined },
    ]);
    expect(s.changes).toEqual([{ at: 1002, host: 'node-a' }, { at: 1252, host: 'node-b' }]);
    // What the probe prints round-trips through the parser.
    const lines = [...events, s].map((e) => JSON.stringify(e));
    expect(lines.map((l) => parseProbeLine(l))).toEqual([...events, s].map((e) => JSON.parse(JSON.stringify(e)) as unknown));
    expect(unwrap(parseProbeSummary(['noise', ...lines]))).toEqual(JSON.parse(JSON.stringify(s)) as unknown);
    expect(parseProbeSummary(lines.slice(0, -1)).ok).toBe(false);
    expect(parseProbeLine('{"type":"summary","url":"x"}')).toBeUndefined();
    const phase = phaseStats(events, 1100, 1260);
    expect(phase).toMatchObject({ failed: 2, longestGapMs: 151 });
    expect(phase.answers.map((a) => a.host)).toEqual(['node-b']);
  });

  it('a probe that never got an answer has no longest gap and one open outage', () => {
    const r = new ProbeRecorder('http://192.0.2.200/', 50, 200, 0);
    r.add(sample(0, 200, undefined, 'timeout'));
    const s = r.summary(300);
    expect(s.longestGap).toBeUndefined();
    expect(s.outages).toEqual([{ from: 0, to: 300, ms: 300, failed: 1, open: true, before: undefined, after: undefined }]);
  });
});

// ---------------------------------------------------------------------------------------------
// The harness: nginx stays in its namespace and its directory, the check sees only its own nginx

const CHANGING_CALLS =
  /^(mkdir|mkdirat|unlink|unlinkat|rmdir|rename|renameat2?|link|linkat|symlink|symlinkat|chown|fchownat|lchown|chmod|fchmodat|truncate|mknod|mknodat|utimensat)$/;

/** Paths a traced process changed: opened for writing, created, removed, renamed, chowned, chmodded. */
function pathsWritten(trace: string): string[] {
  const out: string[] = [];
  for (const l of trace.split('\n')) {
    const m = /^(?:\d+\s+)?(\w+)\((.*)\)\s+=\s+(-?\d+)/.exec(l);
    if (!m || Number(m[3]) < 0) continue;
    const [, call = '', args = ''] = m;
    const paths = [...args.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1] ?? '');
    const writes = /^open(at)?$/.test(call)
      ? /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC/.test(args)
      : CHANGING_CALLS.test(call);
    if (writes) out.push(...paths.filter((x) => x.startsWith('/')));
  }
  return out;
}

describeUnless(!runnable)(`nginx in the lab${skipped}`, () => {
  it('writes nothing outside its own directory (strace: every open for writing, mkdir, unlink, chown…)', async () => {
    const lab = await createLab(pairLabSpec());
    const dir = mkdtempSync(join(tmpdir(), `${lab.id}-ngx-strace-`));
    lab.onDestroy(() => rmSync(dir, { recursive: true, force: true }), () => rmSync(dir, { recursive: true, force: true }));
    try {
      writeFileSync(join(dir, 'nginx.conf'), renderNginxConfig(dir, 'node-a'));
      // -ff: one file per process, so no call is split into "<unfinished ...>" / "<... resumed>" lines.
      const traceDir = join(dir, 'trace');
      mkdirSync(traceDir);
      const traced = lab.spawn('a', ['strace', '-ff', '-qq', '-o', join(traceDir, 'nginx'), '-e', 'trace=%file,%desc', ...nginxArgv(dir)]);
      const pidFile = join(dir, 'nginx.pid');
      expect(await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', { timeoutMs: 5000 })).toBe(true);
      const page = await lab.exec('client', httpGetArgv(A_IP), { timeoutMs: 3000 });
      expect(page.stdout).toBe('node-a\n');
      // The master is strace's child: ours, signalled by the PID its own pidfile gives.
      const master = Number(readFileSync(pidFile, 'utf8').trim());
      expect(master).toBeGreaterThan(1);
      process.kill(master, 'SIGQUIT');
      await Promise.race([traced.exited, sleep(5000)]);
      expect(traced.running()).toBe(false);
      const traces = readdirSync(traceDir);
      expect(traces.length).toBeGreaterThanOrEqual(2); // the master and its worker
      const written = traces.flatMap((f) => pathsWritten(readFileSync(join(traceDir, f), 'utf8')));
      console.info(`nginx (under strace) changed: ${[...new Set(written)].join(', ')}`);
      expect(written.length).toBeGreaterThan(5);
      expect(written.filter((p) => !p.startsWith(`${dir}/`))).toEqual([]);
      expect(written).toContain(join(dir, 'nginx.pid'));
      expect(written).toContain(join(dir, 'access.log'));
    } finally {
      await lab.destroy();
    }
  }, 20_000);

  it('each page names its node; the check script is root\'s, 0755, fast, and sees only its own namespace\'s nginx', async () => {
    const lab = await createLab(pairLabSpec());
    try {
      const check = writeNginxCheck(lab);
      for (const path of [check, dirname(check)]) {
        const st = lstatSync(path);
        expect({ path, uid: st.uid, mode: (st.mode & 0o7777).toString(8) }).toEqual({ path, uid: 0, mode: '755' });
      }
      expect(statSync(dirname(dirname(check))).uid).toBe(0);
      const a = unwrap(await startNginx(lab, 'a'));
      const b = unwrap(await startNginx(lab, 'b'));
      expect(a.workerPids().length).toBe(1);
      for (const [host, ip] of [['node-a', A_IP], ['node-b', B_IP]] as const) {
        const r = await lab.exec('client', httpGetArgv(ip), { timeoutMs: 3000 });
        expect(r.stdout).toBe(`${host}\n`);
      }
      // The probe as the cases run it, here for a fixed duration against one node.
      const probe = unwrap(await startHttpProbe(lab, 'client', `http://${A_IP}/`, { intervalMs: 50, durationMs: 500 }));
      await Promise.race([probe.process.exited, sleep(3000)]);
      const summary = unwrap(parseProbeSummary(probe.process.stdoutLines()));
      expect(summary).toMatchObject({ url: `http://${A_IP}/`, intervalMs: 50, timeoutMs: 200, failed: 0, outages: [] });
      expect(summary.total).toBeGreaterThanOrEqual(8);
      expect(summary.ok).toBe(summary.total);
      expect(summary.changes.map((c) => c.host)).toEqual(['node-a']);
      expect(summary.longestGap?.ms).toBeLessThan(150);
      // nginx logged every one of those requests in its own directory.
      expect(readFileSync(join(a.dir, 'access.log'), 'utf8').split('\n').filter((l) => l.includes('"GET / HTTP/1.1"')).length).toBe(summary.total);

      const runCheck = async (host: string): Promise<{ code: number | null; ms: number }> => {
        const t = performance.now();
        const r = await lab.exec(host, [check], { timeoutMs: 3000 });
        return { code: r.code, ms: performance.now() - t };
      };
      const timings: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await runCheck('a');
        expect(r.code).toBe(0);
        timings.push(r.ms);
      }
      // The client has no nginx: the check fails there even though two nginx run on the machine.
      expect((await runCheck('client')).code).toBe(1);
      const workers = a.workerPids();
      expect(await a.stop()).toEqual({ code: 0, signal: null });
      expect(workers.every((w) => !pidAlive(w))).toBe(true);
      const down = await runCheck('a');
      expect(down.code).toBe(1);
      expect((await runCheck('b')).code).toBe(0);
      // kill(): master and worker gone at once, no graceful anything.
      const bWorkers = b.workerPids();
      expect((await b.kill()).signal).toBe('SIGKILL');
      expect(bWorkers.every((w) => !pidAlive(w))).toBe(true);
      expect((await runCheck('b')).code).toBe(1);
      // Each run includes `ip netns exec` and the bounded re-exec under timeout(1).
      console.info(`check script: ${timings.map((t) => t.toFixed(1)).join(', ')} ms (ok); ${down.ms.toFixed(1)} ms (nginx down)`);
      expect(Math.min(...timings)).toBeLessThan(50);
      expect(down.ms).toBeLessThan(50);
    } finally {
      await lab.destroy();
    }
  }, 20_000);
});

// ---------------------------------------------------------------------------------------------
// The pair: keepalived (the reference), then vrrpd

describeUnless(!runnable).concurrent(`keepalived 2.2.7 on both nodes (the reference for vrrpd's figures)${skipped}`, () => {
  defineCases('keepalived');
});

describeUnless(!runnable).concurrent(`vrrpd on both nodes${skipped}`, () => {
  defineCases('vrrpd');
  afterAll(() => {
    const caseOf = (k: string): string => k.split(' / ')[0] ?? k;
    const keys = [...stepOrder].sort((x, y) => caseOf(x).localeCompare(caseOf(y)) || stepOrder.indexOf(x) - stepOrder.indexOf(y));
    const rows = keys.map(
      (k) => `  ${k}\n    keepalived: ${figures.keepalived.get(k) ?? 'not run'}\n    vrrpd:      ${figures.vrrpd.get(k) ?? 'not reached'}`,
    );
    console.info(`nginx pair, client-side figures (takeover = the change seen by the client, from the moment the fault was made):\n${rows.join('\n')}`);
  });
});

