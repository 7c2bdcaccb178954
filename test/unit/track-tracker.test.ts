// The tracker as a whole, on a virtual clock with fake links, processes and files: outcomes per
// instance, onChange only on a change, one run per script however many instances track it, sync
// groups, dont_track_primary, lost netlink events, status, stop.
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { formatDiagnostic } from '../../src/config/config.js';
import { parseConfigText } from '../../src/config/load.js';
import type { FsProbe } from '../../src/host/rules.js';
import type { Logger } from '../../src/log/logger.js';
import type { Rtnl } from '../../src/net/rtnl.js';
import { createVirtualClock } from '../../src/track/clock.js';
import type { HeadRead, TrackFileIo } from '../../src/track/file-watch.js';
import type { LinkFlags } from '../../src/track/links.js';
import type { ChildEnd, SpawnRequest } from '../../src/track/process.js';
import { createTracker, type LinkSource, type LinkSourceEvent, type TrackerDeps, type TrackingOutcome } from '../../src/track/tracker.js';
import { err, ok, type Result } from '../../src/types.js';

// Compile-time: the daemon's real pieces fit the tracker's deps.
export const fits = (rtnl: Rtnl, log: Logger): Pick<TrackerDeps, 'links' | 'log'> => ({ links: rtnl, log });

function config(...lines: string[]): Config {
  const r = parseConfigText(`${lines.join('\n')}\n`, 't.conf');
  expect(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
  if (r.config === undefined) throw new Error('no config');
  return r.config;
}

const instance = (name: string, vrid: number, iface: string, ...body: string[]): string[] => [
  `vrrp_instance ${name} {`, `interface ${iface}`, `virtual_router_id ${vrid}`, 'priority 100', 'no_virtual_ipaddress', ...body, '}',
];
const vrrpScript = (name: string, ...body: string[]): string[] => [`vrrp_script ${name} {`, `script "/opt/${name}"`, ...body, '}'];

const link = (index: number, name: string, up = true): LinkFlags => ({ index, name, up, lowerUp: up });

function harness(c: Config, opts: { links?: LinkFlags[]; files?: Record<string, string>; dumpFails?: number } = {}) {
  const clock = createVirtualClock(0);
  const logs: string[] = [];
  const log = { debug: () => undefined, info: (m: string) => logs.push(m), warn: (m: string) => logs.push(`warn: ${m}`), error: (m: string) => logs.push(`error: ${m}`) };
  let current = opts.links ?? [link(1, 'lo'), link(2, 'eth0'), link(3, 'eth1')];
  let dumpFails = opts.dumpFails ?? 0;
  let emit: (e: LinkSourceEvent) => void = () => undefined;
  let unwatched = false;
  const links: LinkSource = {
    links: (): Promise<Result<readonly LinkFlags[], string>> => {
      if (dumpFails > 0) {
        dumpFails--;
        return Promise.resolve(err('ENOBUFS'));
      }
      return Promise.resolve(ok(current));
    },
    watch(onEvent) {
      emit = onEvent;
      return () => {
        unwatched = true;
      };
    },
  };
  const files = new Map(Object.entries(opts.files ?? {}));
  const fileIo: TrackFileIo = {
    readHead: (path): Promise<HeadRead> => {
      const f = files.get(path);
      return Promise.resolve(f === undefined ? { kind: 'missing' } : { kind: 'ok', head: f });
    },
    kindOf: (path) => Promise.resolve(files.has(path) ? 'file' : 'missing'),
    writeAtomic: (path, text) => {
      files.set(path, text);
      return Promise.resolve(undefined);
    },
    watchDir: () => () => undefined,
  };
  // Every script exits with the status set for it (default 0), on the next microtask.
  const exitStatus = new Map<string, number>();
  const spawned: string[] = [];
  const pending: { req: SpawnRequest; end: (e: ChildEnd) => void }[] = [];
  let pid = 1000;
  const fsProbe: FsProbe = {
    stat: (p) => (p.startsWith('/opt/') ? { isFile: true, isDirectory: false, isSymbolicLink: false, mode: 0o100755, uid: 0, gid: 0 } : undefined),
    lstat: () => undefined,
    realpath: (p) => p,
  };
  const changes: string[] = [];
  const tracker = createTracker(c, {
    log,
    links,
    clock,
    fileIo,
    fsProbe,
    userDb: { users: new Map(), groups: new Map() },
    own: { uid: 0, gid: 0 },
    spawn: (req, cb) => {
      spawned.push(req.file);
      const status = exitStatus.get(req.file.replace('/opt/', ''));
      if (status === undefined) pending.push({ req, end: (e) => cb.onEnd(e) });
      else queueMicrotask(() => cb.onEnd({ kind: 'exited', status }));
      return { pid: pid++ };
    },
    killGroup: () => false,
    filePollMs: 60_000,
  });
  tracker.onChange((name, o, prev) => changes.push(`${name}: ${show(prev)} -> ${show(o)}`));
  const flush = async (): Promise<void> => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  return {
    clock,
    logs,
    tracker,
    changes,
    spawned,
    pending,
    files,
    exitStatus,
    emit: (e: LinkSourceEvent) => emit(e),
    setLinks: (l: LinkFlags[]) => {
      current = l;
    },
    unwatched: () => unwatched,
    flush,
    /** Start, fire the first runs and let the first dump and reads land. */
    async boot() {
      tracker.start();
      await flush();
      clock.advance(0);
      await flush();
    },
  };
}

function show(o: TrackingOutcome): string {
  return `${o.priority}${o.fault ? ` FAULT(${o.faultReasons.join('; ')})` : ''}${o.pending ? ' pending' : ''}`;
}

describe('outcomes', () => {
  const c = config(
    ...vrrpScript('chk', 'fall 2'),
    'track_file tf {', 'file /run/tf', 'weight 2', '}',
    ...instance('VI_1', 1, 'eth0', 'track_script {', 'chk', '}', 'track_interface {', 'eth1 weight -20', '}', 'track_file {', 'tf', '}'),
  );

  it('before start: waiting for the links, the file and the weight-0 script', () => {
    const h = harness(c);
    expect(h.tracker.outcome('VI_1')).toEqual({ fault: false, faultReasons: [], priority: 100, pending: true });
    expect(h.tracker.outcome('nope')).toBeUndefined();
  });

  it('once everything has a first result: the weights apply, one change reported', async () => {
    const h = harness(c, { files: { '/run/tf': '5' } });
    h.exitStatus.set('chk', 0);
    await h.boot();
    expect(h.tracker.outcome('VI_1')).toEqual({ fault: false, faultReasons: [], priority: 110, pending: false });
    expect(h.changes[h.changes.length - 1]).toBe('VI_1: 110 pending -> 110');
    expect(h.logs).toContain('VRRP_Script(chk) succeeded');
    const before = h.changes.length;
    // Further successes change nothing: no callback.
    h.clock.advance(1000);
    await h.flush();
    h.clock.advance(1000);
    await h.flush();
    expect(h.spawned).toHaveLength(3);
    expect(h.changes).toHaveLength(before);
  });

  it('a tracked link going down applies its weight; the own interface going down is FAULT', async () => {
    const h = harness(c, { files: { '/run/tf': '0' } });
    h.exitStatus.set('chk', 0);
    await h.boot();
    h.changes.length = 0;
    h.emit({ kind: 'link', link: link(3, 'eth1', true) });
    expect(h.changes).toEqual([]);
    h.emit({ kind: 'link', link: { ...link(3, 'eth1'), lowerUp: false } });
    expect(h.changes).toEqual(['VI_1: 100 -> 80']);
    expect(h.logs).toContain('Netlink reports eth1 down');
    h.emit({ kind: 'linkDeleted', index: 2, name: 'eth0' });
    expect(h.changes[1]).toBe('VI_1: 80 -> 80 FAULT(interface eth0 down)');
    expect(h.logs).toContain('Interface eth0 deleted');
    h.emit({ kind: 'link', link: link(22, 'eth0') });
    expect(h.changes[2]).toBe('VI_1: 80 FAULT(interface eth0 down) -> 80');
  });

  it('fall 2: one failure changes nothing, the second is FAULT', async () => {
    const h = harness(c, { files: { '/run/tf': '0' } });
    h.exitStatus.set('chk', 0);
    await h.boot();
    h.changes.length = 0;
    h.exitStatus.set('chk', 1);
    h.clock.advance(1000);
    await h.flush();
    expect(h.changes).toEqual([]);
    h.clock.advance(1000);
    await h.flush();
    expect(h.changes).toEqual(['VI_1: 100 -> 100 FAULT(script chk failed)']);
    expect(h.logs).toContain('VRRP_Script(chk) failed (exited with status 1)');
  });

  it('a first failure is a FAULT at once, whatever fall is', async () => {
    const h = harness(c, { files: { '/run/tf': '0' } });
    h.exitStatus.set('chk', 2);
    await h.boot();
    expect(h.tracker.outcome('VI_1')).toMatchObject({ fault: true, pending: false, faultReasons: ['script chk failed'] });
  });

  it('a script still running holds the instance; the links and file alone do not end the wait', async () => {
    const h = harness(c, { files: { '/run/tf': '1' } });
    await h.boot();
    expect(h.tracker.outcome('VI_1')).toMatchObject({ pending: true, priority: 102 });
    h.pending[0]?.end({ kind: 'exited', status: 0 });
    await h.flush();
    expect(h.tracker.outcome('VI_1')).toMatchObject({ pending: false, fault: false, priority: 102 });
  });

  it('track_file changes move the priority; a big negative value is FAULT', async () => {
    const h = harness(c, { files: { '/run/tf': '0' } });
    h.exitStatus.set('chk', 0);
    await h.boot();
    h.files.set('/run/tf', '-200');
    h.clock.advance(60_000);
    await h.flush();
    expect(h.tracker.outcome('VI_1')).toMatchObject({ fault: true, faultReasons: ['tracked file tf has status -400'] });
  });

  it('status lists every tracked object', async () => {
    const h = harness(c, { files: { '/run/tf': '3' } });
    h.exitStatus.set('chk', 0);
    await h.boot();
    expect(h.tracker.status()).toMatchObject([
      { kind: 'script', name: 'chk', trackedBy: ['VI_1'], state: 'up', counter: 2, phase: 'idle', runs: 1, lastStartedAt: 0, lastResult: { kind: 'exited', status: 0 }, lastExitStatus: 0 },
      { kind: 'interface', name: 'eth0', trackedBy: ['VI_1'], state: 'up' },
      { kind: 'interface', name: 'eth1', trackedBy: ['VI_1'], state: 'up' },
      { kind: 'file', name: 'tf', trackedBy: ['VI_1'], path: '/run/tf', value: 3 },
    ]);
  });

  it('lost netlink events: the links are read again and the differences applied', async () => {
    const h = harness(c, { files: { '/run/tf': '0' } });
    h.exitStatus.set('chk', 0);
    await h.boot();
    h.setLinks([link(1, 'lo'), link(2, 'eth0', false), link(3, 'eth1')]);
    h.emit({ kind: 'overrun', message: 'ENOBUFS' });
    await h.flush();
    expect(h.tracker.outcome('VI_1')).toMatchObject({ fault: true, faultReasons: ['interface eth0 down'] });
    expect(h.logs).toContain('Netlink reports eth0 down');
  });

  it('address events are ignored', async () => {
    const h = harness(c, { files: { '/run/tf': '0' } });
    h.exitStatus.set('chk', 0);
    await h.boot();
    const before = h.changes.length;
    h.emit({ kind: 'addressRemoved' });
    expect(h.changes).toHaveLength(before);
  });

  it('the first link dump failing is retried; the instance waits meanwhile', async () => {
    const h = harness(c, { files: { '/run/tf': '0' }, dumpFails: 1 });
    h.exitStatus.set('chk', 0);
    await h.boot();
    expect(h.tracker.outcome('VI_1')?.pending).toBe(true);
    expect(h.logs.some((l) => l.startsWith('error: tracking: cannot list the network interfaces (ENOBUFS)'))).toBe(true);
    h.clock.advance(1000);
    await h.flush();
    expect(h.tracker.outcome('VI_1')?.pending).toBe(false);
  });

  it('after stop: no more runs, events or callbacks', async () => {
    const h = harness(c, { files: { '/run/tf': '0' } });
    h.exitStatus.set('chk', 0);
    await h.boot();
    await h.tracker.stop();
    expect(h.unwatched()).toBe(true);
    const changes = h.changes.length;
    h.emit({ kind: 'linkDeleted', index: 2, name: 'eth0' });
    h.clock.advance(10_000);
    await h.flush();
    expect(h.changes).toHaveLength(changes);
    expect(h.spawned).toHaveLength(1);
    expect(h.clock.pending()).toBe(0);
  });
});

describe('several instances', () => {
  it('a script tracked by several instances runs once per interval; each applies its own weight', async () => {
    const c = config(
      ...vrrpScript('chk', 'interval 2'),
      ...instance('VI_1', 1, 'eth0', 'track_script {', 'chk weight -30', '}'),
      ...instance('VI_2', 2, 'eth1', 'track_script {', 'chk weight 10', '}'),
    );
    const h = harness(c);
    h.exitStatus.set('chk', 1);
    await h.boot();
    h.clock.advance(2000);
    await h.flush();
    expect(h.spawned).toEqual(['/opt/chk', '/opt/chk']);
    expect(h.tracker.outcome('VI_1')).toMatchObject({ priority: 70, pending: false });
    expect(h.tracker.outcome('VI_2')).toMatchObject({ priority: 100, pending: false });
    h.exitStatus.set('chk', 0);
    h.clock.advance(2000);
    await h.flush();
    expect(h.tracker.outcome('VI_1')?.priority).toBe(100);
    expect(h.tracker.outcome('VI_2')?.priority).toBe(110);
  });

  it("a sync group's script applies to every member", async () => {
    const c = config(
      ...vrrpScript('chk'),
      ...instance('VI_1', 1, 'eth0'),
      ...instance('VI_2', 2, 'eth1'),
      'vrrp_sync_group G {', 'group {', 'VI_1', 'VI_2', '}', 'track_script {', 'chk', '}', '}',
    );
    const h = harness(c);
    h.exitStatus.set('chk', 1);
    await h.boot();
    expect(h.tracker.outcome('VI_1')).toMatchObject({ fault: true, faultReasons: ['script chk failed'] });
    expect(h.tracker.outcome('VI_2')).toMatchObject({ fault: true, faultReasons: ['script chk failed'] });
    expect(h.changes.filter((l) => l.includes('FAULT'))).toHaveLength(2);
  });

  it('dont_track_primary: the own interface going down is reported but changes nothing', async () => {
    const c = config(...instance('VI_1', 1, 'eth0', 'dont_track_primary'));
    const h = harness(c);
    await h.boot();
    expect(h.tracker.outcome('VI_1')).toEqual({ fault: false, faultReasons: [], priority: 100, pending: false });
    h.emit({ kind: 'link', link: link(2, 'eth0', false) });
    expect(h.logs).toContain('Netlink reports eth0 down');
    expect(h.tracker.outcome('VI_1')?.fault).toBe(false);
    expect(h.tracker.status()).toEqual([]);
  });

  it('a listener that throws does not stop the others', async () => {
    const c = config(...instance('VI_1', 1, 'eth0'));
    const h = harness(c);
    h.tracker.onChange(() => {
      throw new Error('boom');
    });
    const seen: string[] = [];
    h.tracker.onChange((name) => seen.push(name));
    await h.boot();
    expect(seen).toEqual(['VI_1']);
    expect(h.logs.some((l) => l.startsWith('error: internal error in tracking listener for VI_1: Error: boom'))).toBe(true);
  });
});

describe('link source failures', () => {
  it('a links() that rejects is retried too', async () => {
    const c = config(...instance('VI_1', 1, 'eth0'));
    const clock = createVirtualClock();
    let calls = 0;
    const logs: string[] = [];
    const t = createTracker(c, {
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m) => logs.push(m) },
      clock,
      links: {
        links: () => (++calls === 1 ? Promise.reject(new Error('socket closed')) : Promise.resolve(ok([link(2, 'eth0')]))),
        watch: () => () => undefined,
      },
    });
    t.start();
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(t.outcome('VI_1')?.pending).toBe(true);
    expect(logs).toEqual(['tracking: listing interfaces failed (Error: socket closed) - retrying; instances wait']);
    clock.advance(1000);
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(t.outcome('VI_1')).toEqual({ fault: false, faultReasons: [], priority: 100, pending: false });
    await t.stop();
  });
});

describe('script users', () => {
  it('a script user that does not exist: an error at start, every run a failure', async () => {
    const c = config('global_defs {', 'script_user ghost', '}', ...vrrpScript('chk'), ...instance('VI_1', 1, 'eth0', 'track_script {', 'chk', '}'));
    const h = harness(c);
    await h.boot();
    expect(h.spawned).toEqual([]);
    expect(h.logs).toContain("error: VRRP_Script(chk) cannot run '/opt/chk': script user 'ghost' does not exist");
    expect(h.tracker.outcome('VI_1')).toMatchObject({ fault: true });
  });
});
