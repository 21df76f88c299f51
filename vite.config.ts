import { builtinModules } from 'node:module';
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { wgslReflectPlugin } from './scripts/wgsl-reflect-plugin.js';

const external = ['webgpu', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default defineConfig({
  plugins: [wgslReflectPlugin()],
  build: {
    target: 'es2022',
    minify: false,
    sourcemap: true,
    emptyOutDir: true,
    lib: {
      entry: {
        index: 'src/index.ts',
        cpu: 'src/cpu.ts',
        node: 'src/node.ts',
        cli: 'src/cli/main.ts',
      },
      formats: ['es'],
    },
    rollupOptions: { external },
  },
  test: {
    // Two test files at a time even on a 2-core machine (vitest's default there is one): most files wait on child
    // processes, Chromium or the GPU queue, and with one worker `npm test` kept 0.8 of the 2 cores busy.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/browser/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
