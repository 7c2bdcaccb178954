// The import rules of docs/architecture.md, over every import of src/: inward only (a layer imports
// itself and earlier rows of the doc's layer table), the protocol core pure, no cycle, no file
// outside a layer. The layer table is read from the doc, so the doc and the rule cannot drift.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const src = join(root, 'src');

/** One import of a src file: to another src file (`to`, relative to src/) or a package (`pkg`). */
interface Edge {
  readonly from: string;
  readonly to?: string;
  readonly pkg?: string;
}

/** Every static import, `export ... from` and `import()` in `text`, type-only ones included. */
function specifiers(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier !== undefined && ts.isStringLiteral(n.moduleSpecifier)) {
      out.push(n.moduleSpecifier.text);
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = n.arguments[0];
      if (arg !== undefined && ts.isStringLiteral(arg)) out.push(arg.text);
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) {
      out.push(n.argument.literal.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function srcFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? srcFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function edgesOf(files: readonly { path: string; text: string }[]): Edge[] {
  return files.flatMap(({ path, text }) =>
    specifiers(path, text).map((spec): Edge =>
      spec.startsWith('.') ? { from: path, to: normalize(join(dirname(path), spec)).replace(/\.js$/, '.ts') } : { from: path, pkg: spec },
    ),
  );
}

/** A file's layer: its first folder under src/, or the file itself at the root. */
const layerOf = (path: string): string => {
  const [first, ...rest] = path.split('/');
  return rest.length === 0 ? (first ?? path) : `${first}/`;
};

/** The layer table of docs/architecture.md: rows whose first cell is a name in backquotes, in order. */
function layersFromDoc(markdown: string): string[] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Layers'));
  if (section === undefined) return [];
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1] ?? '');
}

const CORE = 'vrrp/';
/** What the core may take from outside src/: nothing (it is plain computation). */
const CORE_PACKAGES = new Set<string>();

/** Every broken rule, one sentence each; `edges` are relative to src/. */
function violations(layers: readonly string[], files: readonly string[], edges: readonly Edge[]): string[] {
  const out: string[] = [];
  const rank = new Map(layers.map((l, i) => [l, i]));
  for (const f of files) if (!rank.has(layerOf(f))) out.push(`${f} is in no layer of docs/architecture.md (layer ${layerOf(f)})`);
  for (const e of edges) {
    const from = layerOf(e.from);
    if (e.pkg !== undefined) {
      if (from === CORE && !CORE_PACKAGES.has(e.pkg)) out.push(`${e.from} imports ${e.pkg}: the core imports no Node or npm module`);
      continue;
    }
    if (e.to === undefined) continue;
    const to = layerOf(e.to);
    if (from === CORE && to !== CORE && to !== 'types.ts') out.push(`${e.from} imports ${e.to}: the core imports only vrrp/ and types.ts`);
    const a = rank.get(from);
    const b = rank.get(to);
    if (a !== undefined && b !== undefined && b > a) out.push(`${e.from} imports ${e.to}: ${from} may not import ${to}, an outer layer`);
  }
  for (const cycle of cycles(files, edges)) out.push(`import cycle: ${[...cycle, cycle[0]].join(' -> ')}`);
  return out;
}

/** The import cycles among `files` (Tarjan's strongly connected components of two or more, or a self-import). */
function cycles(files: readonly string[], edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) if (e.to !== undefined && next.has(e.to)) next.get(e.from)?.push(e.to);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) ?? 0);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop();
      if (w === undefined) break;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (next.get(v) ?? []).includes(v)) found.push(component.reverse());
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return found;
}

const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
const layers = layersFromDoc(doc);

describe('the import rules (docs/architecture.md)', () => {
  it('the checker catches an outward import, an impure core, a cycle and a file in no layer', () => {
    const order = ['types.ts', 'vrrp/', 'net/', 'daemon/'];
    const files = ['types.ts', 'vrrp/fsm.ts', 'net/socket.ts', 'daemon/a.ts', 'daemon/b.ts', 'daemon/c.ts', 'stray/x.ts'];
    const edges: Edge[] = [
      { from: 'vrrp/fsm.ts', to: 'types.ts' }, // fine
      { from: 'daemon/c.ts', to: 'net/socket.ts' }, // fine: inward
      { from: 'net/socket.ts', to: 'daemon/a.ts' }, // outward
      { from: 'vrrp/fsm.ts', to: 'net/socket.ts' }, // the core into the shell (and outward)
      { from: 'vrrp/fsm.ts', pkg: 'node:fs' }, // the core with I/O
      { from: 'vrrp/fsm.ts', pkg: 'node:crypto' }, // no Node module at all
      { from: 'daemon/a.ts', to: 'daemon/b.ts' },
      { from: 'daemon/b.ts', to: 'daemon/a.ts' }, // a cycle within one layer
    ];
    expect(violations(order, files, edges)).toEqual([
      'stray/x.ts is in no layer of docs/architecture.md (layer stray/)',
      'net/socket.ts imports daemon/a.ts: net/ may not import daemon/, an outer layer',
      'vrrp/fsm.ts imports net/socket.ts: the core imports only vrrp/ and types.ts',
      'vrrp/fsm.ts imports net/socket.ts: vrrp/ may not import net/, an outer layer',
      'vrrp/fsm.ts imports node:fs: the core imports no Node or npm module',
      'vrrp/fsm.ts imports node:crypto: the core imports no Node or npm module',
      'import cycle: daemon/a.ts -> daemon/b.ts -> daemon/a.ts',
    ]);
  });

  it('the doc lists the layers, the core and the entry in order', () => {
    expect(layers.slice(0, 4)).toEqual(['types.ts', 'version.ts', 'exit-codes.ts', 'vrrp/']);
    expect(layers.at(-1)).toBe('cli.ts');
    expect(new Set(layers).size).toBe(layers.length);
  });

  it('src/ keeps them: every import inward, the core pure, no cycle, every file in a layer', () => {
    const paths = srcFiles(src);
    const files = paths.map((path) => ({ path: relative(src, path), text: readFileSync(path, 'utf8') }));
    const edges = edgesOf(files.map((f) => ({ path: f.path, text: f.text })));
    expect(files.length).toBeGreaterThan(100);
    expect(edges.filter((e) => e.to !== undefined).length).toBeGreaterThan(300);
    expect(violations(layers, files.map((f) => f.path), edges)).toEqual([]);
  });
});
