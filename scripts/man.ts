// vrrpd(8) and vrrpd.conf(5) from their mdoc sources (man/*.in) and the tables they must not drift
// from: the OPTIONS list from src/cli/flags.ts (which also builds -h and docs/command-line.md's table), the
// KEYWORDS lists from scripts/man-keywords.ts. `npm run build` writes dist/man/; the release ships
// those and checks them with `--check` (mandoc -T lint clean, every flag of the table in vrrpd(8)).
//   node dist/scripts/man.js OUTDIR            write OUTDIR/vrrpd.8 and OUTDIR/vrrpd.conf.5
//   node dist/scripts/man.js --check DIR       lint DIR's pages, name every flag vrrpd(8) lacks
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FLAGS, type FlagRow } from '../src/cli/flags.js';
import { err, ok, type Result } from '../src/types.js';
import { KEYWORD_ROWS, type KeywordRow, type KeywordStatus } from './man-keywords.js';

export const PAGES = ['vrrpd.8', 'vrrpd.conf.5'] as const;
export type PageName = (typeof PAGES)[number];

/** mdoc text lines: one sentence a line, no leading control character, backslashes as \e. */
function text(s: string): string {
  return s
    .replace(/\\/g, '\\e')
    .split(/(?<=[.!?]) +(?=[A-Z])/)
    .flatMap((line) => wrap(line, 80))
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

/** A text line cut at blanks into lines of at most `width` bytes (a longer word stays whole). */
function wrap(line: string, width: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ').filter((w) => w !== '')) {
    if (current !== '' && Buffer.byteLength(`${current} ${word}`) > width) {
      out.push(current);
      current = word;
    } else current = current === '' ? word : `${current} ${word}`;
  }
  if (current !== '') out.push(current);
  return out;
}

/** `\-\-use\-file`: a flag name as a mdoc macro argument (hyphens as minus signs). */
const dashes = (s: string): string => s.replace(/-/g, '\\-');

function flagHead(f: FlagRow): string {
  const long = `Fl ${dashes(`-${f.long}`)}`;
  const arg = f.arg === undefined ? '' : f.arg.optional ? ` Ns Op = Ns Ar ${f.arg.name}` : ` Ns = Ns Ar ${f.arg.name}`;
  return `.It ${f.short === undefined ? '' : `Fl ${f.short} , `}${long}${arg}`;
}

const sentence = (s: string): string => (s === '' || /[.!?]$/.test(s) ? s : `${s}.`);

/** What vrrpd does with a flag, after keepalived's meaning: "vrrpd: the same; <why>." */
function flagBody(f: FlagRow): string[] {
  const why = f.why === '' ? '' : `; ${f.why}`;
  const ours = {
    same: `the same${why}`,
    note: `accepted, with one line on standard error ("${f.message ?? ''}")${why}`,
    refused: `refused, exit 1 ("${f.message ?? ''}")${why}`,
  }[f.vrrpd];
  return [text(`keepalived: ${sentence(f.keepalived)}`), '.Nm :', text(sentence(ours))];
}

/** The OPTIONS list: one tag entry per row of src/cli/flags.ts, in the table's order. */
export function flagsMdoc(flags: readonly FlagRow[] = FLAGS): string {
  return ['.Bl -tag -width Ds', ...flags.flatMap((f) => [flagHead(f), ...flagBody(f)]), '.El'].join('\n');
}

const SECTIONS: ReadonlyArray<readonly [KeywordStatus, string, string]> = [
  ['acted', 'Acted on', 'vrrpd acts on these as keepalived does, except where DIFFERENCES says.'],
  ['notYet', 'Reported as not supported yet', "Read, checked and kept, reported once per configuration as 'x' is not supported yet with what happens instead; vrrpd -t counts them as warnings."],
  ['refused', 'Refused', 'An error at every occurrence (vrrpd -t exits 5, the daemon does not start): running without them would change the wire or where the virtual addresses go.'],
  ['outOfScope', 'Outside VRRP', 'Skipped with one warning each.'],
];

function keywordItem(r: KeywordRow): string[] {
  return [`.It ${r.keywords.map((k) => `Ic ${k}`).join(' , ')}`, `In ${text(r.block)}.`, text(r.note)];
}

/** The KEYWORDS section's body: one subsection per status, in the order of SECTIONS. */
export function keywordsMdoc(rows: readonly KeywordRow[] = KEYWORD_ROWS): string {
  return SECTIONS.flatMap(([status, title, intro]) => {
    const items = rows.filter((r) => r.status === status);
    return items.length === 0 ? [] : [`.Ss ${title}`, text(intro), '.Bl -tag -width Ds', ...items.flatMap(keywordItem), '.El'];
  }).join('\n');
}

/** A page from its template in manDir, the marker line replaced by what the tables give. */
export function renderPage(manDir: string, page: PageName): Result<string, string> {
  const template = readFileSync(join(manDir, `${page}.in`), 'utf8');
  const [marker, body] = page === 'vrrpd.8' ? ['.\\" @FLAGS@', flagsMdoc()] : ['.\\" @KEYWORDS@', keywordsMdoc()];
  const lines = template.split('\n');
  const at = lines.indexOf(marker);
  if (at < 0) return err(`${join(manDir, `${page}.in`)} has no '${marker}' line`);
  lines.splice(at, 1, body);
  return ok(lines.join('\n'));
}

/** Flags of the table that a rendered vrrpd(8) (mandoc -T ascii) does not show, as "-f, --use-file". */
export function missingFlags(ascii: string, flags: readonly FlagRow[] = FLAGS): string[] {
  // Backspace overstrike (bold, underline) out, so "--use-file" is found as typed.
  const plain = ascii.replace(/.\x08/g, '');
  const shows = (flag: string): boolean => new RegExp(`(^|[^\\w-])${flag.replace(/[-]/g, '\\-')}(?![\\w-])`, 'm').test(plain);
  return flags
    .filter((f) => !shows(`--${f.long}`) || (f.short !== undefined && !shows(`-${f.short}`)))
    .map((f) => `${f.short === undefined ? '' : `-${f.short}, `}--${f.long}`);
}

function mandoc(args: readonly string[]): { code: number | null; out: string; error?: string } {
  const r = spawnSync('mandoc', args, { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, ...(r.error ? { error: r.error.message } : {}) };
}

/** Every problem of the pages in dir: mandoc -T lint's lines, flags vrrpd(8) lacks. */
export function checkPages(dir: string): string[] {
  const problems: string[] = [];
  for (const page of PAGES) {
    const file = join(dir, page);
    const lint = mandoc(['-T', 'lint', '-W', 'style', file]);
    if (lint.error !== undefined) return [`cannot run mandoc (${lint.error}): scripts/setup.sh installs it`];
    // Whether a referenced page (keepalived.conf(5), node(1)) is installed, or the man database is
    // current, depends on the host, not on the page.
    const hostOnly = /referenced manual not found|mandoc\.db/;
    const lines = lint.out.split('\n').filter((l) => l.trim() !== '' && !hostOnly.test(l));
    problems.push(...lines.map((l) => `mandoc -T lint: ${l}`));
  }
  const ascii = mandoc(['-T', 'ascii', join(dir, 'vrrpd.8')]);
  for (const flag of missingFlags(ascii.out)) problems.push(`${join(dir, 'vrrpd.8')} lacks ${flag} of src/cli/flags.ts`);
  return problems;
}

function main(argv: readonly string[]): number {
  const manDir = new URL('../../man/', import.meta.url).pathname;
  if (argv[0] === '--check' && argv[1] !== undefined) {
    const problems = checkPages(argv[1]);
    for (const p of problems) process.stderr.write(`man: ${p}\n`);
    return problems.length === 0 ? 0 : 1;
  }
  const out = argv[0];
  if (out === undefined || argv.length !== 1) {
    process.stderr.write('usage: man.js OUTDIR | man.js --check DIR\n');
    return 2;
  }
  mkdirSync(out, { recursive: true });
  for (const page of PAGES) {
    const r = renderPage(manDir, page);
    if (!r.ok) {
      process.stderr.write(`man: ${r.error}\n`);
      return 1;
    }
    writeFileSync(join(out, page), r.value);
  }
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = main(process.argv.slice(2));
