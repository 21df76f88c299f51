// The Node entry (src/node.ts) as a user's program meets it (issue 19): quiet without XDG_RUNTIME_DIR, one Dawn
// instance however many contexts come and go, and a lost device's workers released without destroy().
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniform } from '../src/contract/distributions.js';
import { createNodeContext, dawnInstanceCount, requestNodeGPU } from '../src/node.js';
import { generate } from '../src/twin/generate.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wwi-node-entry-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `node file` with XDG_RUNTIME_DIR unset and TMPDIR in the test's folder (so leftover folders show). */
function runBare(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: dir };
  delete env['XDG_RUNTIME_DIR'];
  const child = spawn(process.execPath, [file], { env, cwd: dir });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('a user program on a machine without XDG_RUNTIME_DIR', () => {
  it('prints nothing on stderr: no "XDG_RUNTIME_DIR is invalid" from the Vulkan drivers; the environment is left as it was', async () => {
    // The README's first steps as a user's app.mjs, against the built package (dist/).
    const app = join(dir, 'app.mjs');
    writeFileSync(
      app,
      `import { createNodeContext, initialize, installNodeGPU } from ${JSON.stringify(join(REPO, 'dist/node.js'))};
for (const strategy of ['kernel', 'upload']) {
  const ctx = await createNodeContext({ strategy });
  const r = await initialize(ctx, { init: { kind: 'heNormal' }, shape: [64, 32], seed: 42n, dtype: 'bf16' });
  const values = await ctx.readRange(r);
  r.buffer.destroy();
  ctx.destroy();
  console.log(strategy, values.length);
}
await installNodeGPU();
console.log('XDG_RUNTIME_DIR' in process.env ? 'set' : 'unset');
`,
    );
    const r = await runBare(app);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('kernel 2048\nupload 2048\nunset\n');
    // The private folder lived for the first adapter request only.
    expect(readdirSync(dir).filter((f) => f.startsWith('webgpu-weight-init-xdg-'))).toEqual([]);
  });
});

describe('resources', () => {
  it('contexts made and destroyed one after another share one Dawn instance (no instance kept per context)', async () => {
    const first = await requestNodeGPU();
    const before = dawnInstanceCount();
    expect(before).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 20; i++) {
      const ctx = await createNodeContext({ strategy: 'kernel' });
      if (i === 0) {
        const r = await ctx.generate({ seed: 1, count: 64, dist: uniform() });
        expect(await ctx.readRange(r)).toEqual(generate({ seed: 1, count: 64, dist: uniform() }));
      }
      ctx.destroy();
    }
    expect(dawnInstanceCount()).toBe(before);
    expect((await requestNodeGPU()).gpu).toBe(first.gpu);
  });

  const procStatus = '/proc/self/status';
  it.runIf(existsSync(procStatus))(
    'a context whose device is lost, without destroy(), stops its worker threads and closes their descriptors (Linux /proc counts)',
    async () => {
      const threads = () => Number(/Threads:\s+(\d+)/.exec(readFileSync(procStatus, 'utf8'))![1]);
      const fds = () => readdirSync('/proc/self/fd').length;
      // A first context starts what the process keeps anyway (Dawn, SwiftShader's threads, the SIMD module).
      const warm = await createNodeContext({ strategy: 'upload', threads: 2 });
      await warm.generate({ seed: 1, count: 1 << 16 });
      warm.destroy();
      await new Promise((r) => setTimeout(r, 300));
      const base = { threads: threads(), fds: fds() };

      const ctx = await createNodeContext({ strategy: 'upload', threads: 2 });
      const r = await ctx.generate({ seed: 2, count: 1 << 18 });
      r.buffer.destroy();
      expect(r.via).toBe('upload');
      // The context's two workers are running.
      expect(threads()).toBeGreaterThanOrEqual(base.threads + 2);
      // Lost without ctx.destroy(): here by destroying the device directly.
      ctx.device.destroy();
      await ctx.lost;
      let waited = 0;
      while ((threads() > base.threads || fds() > base.fds) && waited < 5000) {
        await new Promise((r) => setTimeout(r, 50));
        waited += 50;
      }
      expect({ threads: threads(), fds: fds() }).toEqual(base);
    },
  );
});
