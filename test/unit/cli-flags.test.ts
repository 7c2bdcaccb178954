// keepalived's command line, flag by flag (src/cli/flags.ts), against the keepalived 2.2.7 binary
// where it is installed: the same flags, the same --signum numbers, the same messages and exit
// codes for bad input; and the table itself against -h and docs/command-line.md.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLAGS, flagsMarkdown, flagSpelling } from '../../src/cli/flags.js';
import { parseUmask, rtSignals, SIGFUNCS, signalNumber } from '../../src/cli/values.js';
import { repoRoot, vrrpdCli } from '../../lab/vrrpd.js';
import { describeUnless, itUnless } from '../helpers/unmet.js';

const cli = vrrpdCli();
const built = existsSync(cli);
const keepalived = spawnSync('keepalived', ['--version'], { encoding: 'utf8' }).status === 0;

function run(file: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(file, args, { encoding: 'utf8', timeout: 10_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const vrrpd = (args: string[]) => run(process.execPath, [cli, ...args]);

describe('the flag table', () => {
  it('has one row per flag, short letters and long names unique', () => {
    const shorts = FLAGS.flatMap((f) => (f.short === undefined ? [] : [f.short]));
    const longs = FLAGS.map((f) => f.long);
    expect(new Set(shorts).size).toBe(shorts.length);
    expect(new Set(longs).size).toBe(longs.length);
    for (const f of FLAGS) if (f.vrrpd !== 'same') expect(f.message, f.long).toBeTruthy();
  });

  it('docs/command-line.md has the table', () => {
    const doc = readFileSync(join(repoRoot(), 'docs', 'command-line.md'), 'utf8');
    expect(doc).toContain(flagsMarkdown());
  });

  itUnless(!keepalived)('covers every flag keepalived 2.2.7 --help lists, with the same argument shape', () => {
    const usage = run('keepalived', ['--help']).stderr;
    const listed = [...usage.matchAll(/^ {2}(?:-(\w), )?\s*--([\w-]+)(=|\[=)?/gm)].map((m) => ({ short: m[1], long: m[2] as string, arg: m[3] }));
    expect(listed.length).toBeGreaterThan(30);
    // Where keepalived's usage text and its getopt string disagree, the getopt string (what it
    // parses) is what the table follows: `-i, --config-id id` takes a required argument, and
    // -M's is optional ("M::") although the usage writes `=PATN`.
    const usageSays: Record<string, string | undefined> = { 'config-id': '=', 'core-dump-pattern': '[=' };
    for (const k of listed) {
      const row = FLAGS.find((f) => f.long === k.long);
      expect(row, `--${k.long}`).toBeDefined();
      expect(row?.short, `--${k.long}`).toBe(k.short);
      const shape = row?.arg === undefined ? undefined : row.arg.optional ? '[=' : '=';
      expect(shape, `--${k.long}`).toBe(k.long in usageSays ? usageSays[k.long] : k.arg);
    }
  });
});

describe('-u MASK (strtoll base 0, 0..0777, as keepalived set_umask)', () => {
  it.each([
    ['022', 0o22], ['0177', 0o177], ['0', 0], ['0x1ff', 0o777], ['18', 18], ['511', 0o777], [' 027', 0o27],
  ])('%s -> %o', (text, value) => {
    expect(parseUmask(text)).toEqual({ ok: true, value });
  });
  it.each(['abc', '0777x', '01000', '512', '-1', '08', '0x', ''])('%j is refused with keepalived\'s message', (text) => {
    expect(parseUmask(text)).toEqual({ ok: false, error: `Invalid --umask option ${text}` });
  });
});

describe('--signum', () => {
  it('uses keepalived\'s numbers on glibc and musl', () => {
    const glibc = { min: 34, max: 64 };
    expect(SIGFUNCS.map((f) => signalNumber(f, glibc))).toEqual([15, 1, 10, 12, 63, 36]);
    expect(signalNumber('JSON', { min: 35, max: 64 })).toBe(37);
    expect(signalNumber('STATS_CLEAR', { min: 35, max: 64 })).toBe(63);
    for (const name of ['TDUMP', 'stop', 'SIGTERM', '15', '']) expect(signalNumber(name, glibc)).toBeUndefined();
  });

  it('knows this machine\'s libc', () => {
    const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
    expect(rtSignals().min).toBe(header?.glibcVersionRuntime === undefined ? 35 : 34);
  });

  itUnless(!built || !keepalived)('prints what keepalived 2.2.7 prints, with its exit codes', () => {
    for (const name of [...SIGFUNCS, 'TDUMP', 'FOO', 'json']) {
      const ours = vrrpd([`--signum=${name}`]);
      const theirs = run('keepalived', [`--signum=${name}`]);
      expect({ name, ...ours }).toEqual({ name, ...theirs });
    }
  });
});

describeUnless(!built)(`the command line${built ? '' : ' (skipped: npm run build first)'}`, () => {
  itUnless(!keepalived)('bad options: keepalived\'s message and exit 1', () => {
    for (const args of [['-Z'], ['--nosuch'], ['-f'], ['--use-file='], ['-p'], ['--signum='], ['-S'], ['--log-facility=']]) {
      const ours = vrrpd(args);
      const theirs = run('keepalived', args);
      expect({ args, code: ours.code, stderr: ours.stderr }).toEqual({ args, code: theirs.code, stderr: theirs.stderr });
    }
  });

  it('refused flags: the reason and exit 1, before reading any config', () => {
    for (const row of FLAGS.filter((f) => f.vrrpd === 'refused')) {
      const flag = row.short === undefined ? `--${row.long}` : `-${row.short}`;
      const args = row.arg === undefined || row.arg.optional ? [flag] : [flag, 'x'];
      const r = vrrpd([...args, '-t', '-f', '/nonexistent/vrrpd.conf']);
      expect(r.code, flagSpelling(row)).toBe(1);
      expect(r.stderr).toBe(`vrrpd: ${flag}: ${row.message} - not started\n`);
    }
  });

  it('accepted flags with a note: one line each, then the run goes on (-t here)', () => {
    const notes = FLAGS.filter((f) => f.vrrpd === 'note');
    const args = notes.flatMap((row) => {
      const flag = row.short === undefined ? `--${row.long}` : `-${row.short}`;
      return row.arg === undefined || row.arg.optional ? [flag] : [flag, '/tmp/x'];
    });
    const r = vrrpd([...args, '-t', '-f', '/nonexistent/vrrpd.conf']);
    expect(r.code).toBe(4);
    for (const row of notes) expect(r.stderr).toContain(`: ${row.message}\n`);
  });

  it('-S: a bad facility is reported and -t exits 5 as keepalived\'s does; a good one changes nothing', () => {
    const bad = vrrpd(['-S', 'local8', '-t', '-f', '/nonexistent/vrrpd.conf']);
    expect(bad.stderr.split('\n')[0]).toBe("Invalid log facility 'local8'");
    expect(bad.code).toBe(5);
    expect(vrrpd(['-S', 'local3', '-t', '-f', '/nonexistent/vrrpd.conf']).code).toBe(4);
  });

  it('-u: a bad mask is reported in keepalived\'s words and the run goes on', () => {
    const r = vrrpd(['-u', '0778', '-t', '-f', '/nonexistent/vrrpd.conf']);
    expect(r.stderr.split('\n')[0]).toBe('Invalid --umask option 0778');
    expect(r.code).toBe(4);
  });

  it('stray arguments are reported and ignored, as keepalived does', () => {
    const r = vrrpd(['-t', '-f', '/nonexistent/vrrpd.conf', 'extra', 'words']);
    expect(r.stderr.split('\n')[0]).toBe('Unexpected argument(s): extra words');
    expect(r.code).toBe(4);
  });

  it('-h shows every flag of the table with what vrrpd does with it', () => {
    const help = vrrpd(['-h']).stdout;
    for (const row of FLAGS) {
      expect(help).toContain(`--${row.long}`);
      if (row.vrrpd === 'refused') expect(help).toContain(`refused, exit 1 - ${row.why}`);
    }
  });
});
