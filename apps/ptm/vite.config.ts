import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Served by the clinic server at /ptm/ (apps/clinic-server/src/http/web-apps.ts); public/sw.js
// caches the shell from that scope so the app opens offline.
export default defineConfig({
  base: '/ptm/',
  plugins: [react()],
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 600 },
});
