// Vite config of the browser benchmark page (bench/page.html), separate from the library build:
//
//   npx vite --config bench/vite.config.ts          # dev server; the page is at its root URL
//   npx vite build --config bench/vite.config.ts    # static build in bench/dist/ (git-ignored)
//
// test/browser/bench.test.ts builds with this config into a temporary directory.
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { wgslReflectPlugin } from '../scripts/wgsl-reflect-plugin.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Serves the page at the root URL too (the URL the dev server prints), in `vite` and `vite preview`. */
function pageAtRoot(): Plugin {
  const rewrite = (req: { url?: string }, _res: unknown, next: () => void) => {
    if (req.url === '/' || req.url?.startsWith('/?')) req.url = `/bench/page.html${req.url.slice(1)}`;
    next();
  };
  return {
    name: 'bench-page-at-root',
    configureServer: (server) => {
      server.middlewares.use(rewrite);
    },
    configurePreviewServer: (server) => {
      server.middlewares.use(rewrite);
    },
  };
}

export default defineConfig({
  root,
  plugins: [wgslReflectPlugin(), pageAtRoot()],
  // navigator.gpu needs a secure context: localhost / 127.0.0.1 qualify.
  server: { host: '127.0.0.1', open: '/' },
  preview: { host: '127.0.0.1', open: '/' },
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
