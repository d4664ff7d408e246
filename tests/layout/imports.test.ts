/**
 * The layout's one rule, checked on the source: dependencies run one way, contract ← core ← adapters, and
 * the server and the mocks stand on the contract. Every import (static, re-export, dynamic) of every file
 * under machines/ and src/ is read and resolved to the folder it lands in.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Each folder and the folders it may import. Anything not listed here may not be imported. */
const ALLOWED: Record<string, readonly string[]> = {
  'src/contract': [],
  machines: ['src/contract'],
  'src/api': ['machines', 'src/contract'],
  'src/client': ['machines', 'src/api', 'src/contract'],
  // The automation server drives the headless client and records its trace in the inspector's format; it
  // never reaches the HTTP API (src/api) or the server itself.
  'src/mcp': ['src/client', 'machines', 'src/contract', 'src/inspector'],
  'src/inspector': ['machines', 'src/contract'],
  'src/ui': ['machines', 'src/api', 'src/contract', 'src/inspector', 'src/mocks'],
  'src/server': ['src/contract'],
  // The mock backend reuses the reference server's in-memory hub (pure, no Node), so its event ids,
  // replay and `reset` follow exactly the server's rules. The server never imports the mocks.
  'src/mocks': ['src/contract', 'src/server'],
};

/** Packages each floor may import; the core reaches nothing outside xstate. */
const PACKAGES: Record<string, RegExp> = {
  'src/contract': /^valibot$/,
  machines: /^xstate$/,
};

const FOLDERS = Object.keys(ALLOWED);

type Import = { file: string; specifier: string; typeOnly: boolean };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

// `import … from '…'`, `export … from '…'`, `import '…'` and `import('…')`, over several lines.
const IMPORT =
  /(?:^|;|\n)\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g;

/** The imports of one source text; an import is type-only when it says `import type` or every name is `type`. */
function importsOf(text: string, file = 'file.ts'): Import[] {
  const out: Import[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const specifier = m[4] ?? m[5] ?? m[6];
    if (!specifier) continue;
    const clause = m[3] ?? '';
    const names = clause
      .replace(/^\{|\}$/g, '')
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean);
    const everyNameIsType =
      clause.startsWith('{') && names.length > 0 && names.every((n) => n.startsWith('type '));
    out.push({ file, specifier, typeOnly: Boolean(m[2]) || everyNameIsType });
  }
  return out;
}

/** The folder of FOLDERS that holds a path (relative to the root), or undefined (tests, bench, …). */
function folderOf(path: string): string | undefined {
  const rel = relative(ROOT, path).split('\\').join('/');
  return FOLDERS.filter((f) => rel === f || rel.startsWith(`${f}/`)).sort((a, b) => b.length - a.length)[0];
}

function allImports(): Import[] {
  return ['machines', 'src'].flatMap((dir) =>
    sourceFiles(join(ROOT, dir)).flatMap((file) => importsOf(readFileSync(file, 'utf8'), file)),
  );
}

describe('the layout', () => {
  const imports = allImports();

  it('reads the imports it checks (a sanity check of the reader itself)', () => {
    expect(imports.length).toBeGreaterThan(100);
    expect(
      importsOf(
        "import type { A } from './a';\nimport { type B, C } from '../b';\nexport * from './c';\nconst d = await import('./d');\nimport './e.css';",
      ),
    ).toEqual([
      { file: 'file.ts', specifier: './a', typeOnly: true },
      { file: 'file.ts', specifier: '../b', typeOnly: false },
      { file: 'file.ts', specifier: './c', typeOnly: false },
      { file: 'file.ts', specifier: './d', typeOnly: false },
      { file: 'file.ts', specifier: './e.css', typeOnly: false },
    ]);
    expect(importsOf("import {\n  type A,\n  type B,\n} from '../x';")[0]?.typeOnly).toBe(true);
  });

  it('puts every source file in a known folder', () => {
    const files = ['machines', 'src'].flatMap((dir) => sourceFiles(join(ROOT, dir)));
    const stray = files.filter((f) => !folderOf(f)).map((f) => relative(ROOT, f));
    expect(stray).toEqual([]);
  });

  it('lets each folder import only the floors beneath it', () => {
    const broken = imports.flatMap(({ file, specifier }) => {
      if (!specifier.startsWith('.')) return [];
      const from = folderOf(file)!;
      const to = folderOf(resolve(dirname(file), specifier));
      if (to === from) return [];
      // package.json is data (the version), not code: any adapter may read it.
      if (!to && specifier.endsWith('/package.json') && from !== 'machines' && from !== 'src/contract')
        return [];
      return to && ALLOWED[from]?.includes(to)
        ? []
        : [`${relative(ROOT, file)} → ${specifier} (${to ?? 'outside'})`];
    });
    expect(broken).toEqual([]);
  });

  it('keeps the core to types of the contract and to xstate', () => {
    const broken = imports.flatMap(({ file, specifier, typeOnly }) => {
      const from = folderOf(file)!;
      if (from !== 'machines') return [];
      if (specifier.startsWith('.')) {
        const to = folderOf(resolve(dirname(file), specifier));
        return to === 'src/contract' && !typeOnly
          ? [`${relative(ROOT, file)} → ${specifier} (not type-only)`]
          : [];
      }
      return PACKAGES.machines!.test(specifier) ? [] : [`${relative(ROOT, file)} → ${specifier}`];
    });
    expect(broken).toEqual([]);
  });

  it('keeps the contract free of the project and of every package but valibot', () => {
    const broken = imports.flatMap(({ file, specifier }) => {
      if (folderOf(file) !== 'src/contract') return [];
      if (specifier.startsWith('.')) {
        const to = folderOf(resolve(dirname(file), specifier));
        return to === 'src/contract' ? [] : [`${relative(ROOT, file)} → ${specifier}`];
      }
      return PACKAGES['src/contract']!.test(specifier) ? [] : [`${relative(ROOT, file)} → ${specifier}`];
    });
    expect(broken).toEqual([]);
  });

  it('keeps the automation server on the headless client: no HTTP of its own to the API, no server', () => {
    const reaching = imports.flatMap(({ file, specifier }) => {
      if (folderOf(file) !== 'src/mcp') return [];
      return /^(undici|fastify|better-sqlite3)$/.test(specifier)
        ? [`${relative(ROOT, file)} → ${specifier}`]
        : [];
    });
    expect(reaching).toEqual([]);
    // A call to fetch would reach the API around the actors (the HTTP entry's `fetch` face is a property).
    const calls = sourceFiles(join(ROOT, 'src/mcp')).flatMap((file) =>
      /(^|[^.\w])fetch\s*\(/m.test(readFileSync(file, 'utf8')) ? [relative(ROOT, file)] : [],
    );
    expect(calls).toEqual([]);
  });

  it('has no two folders that import each other, directly or round a cycle', () => {
    const edges = new Map<string, Set<string>>();
    for (const { file, specifier } of imports) {
      if (!specifier.startsWith('.')) continue;
      const from = folderOf(file)!;
      const to = folderOf(resolve(dirname(file), specifier));
      if (to && to !== from) edges.set(from, (edges.get(from) ?? new Set()).add(to));
    }
    const cycles = new Set<string>();
    const visit = (node: string, path: string[]) => {
      for (const next of edges.get(node) ?? []) {
        if (path.includes(next)) cycles.add([...path.slice(path.indexOf(next)), next].join(' → '));
        else visit(next, [...path, next]);
      }
    };
    for (const folder of edges.keys()) visit(folder, [folder]);
    expect([...cycles]).toEqual([]);
  });
});
