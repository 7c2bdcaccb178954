// The docs in the repository hold together: every relative link of README.md, CHANGELOG.md and
// docs/**/*.md names a file that exists (and, into a markdown file, a heading it has); the code
// cites only references a reader of this repository has (docs/reference/, not the team's
// keepalived.md or node-deps.md), and every docs/reference anchor it cites exists.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../lab/vrrpd.js';

const root = repoRoot();

function filesUnder(dir: string, keep: (path: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'build' && !e.name.startsWith('.')) walk(p);
      } else if (keep(p)) out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

const markdown = [join(root, 'README.md'), join(root, 'CHANGELOG.md'), ...filesUnder(join(root, 'docs'), (p) => p.endsWith('.md'))];

/** The text outside fenced code blocks and inline code, where a `[x](y)` is a link. */
function prose(text: string): string {
  return text
    .replace(/^```[\s\S]*?^```/gm, '')
    .replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, blanks to '-', repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of text.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = (m[1] ?? '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

interface Link {
  from: string;
  target: string;
}

function relativeLinks(file: string): Link[] {
  const links: Link[] = [];
  for (const m of prose(readFileSync(file, 'utf8')).matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1] ?? '';
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
    links.push({ from: relative(root, file), target });
  }
  return links;
}

/** What is wrong with one link, or undefined. */
function brokenLink(link: Link): string | undefined {
  const [path = '', anchor] = link.target.split('#', 2);
  const file = path === '' ? join(root, link.from) : resolve(dirname(join(root, link.from)), path);
  if (!existsSync(file)) return `${link.from}: ${link.target}: no such file`;
  if (anchor === undefined || statSync(file).isDirectory() || !file.endsWith('.md')) return undefined;
  return anchors(readFileSync(file, 'utf8')).has(anchor) ? undefined : `${link.from}: ${link.target}: no such heading`;
}

describe('the docs', () => {
  it('README.md, CHANGELOG.md and docs/ are there, README short and linking the docs', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme.split('\n').length).toBeLessThan(150);
    // .ci/run runs the README's test command; the two commands stay what they are.
    expect(readme).toContain('scripts/setup.sh && npm run demo');
    expect(readme).toContain('scripts/setup.sh && npm test');
    expect(readme).toContain('npm run demo -- --systemd');
    const linked = new Set(relativeLinks(join(root, 'README.md')).map((l) => l.target.split('#')[0]));
    for (const f of markdown.filter((f) => f.includes(`${join(root, 'docs')}/`))) expect(linked, relative(root, f)).toContain(relative(root, f));
    expect(linked).toContain('CHANGELOG.md');
  });

  it('every relative link resolves to a file, and into a markdown file to one of its headings', () => {
    const links = markdown.flatMap(relativeLinks);
    expect(links.length).toBeGreaterThan(30);
    expect(links.map(brokenLink).filter((b) => b !== undefined)).toEqual([]);
  });

  it('the link check can fail: a missing file and a missing heading are reported', () => {
    expect(brokenLink({ from: 'README.md', target: 'docs/no-such-file.md' })).toMatch(/no such file/);
    expect(brokenLink({ from: 'README.md', target: 'docs/performance.md#no-such-heading' })).toMatch(/no such heading/);
    expect(brokenLink({ from: 'docs/migration.md', target: 'performance.md#memory-what-is-resident-and-how-the-node-flags-are-applied' })).toBeUndefined();
  });

  it('headings get GitHub\'s anchors', () => {
    const a = anchors("# x\n## Signals and dump files (as keepalived's, under vrrpd's names)\n## netlink 0.3.0\n## `vrrp_strict`\n## Timers\n## Timers\n");
    expect([...a]).toEqual(['x', 'signals-and-dump-files-as-keepaliveds-under-vrrpds-names', 'netlink-030', 'vrrp_strict', 'timers', 'timers-1']);
  });
});

describe('what the code cites', () => {
  const code = ['src', 'lab', 'bench', 'scripts', 'native', 'bin', 'test'].flatMap((d) =>
    filesUnder(join(root, d), (p) => /\.(ts|cc|h|js|sh|conf)$/.test(p) || d === 'bin'),
  );
  it('no file under src/ lab/ bench/ scripts/ native/ cites keepalived.md or node-deps.md', () => {
    const citing = code
      .map((f) => relative(root, f))
      .filter((f) => /^(src|lab|bench|scripts|native)\//.test(f))
      .filter((f) => /\b(keepalived|node-deps)\.md\b/.test(readFileSync(join(root, f), 'utf8')));
    expect(citing).toEqual([]);
  });

  it('no file cites the team\'s shared directory, which a reader of this repository does not have', () => {
    const shared = ['', 'work', 'shared', ''].join('/'); // spelt so that this file does not match itself
    const citing = code.map((f) => relative(root, f)).filter((f) => readFileSync(join(root, f), 'utf8').includes(shared));
    expect(citing).toEqual([]);
  });

  it('every docs/reference anchor the code cites is a heading there', () => {
    const pages = new Map(
      filesUnder(join(root, 'docs', 'reference'), (p) => p.endsWith('.md')).map((p) => [p.slice(p.lastIndexOf('/') + 1), anchors(readFileSync(p, 'utf8'))]),
    );
    expect(pages.size).toBeGreaterThan(0);
    const cited: string[] = [];
    const missing: string[] = [];
    for (const f of code) {
      for (const m of readFileSync(f, 'utf8').matchAll(/([\w-]+\.md)#([\w-]+)/g)) {
        const page = pages.get(m[1] ?? '');
        if (page === undefined) continue;
        cited.push(m[0]);
        if (!page.has(m[2] ?? '')) missing.push(`${relative(root, f)}: ${m[0]}`);
      }
    }
    expect(cited.length).toBeGreaterThan(40);
    expect(missing).toEqual([]);
  });
});
