// Package hygiene: what a user installs and runs.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
  it('builds dist/ first (prepack), so a fresh checkout packs a working package', async () => {
    // A copy of the checkout as git sees it (tracked and new files, nothing ignored: no dist/), with the
    // repository's node_modules linked in.
    const copy = mkdtempSync(join(tmpdir(), 'wwi-pack-'));
    try {
      const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' });
      for (const f of listed.split('\0').filter((f) => f.length > 0 && existsSync(join(root, f)))) {
        mkdirSync(dirname(join(copy, f)), { recursive: true });
        copyFileSync(join(root, f), join(copy, f));
      }
      symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
      expect(existsSync(join(copy, 'dist'))).toBe(false);
      const out = execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: copy, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const packed = (JSON.parse(out.slice(out.indexOf('[\n'))) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
      for (const p of ['dist/index.js', 'dist/node.js', 'dist/cpu.js', 'dist/cli.js', 'dist/types/index.d.ts']) expect(packed, p).toContain(p);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('version', () => {
  it('src/version.ts matches package.json', async () => {
    const { VERSION } = await import('../../src/version.js');
    expect(VERSION).toBe(pkg['version']);
  });
});
