// Vite config of the browser benchmark page (bench/page.html), separate from the library build:
//
//   npx vite --config bench/vite.config.ts          # dev server; its root URL redirects to the page
//   npx vite build --config bench/vite.config.ts    # static build in bench/dist/ (git-ignored)
//
// test/browser/bench.test.ts builds with this config into a temporary directory.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { wgslReflectPlugin } from '../scripts/wgsl-reflect-plugin.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Sends the root URL (the URL the dev server prints and opens) to the page, in `vite` and `vite preview`: a redirect,
 * not a rewrite, so that the page's relative URLs (./page.ts in the dev server) resolve against /bench/.
 */
function pageAtRoot(): Plugin {
  const redirect = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    if (req.url === '/' || req.url?.startsWith('/?')) {
      res.statusCode = 302;
      res.setHeader('Location', `/bench/page.html${req.url.slice(1)}`);
      res.end();
      return;
    }
    next();
  };
  return {
    name: 'bench-page-at-root',
    configureServer: (server) => {
      server.middlewares.use(redirect);
    },
    configurePreviewServer: (server) => {
      server.middlewares.use(redirect);
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
