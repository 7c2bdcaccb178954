// keepalived's dump signals against a running vrrpd pair (etc/node-a.conf MASTER, node-b.conf
// BACKUP): SIGUSR1 (data), SIGUSR2 (stats), 63 = SIGRTMIN+29 (STATS_CLEAR) and 36 = SIGRTMIN+2
// (JSON) sent to each daemon's PID. The files land in the daemon's TMPDIR, mode 0600, with the
// node's own state; the daemon is still running and A still MASTER after every one (a realtime
// signal's default action would have killed it); the counters are zero after 63; a TMPDIR that
// cannot be written is logged and the daemon runs on.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLab, LAB_VIP, labAvailable, pairLabSpec, type Lab } from '../../lab/netns.js';
import { pidAlive, sleep } from '../../lab/process.js';
import { repoRoot, startVrrpd, type Vrrpd } from '../../lab/vrrpd.js';
import { unwrap } from '../helpers/lab.js';
import { describeUnless } from '../helpers/unmet.js';

const available = labAvailable();
const config = (name: string): string => readFileSync(join(repoRoot(), 'etc', name), 'utf8');
/** glibc's SIGRTMIN is 34 (the addon reads it from libc; keepalived's --signum prints these). */
const JSON_SIGNAL = 36;
const STATS_CLEAR_SIGNAL = 63;

/** Signal the daemon's PID (numbers too: Node has no names for the realtime ones). */
function send(d: Vrrpd, signal: NodeJS.Signals | number): void {
  process.kill(d.pid, signal);
}

/** The file's inode now (0 = none): every dump is a new file renamed into place. */
function inode(d: Vrrpd, file: string): number {
  const path = join(d.dir, file);
  return existsSync(path) ? statSync(path).ino : 0;
}

/** The file's contents once the daemon has replaced the one with inode `before` (its log line first). */
async function dumped(d: Vrrpd, file: string, logLine: RegExp, since: number, before: number): Promise<{ text: string; mode: number }> {
  unwrap(await d.waitForLog(logLine, { timeoutMs: 3000, since }));
  // keepalived logs the line as the signal arrives, then writes; so do we.
  for (let i = 0; i < 100 && inode(d, file) === before; i++) await sleep(10);
  expect(inode(d, file)).not.toBe(before);
  const path = join(d.dir, file);
  return { text: readFileSync(path, 'utf8'), mode: statSync(path).mode & 0o777 };
}

const statsValue = (text: string, label: RegExp): number[] => [...text.matchAll(label)].map((m) => Number(m[1]));

describeUnless(!available.ok)(`dump signals on a running pair${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
  let lab: Lab;
  let a: Vrrpd;
  let b: Vrrpd;

  /** Still running, still where it was: A MASTER with the VIP, B BACKUP without. */
  async function expectUndisturbed(): Promise<void> {
    expect(pidAlive(a.pid)).toBe(true);
    expect(pidAlive(b.pid)).toBe(true);
    expect(await lab.hasAddress('a', LAB_VIP)).toBe(true);
    expect(await lab.hasAddress('b', LAB_VIP)).toBe(false);
    expect(a.logLines().filter((l) => /Entering (BACKUP|FAULT) STATE$|^Stopping/.test(l))).toEqual([]);
    expect(b.logLines().filter((l) => /Entering (MASTER|FAULT) STATE|^Stopping/.test(l))).toEqual([]);
  }

  beforeAll(async () => {
    lab = await createLab(pairLabSpec());
    a = unwrap(await startVrrpd(lab, 'a', config('node-a.conf')));
    b = unwrap(await startVrrpd(lab, 'b', config('node-b.conf')));
    unwrap(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 6000 }));
    unwrap(await b.waitForLog(/^\(VI_1\) Entering BACKUP STATE/, { timeoutMs: 3000 }));
    // A few adverts, so the counters have something to show.
    await sleep(2200);
  }, 20_000);

  afterAll(async () => {
    await lab?.destroy();
  }, 20_000);

  it('SIGUSR1: vrrpd.data in keepalived.data\'s layout, 0600, each node its own state', async () => {
    const since = [a.logMark(), b.logMark()] as const;
    const ino = [inode(a, 'vrrpd.data'), inode(b, 'vrrpd.data')] as const;
    send(a, 'SIGUSR1');
    send(b, 'SIGUSR1');
    const line = /^Printing VRRP data for process\(\d+\) on signal$/;
    const da = await dumped(a, 'vrrpd.data', line, since[0], ino[0]);
    const db = await dumped(b, 'vrrpd.data', line, since[1], ino[1]);
    for (const d of [da, db]) {
      expect(d.mode).toBe(0o600);
      expect(d.text.split('\n')[0]).toBe('------< Global definitions >------');
      expect(d.text).toContain('------< VRRP Topology >------\n VRRP Instance = VI_1\n');
      expect(d.text).toContain('   Password = 1111\n');
    }
    expect(da.text).toContain('   State = MASTER\n');
    expect(da.text).toContain('     192.0.2.200 dev eth0 scope global set\n');
    expect(db.text).toContain('   State = BACKUP\n   Master router = 192.0.2.11\n   Master priority = 150\n');
    expect(db.text).toContain('   Effective priority = 100\n');
    await expectUndisturbed();
  });

  it('SIGUSR2: vrrpd.stats with keepalived\'s counters, 0600', async () => {
    const since = [a.logMark(), b.logMark()] as const;
    const ino = [inode(a, 'vrrpd.stats'), inode(b, 'vrrpd.stats')] as const;
    send(a, 'SIGUSR2');
    send(b, 'SIGUSR2');
    const line = /^Printing VRRP stats for process\(\d+\) on signal$/;
    const sa = await dumped(a, 'vrrpd.stats', line, since[0], ino[0]);
    const sb = await dumped(b, 'vrrpd.stats', line, since[1], ino[1]);
    expect([sa.mode, sb.mode]).toEqual([0o600, 0o600]);
    expect(sa.text).toMatch(/^VRRP Instance: VI_1\n {2}Advertisements:\n {4}Received: 0\n {4}Sent: [1-9]\d*\n {2}Became master: 1\n/);
    expect(sb.text).toMatch(/^VRRP Instance: VI_1\n {2}Advertisements:\n {4}Received: [1-9]\d*\n {4}Sent: 0\n {2}Became master: 0\n/);
    await expectUndisturbed();
  });

  it('36 (JSON): vrrpd.json in keepalived\'s JSON format, 0600, and the daemon lives on', async () => {
    const since = [a.logMark(), b.logMark()] as const;
    const ino = [inode(a, 'vrrpd.json'), inode(b, 'vrrpd.json')] as const;
    send(a, JSON_SIGNAL);
    send(b, JSON_SIGNAL);
    const line = /^Printing VRRP as json for process\(\d+\) on signal$/;
    const ja = await dumped(a, 'vrrpd.json', line, since[0], ino[0]);
    const jb = await dumped(b, 'vrrpd.json', line, since[1], ino[1]);
    expect([ja.mode, jb.mode]).toEqual([0o600, 0o600]);
    const [ea] = JSON.parse(ja.text) as { data: Record<string, unknown>; stats: Record<string, number> }[];
    const [eb] = JSON.parse(jb.text) as { data: Record<string, unknown>; stats: Record<string, number> }[];
    expect(ea?.data).toMatchObject({ iname: 'VI_1', state: 2, wantstate: 2, vrid: 51, effective_priority: 150, vipset: true, vips: ['192.0.2.200 dev eth0 scope global set'], auth_data: '1111' });
    expect(eb?.data).toMatchObject({ iname: 'VI_1', state: 1, master_priority: 150, effective_priority: 100, vipset: false, vips: ['192.0.2.200 dev eth0 scope global'] });
    // Every field of keepalived's own file for this pair, with the same JSON type.
    const typesOf = (o: Record<string, unknown> | undefined): Record<string, string> => Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [k, Array.isArray(v) ? 'array' : typeof v]));
    const [ka] = JSON.parse(readFileSync(join(repoRoot(), 'test/fixtures/captures/dumps/keepalived.json'), 'utf8')) as { data: Record<string, unknown>; stats: Record<string, number> }[];
    for (const e of [ea, eb]) {
      expect(typesOf(e?.data)).toMatchObject(typesOf(ka?.data));
      expect(typesOf(e?.stats)).toEqual(typesOf(ka?.stats));
    }
    expect(ea?.stats['advert_sent']).toBeGreaterThan(0);
    expect(eb?.stats['advert_rcvd']).toBeGreaterThan(0);
    await expectUndisturbed();
  });

  it('63 (STATS_CLEAR): the counters as they were, then zero; the daemon lives on', async () => {
    const since = a.logMark();
    const ino = inode(a, 'vrrpd.stats');
    send(a, STATS_CLEAR_SIGNAL);
    const before = await dumped(a, 'vrrpd.stats', /^Printing and clearing VRRP stats for process\(\d+\) on signal$/, since, ino);
    expect(before.mode).toBe(0o600);
    expect(statsValue(before.text, /^ {2}Became master: (\d+)$/gm)).toEqual([1]);
    expect(statsValue(before.text, /^ {4}Sent: (\d+)$/gm)[0]).toBeGreaterThan(1);
    const after = a.logMark();
    const ino2 = inode(a, 'vrrpd.stats');
    send(a, 'SIGUSR2');
    const cleared = await dumped(a, 'vrrpd.stats', /^Printing VRRP stats for process\(\d+\) on signal$/, after, ino2);
    expect(statsValue(cleared.text, /^ {2}Became master: (\d+)$/gm)).toEqual([0]);
    // A MASTER sends one advert a second: one may have left between the two signals.
    expect(statsValue(cleared.text, /^ {4}Sent: (\d+)$/gm)[0]).toBeLessThanOrEqual(1);
    await sleep(1200);
    await expectUndisturbed();
  });

  it('an unwritable TMPDIR is logged and the daemon runs on', async () => {
    unwrap(await b.stop().then((e) => (e.code === 0 ? { ok: true as const, value: e } : { ok: false as const, error: `exit ${JSON.stringify(e)}` })));
    const missing = join(a.dir, 'no-such-dir');
    b = unwrap(await startVrrpd(lab, 'b', config('node-b.conf'), { env: { TMPDIR: missing } }));
    unwrap(await b.waitForLog(/^\(VI_1\) Entering BACKUP STATE/, { timeoutMs: 3000 }));
    const since = b.logMark();
    send(b, 'SIGUSR1');
    send(b, JSON_SIGNAL);
    const err = unwrap(await b.waitForLog(new RegExp(`^Can't open ${missing}/vrrpd\\.(data|json) \\(`), { timeoutMs: 3000, since }));
    expect(err).toContain('ENOENT');
    await sleep(300);
    expect(pidAlive(b.pid)).toBe(true);
    expect(existsSync(missing)).toBe(false);
    expect(await lab.hasAddress('a', LAB_VIP)).toBe(true);
  });
});
