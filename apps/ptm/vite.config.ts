import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * Names the service worker's cache after this build (a hash of the built index.html, which lists
 * every hashed asset): a new build changes sw.js, so browsers install it, and its activation
 * deletes the old build's cache instead of keeping every old asset forever.
 */
function versionedServiceWorker(): Plugin {
  let outDir = 'dist';
  return {
    name: 'thecal-versioned-service-worker',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      const version = createHash('sha256').update(readFileSync(join(outDir, 'index.html'))).digest('hex').slice(0, 12);
      const swPath = join(outDir, 'sw.js');
      const sw = readFileSync(swPath, 'utf8');
      if (!sw.includes("'thecal-ptm-shell-dev'")) throw new Error('sw.js: the cache name placeholder is missing');
      writeFileSync(swPath, sw.replace("'thecal-ptm-shell-dev'", `'thecal-ptm-shell-${version}'`));
    },
  };
}

// Served by the clinic server at /ptm/ (apps/clinic-server/src/http/web-apps.ts); public/sw.js
// caches the shell from that scope so the app opens offline.
export default defineConfig({
  base: '/ptm/',
  plugins: [react(), versionedServiceWorker()],
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 600 },
});
