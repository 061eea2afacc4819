/**
 * Which browser apps need a (re)build before `thecal start` serves them: an app whose dist/ is
 * missing or older than any source it is built from (its own folder or a workspace package).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

const SKIP = new Set(['node_modules', 'dist', 'e2e', '.vite']);

function newestMtimeMs(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path)) {
    if (SKIP.has(name) || name.endsWith('.test.ts')) continue;
    newest = Math.max(newest, newestMtimeMs(join(path, name)));
  }
  return newest;
}

export interface WebAppState {
  name: string;
  reason: 'never built' | 'sources changed' | null;
}

export function webAppStates(repoRoot: string): WebAppState[] {
  const apps = readdirSync(join(repoRoot, 'apps')).filter((name) => existsSync(join(repoRoot, 'apps', name, 'vite.config.ts')));
  const shared = Math.max(...readdirSync(join(repoRoot, 'packages')).map((p) => newestMtimeMs(join(repoRoot, 'packages', p, 'src'))), 0);
  return apps.map((name) => {
    const dir = join(repoRoot, 'apps', name);
    const built = join(dir, 'dist', 'index.html');
    if (!existsSync(built)) return { name, reason: 'never built' };
    const sources = Math.max(shared, newestMtimeMs(join(dir, 'src')), newestMtimeMs(join(dir, 'public')), newestMtimeMs(join(dir, 'index.html')), newestMtimeMs(join(dir, 'vite.config.ts')));
    return { name, reason: sources > statSync(built).mtimeMs ? 'sources changed' : null };
  });
}

/** Runs scripts/build-web.mjs for the given apps, its output going to stderr as it comes. */
export function buildWebApps(repoRoot: string, names: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'scripts', 'build-web.mjs'), ...names], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`building the web apps failed (exit ${code}); run "npm run build:web" to see why`))));
  });
}
