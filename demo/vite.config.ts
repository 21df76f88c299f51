// Vite config of the model demo page (demo/index.html + demo/main.ts), separate from the library build:
//
//   npx vite --config demo/vite.config.ts          # dev server on 127.0.0.1; opens the page
//   npx vite build --config demo/vite.config.ts    # static build in demo/dist/ (git-ignored by dist/)
//
// The page imports the library from ../src, so the `?raw` WGSL imports are Vite's and the `?reflect`
// ones go through the repository's plugin (scripts/wgsl-reflect-plugin.ts), exactly as in the library
// build. test/browser/demo.test.ts builds with this config into a temporary directory.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { wgslReflectPlugin } from '../scripts/wgsl-reflect-plugin.js';

const demo = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root: demo,
  // Relative asset URLs: the build works from any directory of a static host.
  base: './',
  publicDir: false,
  plugins: [wgslReflectPlugin()],
  // navigator.gpu needs a secure context: localhost / 127.0.0.1 qualify. The dev server reads ../src and
  // ../shaders, outside the root.
  server: { host: '127.0.0.1', open: '/', fs: { allow: [repo] } },
  preview: { host: '127.0.0.1', open: '/' },
  build: {
    target: 'es2022',
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    minify: false,
    sourcemap: true,
    chunkSizeWarningLimit: 8192,
  },
});
