// scripts/check-elf-ceiling.sh on real shared objects compiled here: one within RHEL 8's ceiling
// passes, one needing a newer glibc (pthread_create moved into libc in glibc 2.34) and one needing
// a newer libstdc++ (GCC 11+'s std::allocator::allocate pulls GLIBCXX_3.4.29's
// __throw_bad_array_new_length, as vrrpd's addon did) fail naming the file and the
// version; the GLIBCXX one also shows the names are compared one by one (its GLIBC need is fine).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../lab/vrrpd.js';

const script = join(repoRoot(), 'scripts', 'check-elf-ceiling.sh');
let dir = '';

function compile(name: string, compiler: string, source: string, ext: string): string {
  const src = join(dir, `${name}.${ext}`);
  const out = join(dir, `${name}.node`);
  writeFileSync(src, source);
  // -O0: the allocator's size check stays a call, not folded away.
  const r = spawnSync(compiler, ['-shared', '-fPIC', '-O0', '-o', out, src], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${compiler} cannot build ${name} (${r.error?.message ?? r.stderr}): scripts/setup.sh installs g++`);
  return out;
}

function check(...files: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync('bash', [script, ...files], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('scripts/check-elf-ceiling.sh', () => {
  let ok = '';
  let newGlibc = '';
  let newLibstdcxx = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vrrpd-elf-test-'));
    ok = compile('ok', 'gcc', '#include <string.h>\nvoid copy(void *d, const void *s, unsigned long n) { memcpy(d, s, n); }\n', 'c');
    newGlibc = compile('glibc234', 'gcc', '#include <pthread.h>\nint start(pthread_t *t, void *(*f)(void *)) { return pthread_create(t, 0, f, 0); }\n', 'c');
    newLibstdcxx = compile('glibcxx329', 'g++', '#include <memory>\nint *make(unsigned long n) { std::allocator<int> a; return a.allocate(n); }\n', 'cc');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes a file within the ceiling and prints its highest needs', () => {
    const r = check(ok);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^${ok}: GLIBC_2\\.\\d+\\n$`));
  });

  it('fails a file needing a newer glibc, naming the file and the version', () => {
    const r = check(ok, newGlibc);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${newGlibc} needs GLIBC_2.34, above RHEL 8's GLIBC_2.28`);
  });

  it('fails a file needing a newer libstdc++ although its GLIBC needs are within the ceiling', () => {
    const r = check(newLibstdcxx);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`${newLibstdcxx} needs GLIBCXX_3\\.4\\.(29|3\\d), above RHEL 8's GLIBCXX_3\\.4\\.25`));
    expect(r.err).not.toMatch(/needs GLIBC_/);
  });

  it('refuses what is not an ELF file, or is missing, with exit 2', () => {
    const text = join(dir, 'readme.node');
    writeFileSync(text, 'not a shared object\n');
    expect(check(text)).toMatchObject({ code: 2, err: `check-elf-ceiling: ${text}: not an ELF file\n` });
    expect(check(join(dir, 'missing.node'))).toMatchObject({ code: 2 });
    expect(check()).toMatchObject({ code: 2 });
  });
});
