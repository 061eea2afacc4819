import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Served by the clinic server at /instructor/ (apps/clinic-server/src/http/web-apps.ts).
export default defineConfig({
  base: '/instructor/',
  plugins: [react()],
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true },
});
