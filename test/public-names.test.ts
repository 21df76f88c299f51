// The public surface: the names each published entry exports, read from the published types (dist/types, as
// `npm run build` writes them, @internal members stripped), against the committed list test/public-names.json. A
// name added or removed fails here until the list is updated on purpose:
//
//   npm run build && UPDATE_PUBLIC_NAMES=1 npx vitest run test/public-names.test.ts
//
// rewrites the list from the build (review its diff like code). Needs dist/ (npm test builds first), as
// test/dist.test.ts does.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LIST = join(ROOT, 'test/public-names.json');
const UPDATE = 'npm run build && UPDATE_PUBLIC_NAMES=1 npx vitest run test/public-names.test.ts';

/** Each entry of package.json "exports" (but ./package.json) and its published types. */
function entries(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { types?: string }> };
  const out: Record<string, string> = {};
  for (const [name, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'object' && target.types) out[name] = join(ROOT, target.types);
  }
  return out;
}

interface Names {
  /** Functions, classes, constants: what exists at run time. */
  readonly values: string[];
  /** Interfaces and type aliases. */
  readonly types: string[];
}

/** The names each entry's published .d.ts exports, split into values and types. */
function publishedNames(): Record<string, Names> {
  const files = entries();
  const program = ts.createProgram(Object.values(files), { types: ['@webgpu/types', 'node'], skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const out: Record<string, Names> = {};
  for (const [entry, file] of Object.entries(files)) {
    const source = program.getSourceFile(file);
    const module = source && checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`${entry}: no module at ${file}`);
    const values: string[] = [];
    const types: string[] = [];
    for (const symbol of checker.getExportsOfModule(module)) {
      // A value unless it is a type, or only exported as one (`export type { SomeClass }`) somewhere on its way here.
      let s = symbol;
      let typeOnly = false;
      while (s.flags & ts.SymbolFlags.Alias) {
        typeOnly ||= (s.declarations ?? []).some((d) => ts.isTypeOnlyImportOrExportDeclaration(d) || (ts.isExportSpecifier(d) && d.parent.parent.isTypeOnly));
        s = checker.getImmediateAliasedSymbol(s) ?? checker.getAliasedSymbol(s);
      }
      (!typeOnly && s.flags & ts.SymbolFlags.Value ? values : types).push(symbol.name);
    }
    out[entry] = { values: values.sort(), types: types.sort() };
  }
  return out;
}

/** The published types must exist: dist/ is what users get (npm test builds it first). */
function needBuild(): void {
  if (!existsSync(join(ROOT, 'dist/types/index.d.ts'))) expect.fail(`dist/types is missing: run ${UPDATE.split(' && ')[0]} first`);
}

describe('public names', () => {
  it('each entry exports exactly the committed list (test/public-names.json)', () => {
    needBuild();
    const names = publishedNames();
    if (process.env['UPDATE_PUBLIC_NAMES']) writeFileSync(LIST, `${JSON.stringify(names, null, 2)}\n`);
    const committed = JSON.parse(readFileSync(LIST, 'utf8')) as Record<string, Names>;
    for (const entry of new Set([...Object.keys(names), ...Object.keys(committed)])) {
      const now = names[entry] ?? { values: [], types: [] };
      const was = committed[entry] ?? { values: [], types: [] };
      const all = (n: Names) => [...n.values, ...n.types];
      const added = all(now).filter((n) => !all(was).includes(n));
      const removed = all(was).filter((n) => !all(now).includes(n));
      expect(
        { added, removed, moved: [...now.values.filter((n) => was.types.includes(n)), ...now.types.filter((n) => was.values.includes(n))] },
        `entry '${entry}': the public names changed; if that is deliberate, update the list with: ${UPDATE}`,
      ).toEqual({ added: [], removed: [], moved: [] });
    }
  });

  it('no published declaration is marked @internal (tsconfig.build.json strips them)', () => {
    needBuild();
    const marked: string[] = [];
    const visit = (dir: string) => {
      for (const f of readdirSync(dir)) {
        const p = join(dir, f);
        if (statSync(p).isDirectory()) visit(p);
        else if (p.endsWith('.d.ts') && readFileSync(p, 'utf8').includes('@internal')) marked.push(p.slice(ROOT.length));
      }
    };
    visit(join(ROOT, 'dist/types'));
    expect(marked).toEqual([]);
  });
});
