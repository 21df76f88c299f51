// Vite config of the browser benchmark page (bench/page.html), separate from the library build:
//
//   npx vite --config bench/vite.config.ts          # dev server; opens /bench/page.html
//   npx vite build --config bench/vite.config.ts    # static build in bench/dist/ (git-ignored)
//
// test/browser/bench.test.ts builds with this config into a temporary directory.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { wgslReflectPlugin } from '../scripts/wgsl-reflect-plugin.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root,
  plugins: [wgslReflectPlugin()],
  // navigator.gpu needs a secure context: localhost / 127.0.0.1 qualify.
  server: { host: '127.0.0.1', open: '/bench/page.html' },
  preview: { host: '127.0.0.1', open: '/bench/page.html' },
  build: {
    target: 'es2022',
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    minify: false,
    sourcemap: true,
    chunkSizeWarningLimit: 8192,
    rollupOptions: { input: { page: fileURLToPath(new URL('./page.html', import.meta.url)) } },
  },
});
