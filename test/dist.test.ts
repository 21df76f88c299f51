// The published entry points, imported by package name (Node resolves the package's own `exports`
// map to dist/), must work like the sources.
import { describe, expect, it } from 'vitest';
import * as gpuDist from 'webgpu-weight-init';
import * as cpuDist from 'webgpu-weight-init/cpu';
import * as nodeDist from 'webgpu-weight-init/node';
import { uniform } from '../src/contract/distributions.js';
import { generate } from '../src/twin/generate.js';

describe('built dist/', () => {
  it('the CPU entry gives the same bits as the sources', () => {
    const o = { seed: 99n, stream: 4n, start: 123n, count: 1001 };
    expect(cpuDist.generate({ ...o, dist: cpuDist.uniform(-3, 3) })).toEqual(generate({ ...o, dist: uniform(-3, 3) }));
    expect(cpuDist.generate(o)).toEqual(generate(o));
  });

  it('nothing the browser entry imports references the webgpu package or Node built-ins', async () => {
    const { readFile } = await import('node:fs/promises');
    const { dirname, join } = await import('node:path');
    const { fileURLToPath } = await import('node:url');
    const seen = new Set<string>();
    const visit = async (file: string): Promise<void> => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = await readFile(file, 'utf8');
      expect(text, file).not.toMatch(/from\s*['"](webgpu|node:[a-z_]+)['"]|import\(\s*['"]webgpu/);
      for (const m of text.matchAll(/from\s*['"](\.\/[^'"]+)['"]/g)) await visit(join(dirname(file), m[1]!));
    };
    await visit(fileURLToPath(import.meta.resolve('webgpu-weight-init')));
    expect(seen.size).toBeGreaterThan(1);
    expect(typeof gpuDist.createContext).toBe('function');
  });

  it("the node entry generates on the GPU with the CPU twin's bits", async () => {
    const ctx = await nodeDist.createNodeContext();
    try {
      const r = await ctx.generate({ seed: 5, start: 7, count: 333, dist: nodeDist.uniform(0, 10) });
      const got = await ctx.readRange(r);
      r.buffer.destroy();
      expect(got).toEqual(cpuDist.generate({ seed: 5, start: 7, count: 333, dist: cpuDist.uniform(0, 10) }));
    } finally {
      ctx.destroy();
    }
  });
});
