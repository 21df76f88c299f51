// Paths of this repository that comments and docs name exist: a moved or deleted file leaves no stale pointer behind
// (the shaders once named their CPU twins under a folder that no longer existed). Checked: every `src/…`, `test/…`,
// `shaders/…`, `docs/…`, `scripts/…`, `bench/…`, `demo/…`, `bin/…`, `types/…` path in Markdown files and in the
// comments of source files. Not checked: paths of other repositories (their second segment is not one of our
// folders, e.g. transformers' src/transformers/…), build outputs that git ignores (dist/), and paths built in code.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const TOP = ['src', 'test', 'shaders', 'docs', 'scripts', 'bench', 'demo', 'bin', 'types'];
const PATH = new RegExp(`(?<![\\w./@-])((?:${TOP.join('|')})/[\\w./*{},-]*[\\w*}])`, 'g');

const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' });
const tracked = git('ls-files')
  .split('\n')
  // src/output/onnx/proto/ is generated from ONNX's onnx.proto: its comments name paths of the onnx repository.
  .filter((f) => /\.(ts|mts|mjs|wgsl|md|sh|py|html)$/.test(f) && !f.startsWith('bench/results/') && !f.startsWith('src/output/onnx/proto/'));

/** The text of a file that is prose: all of a Markdown file, the comments of a source file. */
function prose(file: string): string {
  const text = readFileSync(join(ROOT, file), 'utf8');
  if (file.endsWith('.md')) return text;
  return text
    .split('\n')
    .map((line) => {
      const t = line.trim();
      if (t.startsWith('//') || t.startsWith('*') || t.startsWith('/*') || t.startsWith('#') || t.startsWith('<!--')) return t;
      const at = line.indexOf(' // ');
      return at >= 0 ? line.slice(at) : '';
    })
    .join('\n');
}

function isOurs(path: string): boolean {
  const [top, second] = path.split('/');
  if (!second || !existsSync(join(ROOT, top!))) return false;
  // A folder of ours (src/gpu/...) or a file directly in a top folder (docs/models.md); else another repository's path
  // (transformers' src/transformers is not one of our folders).
  const secondPath = join(ROOT, top!, second.replace(/[.,]$/, ''));
  return existsSync(secondPath) || existsSync(secondPath.replace(/\.js$/, '.ts')) || (!path.slice(top!.length + 1).includes('/') && /\.\w+$/.test(second));
}

function isIgnored(path: string): boolean {
  try {
    git('check-ignore', '-q', '--no-index', path);
    return true;
  } catch {
    return false;
  }
}

function missingPaths(): string[] {
  const missing: string[] = [];
  for (const file of tracked) {
    for (const m of prose(file).matchAll(PATH)) {
      let p = m[1]!.replace(/[.,]$/, '');
      if (/[*{]/.test(p)) p = p.replace(/\/[^/]*[*{].*$/, ''); // a glob or brace list: its folder must exist
      if (!isOurs(p)) continue;
      const candidates = [p, p.replace(/\.js$/, '.ts'), `${p}.ts`];
      if (candidates.some((c) => existsSync(join(ROOT, c)))) continue;
      if (isIgnored(p) || isIgnored(`${p}/`)) continue; // a build output (dist/) or another ignored path
      missing.push(`${file}: ${m[1]}`);
    }
  }
  return missing;
}

describe('paths named in comments and docs', () => {
  it('exist', () => {
    expect(missingPaths()).toEqual([]);
  });

  it('the scan reads comments and docs (known mentions are found)', () => {
    expect(prose('shaders/philox.wgsl')).toMatch(/src\/twin\/philox\.ts/);
    expect([...prose('README.md').matchAll(PATH)].length).toBeGreaterThan(10);
    expect(statSync(join(ROOT, 'docs/architecture.md')).isFile()).toBe(true);
  });
});
