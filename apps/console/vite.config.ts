import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The console's build: plain Vite (Preact through its automatic JSX runtime, no plugin), output
 * in dist/console where the identity app serves it. `base: './'` keeps asset URLs relative, so
 * the same files work at /console/ and behind the /identity prefix.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // No inline modulepreload polyfill or data: URLs: the CSP allows only same-origin files.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
});
