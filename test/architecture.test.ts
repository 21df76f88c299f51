// The layering of docs/architecture.md, checked on the source: imports go one way (contract ← init, models ←
// executors ← output ← entry points), src/models/ imports nothing that runs on a GPU, and no import cycle exists
// (type-only imports included: a cycle of types still ties two files together for a reader).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

/** Each top-level folder (or file) of src/ and the folders it may import from. */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  'errors.ts': [],
  'version.ts': [],
  contract: ['errors.ts'],
  init: ['contract', 'errors.ts'],
  models: ['contract', 'init', 'errors.ts'],
  twin: ['contract', 'init', 'errors.ts'],
  simd: ['contract', 'init', 'twin', 'errors.ts'],
  gpu: ['contract', 'init', 'twin', 'simd', 'errors.ts'],
  output: ['contract', 'init', 'models', 'twin', 'simd', 'gpu', 'errors.ts', 'version.ts'],
  bench: ['contract', 'init', 'models', 'twin', 'simd', 'gpu', 'output', 'errors.ts', 'version.ts'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative imports and re-exports of a file, as paths of .ts files under src/ (type-only ones included). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^'?]+)'/gms)]
    .map((m) => resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts'))
    .filter((p) => p.endsWith('.ts') && p.startsWith(SRC));
}

const layerOf = (file: string): string => relative(SRC, file).split('/')[0]!;
const graph = new Map(sourceFiles(SRC).map((f) => [f, importsOf(f)]));

describe('layers', () => {
  it('every import goes to a layer below (docs/architecture.md)', () => {
    const wrong: string[] = [];
    for (const [file, deps] of graph) {
      const allowed = MAY_IMPORT[layerOf(file)];
      if (!allowed) continue; // entry points (index.ts, cpu.ts, node.ts) and cli/ may import any layer
      for (const d of deps) {
        const to = layerOf(d);
        if (to !== layerOf(file) && !allowed.includes(to)) wrong.push(`${relative(SRC, file)} -> ${relative(SRC, d)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('the check sees the imports it judges (a known import of each kind is found)', () => {
    expect(graph.get(join(SRC, 'output/init-model.ts'))).toContain(join(SRC, 'models/model-plan.ts'));
    expect(graph.get(join(SRC, 'models/model-plan.ts'))).toContain(join(SRC, 'models/spec.ts'));
    expect(graph.size).toBeGreaterThan(50);
  });

  it('no module-level state in src/gpu: what a context runs on (runners, threads, caches) is owned by the context', () => {
    const found: string[] = [];
    for (const file of graph.keys()) {
      if (layerOf(file) !== 'gpu') continue;
      for (const [i, line] of readFileSync(file, 'utf8').split('\n').entries()) {
        if (/^(?:export\s+)?(?:let|var)\s/.test(line) || /^(?:export\s+)?const\s+\w+\s*(?::[^=]+)?=\s*new\s+(?:Weak)?(?:Map|Set)\b/.test(line)) {
          found.push(`${relative(SRC, file)}:${i + 1}: ${line.trim()}`);
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('no import cycle', () => {
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const cycles: string[] = [];
    const visit = (n: string) => {
      state.set(n, 'open');
      stack.push(n);
      for (const d of graph.get(n) ?? []) {
        if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].map((f) => relative(SRC, f)).join(' -> '));
        else if (!state.has(d)) visit(d);
      }
      stack.pop();
      state.set(n, 'done');
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});
