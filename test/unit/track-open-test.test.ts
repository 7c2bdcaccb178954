// `script "</dev/tcp/127.0.0.1/80"`: the shell-redirection check done without a shell.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createVirtualClock, realClock } from '../../src/track/clock.js';
import { openTarget, openTestPath, runOpenTest } from '../../src/track/open-test.js';

describe('openTestPath / openTarget', () => {
  it('recognises `<` then an absolute path, as keepalived does', () => {
    expect(openTestPath('</dev/tcp/127.0.0.1/80')).toBe('/dev/tcp/127.0.0.1/80');
    expect(openTestPath('< \t/run/flag')).toBe('/run/flag');
    expect(openTestPath('<relative')).toBeUndefined();
    expect(openTestPath('/usr/bin/true')).toBeUndefined();
  });

  it('/dev/tcp/HOST/PORT is a connection, anything else a file', () => {
    expect(openTarget('/dev/tcp/localhost/8080')).toEqual({ kind: 'tcp', host: 'localhost', port: 8080 });
    expect(openTarget('/dev/tcp/127.0.0.1/0')).toEqual({ kind: 'file', path: '/dev/tcp/127.0.0.1/0' });
    expect(openTarget('/dev/tcp/127.0.0.1/70000')).toEqual({ kind: 'file', path: '/dev/tcp/127.0.0.1/70000' });
    expect(openTarget('/run/flag')).toEqual({ kind: 'file', path: '/run/flag' });
  });
});

describe('runOpenTest', () => {
  it('a listening port succeeds, a closed one fails with status 1', async () => {
    const server: Server = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      expect(await runOpenTest(`/dev/tcp/127.0.0.1/${port}`, realClock, 2000)).toEqual({ kind: 'exited', status: 0 });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await runOpenTest(`/dev/tcp/127.0.0.1/${port}`, realClock, 2000)).toEqual({ kind: 'exited', status: 1 });
  });

  it('a connection that does not complete within the timeout is timed out', async () => {
    const server: Server = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      // The virtual clock fires the timeout before the connection can complete (never sooner than
      // the next turn of the event loop): no packet leaves this host.
      const clock = createVirtualClock();
      const pending = runOpenTest(`/dev/tcp/127.0.0.1/${port}`, clock, 1000);
      clock.advance(1000);
      expect(await pending).toEqual({ kind: 'timedOut' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a file that can be opened succeeds, a missing one fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vrrpd-open-test-'));
    try {
      writeFileSync(join(dir, 'flag'), '');
      expect(await runOpenTest(join(dir, 'flag'), realClock, 1000)).toEqual({ kind: 'exited', status: 0 });
      expect(await runOpenTest(join(dir, 'nope'), realClock, 1000)).toEqual({ kind: 'exited', status: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
