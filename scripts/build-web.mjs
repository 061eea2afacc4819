#!/usr/bin/env node
// Builds every browser app (each apps/* workspace with a vite.config.ts) into its dist/ folder,
// where the clinic server serves it. `node scripts/build-web.mjs programmer` builds only that one.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
const only = process.argv.slice(2);
const apps = readdirSync(join(root, 'apps')).filter(
  (name) => existsSync(join(root, 'apps', name, 'vite.config.ts')) && (only.length === 0 || only.includes(name)),
);
for (const name of apps) {
  const started = Date.now();
  console.log(`building apps/${name} ...`);
  const r = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: join(root, 'apps', name), stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build failed: apps/${name}`);
    process.exit(r.status ?? 1);
  }
  console.log(`built apps/${name} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
if (apps.length === 0) console.log('no browser apps to build');
