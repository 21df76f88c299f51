// Package hygiene: what a user installs and runs.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('package', () => {
  it('has no runtime dependencies and no install scripts; webgpu and @webgpu/types are optional peers', () => {
    expect(pkg['dependencies']).toBeUndefined();
    const scripts = (pkg['scripts'] ?? {}) as Record<string, string>;
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) expect(scripts[hook]).toBeUndefined();
    expect((pkg['peerDependenciesMeta'] as Record<string, { optional: boolean }>)['webgpu']?.optional).toBe(true);
    expect((pkg['peerDependenciesMeta'] as Record<string, { optional: boolean }>)['@webgpu/types']?.optional).toBe(true);
    expect(pkg['sideEffects']).toBe(false);
  });

  it('the sources and shaders use no eval, new Function or network access', () => {
    for (const f of [...files(join(root, 'src')), ...files(join(root, 'shaders'))]) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/\beval\s*\(|new\s+Function\s*\(|\bfetch\s*\(|XMLHttpRequest|WebSocket|node:(http|https|net)\b/);
    }
  });

  it('npm pack ships only dist, types, bin, shaders, docs, README and package.json', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
    const listed = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(listed).toContain('dist/index.js');
    expect(listed).toContain('dist/types/index.d.ts');
    expect(listed).toContain('bin/webgpu-weight-init.js');
    expect(listed).toContain('types/ts5/index.d.ts');
    for (const p of listed) expect(p, p).toMatch(/^(dist\/|types\/ts5\/|bin\/|shaders\/|docs\/|README\.md$|package\.json$|LICENSE$)/);
    expect(listed.some((p) => p.startsWith('test/') || p.startsWith('src/') || p.startsWith('node_modules/'))).toBe(false);
  });
});

describe('npm pack before any build', () => {
  // npm runs `prepack` before it packs a tarball, on `npm pack` and `npm publish` (docs.npmjs.com, cli/v10
  // using-npm/scripts, "Life Cycle Scripts"). Checked end to end once, by packing a copy of the checkout without
  // dist/ (18 s on the 2-core build machine, too slow for CI): the tarball then held dist/; without prepack it did not.
  it('prepack builds dist/, where every entry point and the bin script lead', () => {
    const scripts = pkg['scripts'] as Record<string, string>;
    expect(scripts['prepack']).toBe('npm run build');
    expect(scripts['build']).toMatch(/^vite build && tsc -p tsconfig\.build\.json$/);
    const exportsMap = pkg['exports'] as Record<string, string | Record<string, string>>;
    for (const [entry, target] of Object.entries(exportsMap)) {
      if (typeof target === 'string') continue;
      expect(target['default'], entry).toMatch(/^\.\/dist\/[a-z]+\.js$/);
    }
    expect(readFileSync(join(root, 'bin/webgpu-weight-init.js'), 'utf8')).toMatch(/\.\.\/dist\/cli\.js/);
  });
});

describe('version', () => {
  it('src/version.ts matches package.json', async () => {
    const { VERSION } = await import('../../src/version.js');
    expect(VERSION).toBe(pkg['version']);
  });
});
