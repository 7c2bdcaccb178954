// A real start under a low open-files limit and the limit reached while running (issue 22 item 7),
// with keepalived 2.2.7 in the same lab for reference. `ulimit -n 20` used to kill vrrpd with a Node
// stack trace before its first line ran; keepalived runs with 20.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { advertsFrom, startCapture } from '../../lab/capture.js';
import { renderKeepalivedConfig } from '../../lab/keepalived.js';
import { labAvailable, LAB_VIP, type Lab, type LabSpec } from '../../lab/netns.js';
import { execBounded, exitWithin, sleep } from '../../lab/process.js';
import { parseLogLine, startVrrpd, vrrpdBin, vrrpdCli } from '../../lab/vrrpd.js';
import { MIN_OPEN_FILES } from '../../src/host/open-files.js';
import { A_IP, unwrap } from '../helpers/lab.js';
import { twoInterfaceHost, useLabWithDir } from '../helpers/lab-dir.js';
import { describeUnless } from '../helpers/unmet.js';

const available = labAvailable();
/** Whether this host lets the launcher raise a hard limit (root with CAP_SYS_RESOURCE). */
const canRaise = (await execBounded(['sh', '-c', 'ulimit -n 20; ulimit -H -n 1024'])).code === 0;
const SECOND_VIP = '198.51.100.200';

/** A (eth1 for the reload's new socket) and a client on eth0's segment. */
const spec: LabSpec = { hosts: [twoInterfaceHost(), { name: 'client', address: '192.0.2.100/24' }] };

function config(dir: string, opts: { second?: boolean; check?: boolean } = {}): string {
  const extraLines = [`notify ${join(dir, 'notify.sh')}`, ...(opts.check === true ? ['track_script {', '    chk', '}'] : [])];
  const instances = [{ name: 'VI_1', interface: 'eth0', vrid: 51, vips: [LAB_VIP] }, ...(opts.second === true ? [{ name: 'VI_2', interface: 'eth1', vrid: 52, vips: [SECOND_VIP] }] : [])];
  return `${renderKeepalivedConfig({ routerId: 'A', instances: instances.map((i) => ({ ...i, state: 'BACKUP' as const, priority: 100, extraLines })) })}
vrrp_script chk {
    script ${join(dir, 'check.sh')}
    interval 1
}
`;
}

const messages = (lines: readonly { text: string }[]): string[] => lines.map((l) => parseLogLine(l.text)?.msg ?? l.text);
/** Lines that would be a crash or a stack trace rather than a logged error. */
const crashy = (lines: readonly string[]): string[] => lines.filter((l) => /^\s+at |internal error|Node\.js v\d|FATAL/.test(l));

describeUnless(!available.ok)(`open-files limit${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
  const env = useLabWithDir(spec, 'vrrpd-fd-limit-', (dir) => {
    writeFileSync(join(dir, 'notify.sh'), `#!/bin/sh\necho "$@" >> ${join(dir, 'notified')}\n`, { mode: 0o755 });
    writeFileSync(join(dir, 'check.sh'), `#!/bin/sh\necho ran >> ${join(dir, 'checked')}\n`, { mode: 0o755 });
  });
  let lab: Lab;
  let dir = '';
  beforeAll(() => ({ lab, dir } = env()));

  it(`started with ulimit -n 20 through bin/vrrpd: ${canRaise ? 'the hard limit is raised and it becomes MASTER' : 'no CAP_SYS_RESOURCE here, so one sentence, exit 1, nothing touched'}`, async () => {
    writeFileSync(join(dir, 'a20.conf'), config(dir));
    const capture = unwrap(await startCapture(lab, 'client'));
    const p = lab.spawn('a', ['sh', '-c', `ulimit -n 20; exec ${vrrpdBin()} -n -D -f ${join(dir, 'a20.conf')} -p ${join(dir, 'a20.pid')}`]);
    if (canRaise) {
      unwrap(await p.waitForLine(/Entering MASTER STATE/, { timeoutMs: 8000 }));
      expect(readFileSync(`/proc/${p.pid}/limits`, 'utf8')).toMatch(/^Max open files\s+1024\s+1024\s/m);
      await p.stop(5000);
    } else {
      expect(await exitWithin(p, 5000)).toEqual({ code: 1, signal: null });
      expect(messages(p.lines)).toEqual([`vrrpd: the open-files limit (ulimit -n) is 20; vrrpd needs at least ${MIN_OPEN_FILES} - raise it (systemd: LimitNOFILE=)`]);
      await sleep(500);
      expect(await lab.hasAddress('a', LAB_VIP)).toBe(false);
      expect(advertsFrom(unwrap(await capture.stop()), A_IP)).toEqual([]);
    }
  }, 20_000);

  it(`started with ulimit -n ${MIN_OPEN_FILES} (the launcher's minimum): MASTER with its VIP, its check and notify scripts run, vrrpd status answers`, async () => {
    writeFileSync(join(dir, 'a64.conf'), config(dir, { check: true }));
    const pid = join(dir, 'a64.pid');
    const p = lab.spawn('a', ['sh', '-c', `ulimit -n ${MIN_OPEN_FILES}; exec ${vrrpdBin()} -n -D -f ${join(dir, 'a64.conf')} -p ${pid}`]);
    try {
      unwrap(await p.waitForLine(/Entering MASTER STATE/, { timeoutMs: 8000 }));
      await sleep(1500);
      expect(await lab.hasAddress('a', LAB_VIP)).toBe(true);
      expect(readFileSync(join(dir, 'checked'), 'utf8').split('\n').length).toBeGreaterThan(2);
      expect(readFileSync(join(dir, 'notified'), 'utf8')).toMatch(/INSTANCE VI_1 MASTER/);
      const status = await execBounded([process.execPath, vrrpdCli(), 'status', '-p', pid], { timeoutMs: 5000 });
      expect(status.code).toBe(0);
      const held = readdirSync(`/proc/${p.pid}/fd`).length;
      console.log(`FD-LIMIT vrrpd at ulimit -n ${MIN_OPEN_FILES}: ${held} descriptors held, one interface, one check script`);
      expect(crashy(messages(p.lines))).toEqual([]);
    } finally {
      await p.stop(5000);
    }
  }, 30_000);

  it('keepalived 2.2.7 with ulimit -n 20 (the reference): it runs and becomes MASTER', async () => {
    const kdir = mkdtempSync(join(dir, 'ka-'));
    writeFileSync(join(kdir, 'keepalived.conf'), config(dir));
    const pidfiles = ['-p', 'k', '-r', 'v', '-c', 'c', '-b', 'b'].map((x) => (x.startsWith('-') ? x : join(kdir, `${x}.pid`))).join(' ');
    const k = lab.spawn('a', ['sh', '-c', `ulimit -n 20; exec keepalived -n -l -G -D -f ${join(kdir, 'keepalived.conf')} ${pidfiles}`], { env: { ...process.env, TMPDIR: kdir } });
    try {
      unwrap(await k.waitForLine(/Entering MASTER STATE/, { timeoutMs: 8000 }));
      const child = Number(readFileSync(join(kdir, 'v.pid'), 'utf8'));
      const limit = /^Max open files\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${child}/limits`, 'utf8'));
      const said = k.lines.map((l) => l.text).filter((l) => /open file limit/.test(l));
      console.log(`FD-LIMIT keepalived at ulimit -n 20: MASTER, VRRP child limit ${limit?.[1]}:${limit?.[2]}, ${readdirSync(`/proc/${child}/fd`).length} descriptors; ${JSON.stringify(said)}`);
    } finally {
      await k.stop(5000);
    }
  }, 30_000);

  it('the limit reached while running: reloads are refused with one reason line each, status fails cleanly, the MASTER keeps its VIP and adverts; all works again once descriptors are back', async () => {
    const a = unwrap(await startVrrpd(lab, 'a', config(dir)));
    const prlimit = async (n: number): Promise<void> => {
      // The soft limit only: raising a hard limit again would take CAP_SYS_RESOURCE.
      expect((await execBounded(['prlimit', '--pid', String(a.pid), `--nofile=${n}:`])).code).toBe(0);
    };
    const reloadRefused = async (why: RegExp): Promise<string[]> => {
      const mark = a.logMark();
      a.signal('SIGHUP');
      unwrap(await a.waitForLog(/^Reload failed: keeping the running configuration$/, { since: mark, timeoutMs: 5000 }));
      const said = a.logLines().slice(mark);
      expect(said.filter((l) => why.test(l))).toHaveLength(1);
      return said;
    };
    try {
      unwrap(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 8000 }));
      const lowestFreeFd = (): number => {
        const open = new Set(readdirSync(`/proc/${a.pid}/fd`).map(Number));
        let fd = 0;
        while (open.has(fd)) fd++;
        return fd;
      };
      const lowestFree = lowestFreeFd();
      const capture = unwrap(await startCapture(lab, 'client'));
      const mark = a.logMark();
      writeFileSync(a.configPath, config(dir, { second: true }));

      // Not one descriptor left (those open stay valid): the new config cannot even be read.
      await prlimit(lowestFreeFd());
      // Either the reader's thread cannot start or, started, it cannot open the file.
      const unreadable = await reloadRefused(/cannot (read config file|start the configuration reader): .*EMFILE/);
      // Again none left (a failed reader may have kept one): the control socket cannot accept.
      await prlimit(lowestFreeFd());
      // The command itself retries for 5 s (src/control/client.ts CLIENT_TIMEOUT_MS) before it gives
      // up with exit 1: the bound on the process is above that and its start-up.
      const status = await execBounded([process.execPath, vrrpdCli(), 'status', '-p', join(a.dir, 'vrrpd.pid')], { timeoutMs: 10_000 });
      // One more descriptor does not help the reload: its reader thread needs several (Node leaks
      // one per worker that fails to start, so the free one is found again), and once it can run,
      // what it held is free again for the new interface's sockets. (The sockets' own EMFILE is a
      // refusal like any other, "cannot open VRRP socket on eth1: ...".)
      await prlimit(lowestFreeFd() + 1);
      const oneMore = await reloadRefused(/cannot (read config file|start the configuration reader): .*EMFILE/);
      await sleep(3500);
      const during = a.logLines().slice(mark);
      const adverts = advertsFrom(unwrap(await capture.stop()), A_IP);
      console.log(
        `FD-LIMIT limit reached (${lowestFree} descriptors): status exit ${status.code} ${JSON.stringify(status.stderr.trim())}; ${adverts.length} adverts meanwhile; ${JSON.stringify([...unreadable, ...oneMore].filter((l) => /EMFILE|Too many/.test(l)))}`,
      );
      expect(a.process.running()).toBe(true);
      expect(await lab.hasAddress('a', LAB_VIP)).toBe(true);
      expect(during.filter((l) => /Entering (BACKUP|FAULT) STATE/.test(l))).toEqual([]);
      expect(adverts.length).toBeGreaterThanOrEqual(3);
      expect(status.code).toBe(1);
      expect(crashy(during)).toEqual([]);

      await prlimit(1024);
      const again = a.logMark();
      a.signal('SIGHUP');
      unwrap(await a.waitForState('VI_2', 'MASTER', { since: again, timeoutMs: 8000 }));
      expect(await lab.hasAddress('a', SECOND_VIP, 'eth1')).toBe(true);
      const after = await execBounded([process.execPath, vrrpdCli(), 'status', '-p', join(a.dir, 'vrrpd.pid')], { timeoutMs: 5000 });
      expect(after.code).toBe(0);
    } finally {
      await a.stop();
    }
  }, 40_000);
});
