// src/native/addon.ts against the real addon (native/build, made by `npm install`) and real listeners.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

import { ifInfo, nativeAvailable, openPacketSocket, sdNotify } from '../../src/native/addon.js';

const addonMissing = nativeAvailable().ok ? undefined : 'native addon not built (npm install)';
const hasPython = spawnSync('python3', ['-c', 'pass']).status === 0;

// A datagram listener for NOTIFY_SOCKET: Node has no AF_UNIX datagram sockets, Python does.
const listenerSource = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
a = sys.argv[1]
s.bind('\\0' + a[1:] if a.startswith('@') else a)
print('ready', flush=True)
s.settimeout(5)
sys.stdout.write(s.recv(4096).decode()); sys.stdout.flush()
`;
import { describeUnless, itUnless } from '../helpers/unmet.js';

interface Listener {
  readonly child: ChildProcess;
  readonly received: Promise<string>;
}

async function listen(address: string): Promise<Listener> {
  const child = spawn('python3', ['-c', listenerSource, address], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const received = new Promise<string>((resolve) => child.on('close', () => resolve(out.replace(/^ready\n/, ''))));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('ready\n')) resolve();
    });
    child.on('error', reject);
  });
  return { child, received };
}

describeUnless(addonMissing !== undefined)(`native addon${addonMissing ? ` (skipped: ${addonMissing})` : ''}`, () => {
  it('ifInfo finds lo: index 1, a zero 6-byte MAC', () => {
    const lo = ifInfo('lo');
    expect(lo).toEqual({ ok: true, value: { index: 1, mac: Buffer.alloc(6) } });
  });

  it('ifInfo reports a missing interface as ENODEV, a too-long name too', () => {
    expect(ifInfo('h1-nonexistent')).toEqual({ ok: false, error: 'SIOCGIFINDEX h1-nonexistent: No such device (ENODEV)' });
    const long = ifInfo('x'.repeat(16));
    expect(long.ok).toBe(false);
    if (!long.ok) expect(long.error).toContain('(ENODEV)');
  });

  it('openPacketSocket on a missing interface is an error value, not a throw', () => {
    const s = openPacketSocket('h1-nonexistent');
    expect(s.ok).toBe(false);
    if (!s.ok) expect(s.error).toMatch(/No such device \(ENODEV\)/);
  });

  describe('sdNotify', () => {
    const saved = process.env['NOTIFY_SOCKET'];
    const dirs: string[] = [];
    afterEach(() => {
      if (saved === undefined) delete process.env['NOTIFY_SOCKET'];
      else process.env['NOTIFY_SOCKET'] = saved;
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    });

    it('is ok(false) when NOTIFY_SOCKET is unset (not started by systemd)', () => {
      delete process.env['NOTIFY_SOCKET'];
      expect(sdNotify('READY=1')).toEqual({ ok: true, value: false });
    });

    it('reports an unusable NOTIFY_SOCKET as an error', () => {
      process.env['NOTIFY_SOCKET'] = 'relative/path';
      const r = sdNotify('READY=1');
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toContain('EAFNOSUPPORT');
    });

    itUnless(!hasPython)('delivers the state to an abstract-namespace socket (@name)', async () => {
      const address = `@h1-test-notify-${process.pid}`;
      const l = await listen(address);
      process.env['NOTIFY_SOCKET'] = address;
      expect(sdNotify('READY=1\nSTATUS=Startup complete')).toEqual({ ok: true, value: true });
      expect(await l.received).toBe('READY=1\nSTATUS=Startup complete');
    });

    itUnless(!hasPython)('delivers the state to a filesystem socket', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'h1-notify-'));
      dirs.push(dir);
      const address = join(dir, 'notify');
      const l = await listen(address);
      process.env['NOTIFY_SOCKET'] = address;
      expect(sdNotify('WATCHDOG=1')).toEqual({ ok: true, value: true });
      expect(await l.received).toBe('WATCHDOG=1');
    });

    it('reports a socket nobody listens on as ECONNREFUSED', () => {
      process.env['NOTIFY_SOCKET'] = `@h1-test-nobody-${process.pid}`;
      const r = sdNotify('READY=1');
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toContain('ECONNREFUSED');
    });
  });
});

// syslog(3) always writes to /dev/log. To read what we log without touching the host's syslog,
// a child runs in a private mount namespace with a fresh tmpfs on /dev and a listener on /dev/log.
// The child imports the compiled module (dist/, from `npm run build`): it must run outside vitest.
const distNative = join(import.meta.dirname, '../../dist/src/native/addon.js');
const srcNative = join(import.meta.dirname, '../../src/native/addon.ts');
const syslogSkip =
  process.getuid?.() !== 0
    ? 'needs root (unshare -m)'
    : !hasPython
      ? 'needs python3'
      : spawnSync('unshare', ['--version']).status !== 0
        ? 'needs unshare(1)'
        : !existsSync(distNative) || statSync(distNative).mtimeMs < statSync(srcNative).mtimeMs
          ? 'dist/src/native/addon.js missing or stale: run npm run build'
          : addonMissing;

describeUnless(syslogSkip !== undefined)(`syslog${syslogSkip ? ` (skipped: ${syslogSkip})` : ''}`, () => {
  it('logs `ident[pid]: message` at daemon.info, the message taken literally', () => {
    const script = [
      `import { openSyslog, syslog, syslogFacility, syslogSeverity } from ${JSON.stringify(pathToFileURL(distNative).href)};`,
      `const o = openSyslog('Keepalived_vrrp', syslogFacility.daemon);`,
      `const s = syslog(syslogSeverity.info, '(VI_1) Entering MASTER STATE %s%n');`,
      `process.stderr.write(JSON.stringify({ o, s, pid: process.pid }));`,
    ].join('\n');
    const listener = `python3 -c ${shellQuote(listenerSource)} /dev/log`;
    const inner = [
      'mount -t tmpfs h1-test-dev /dev',
      // sh gives background jobs /dev/null as stdin.
      'mknod -m 666 /dev/null c 1 3',
      `{ ${listener} > /dev/h1-out & }`,
      'for i in $(seq 50); do [ -S /dev/log ] && break; sleep 0.05; done',
      `node --input-type=module -e ${shellQuote(script)}`,
      'wait',
      'cat /dev/h1-out',
    ].join('\n');
    const r = spawnSync('timeout', ['10', 'unshare', '-m', 'sh', '-c', inner], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const child = JSON.parse(r.stderr) as { o: unknown; s: unknown; pid: number };
    expect(child.o).toEqual({ ok: true, value: undefined });
    // <30> = LOG_DAEMON (3 << 3) | LOG_INFO (6)
    expect(r.stdout).toMatch(new RegExp(`^ready\\n<30>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d Keepalived_vrrp\\[${child.pid}\\]: \\(VI_1\\) Entering MASTER STATE %s%n$`));
  });
});

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
