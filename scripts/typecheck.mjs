#!/usr/bin/env node
// Type-checks the Node code with the root tsconfig, then every workspace that carries its own
// tsconfig.json (the browser apps: DOM types and JSX instead of Node's).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const projects = ['tsconfig.json'];
for (const kind of ['packages', 'apps']) {
  for (const name of readdirSync(join(root, kind))) {
    const project = join(kind, name, 'tsconfig.json');
    if (existsSync(join(root, project))) projects.push(project);
  }
}
for (const project of projects) {
  const r = spawnSync(process.execPath, [tsc, '-p', project, '--noEmit'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`typecheck failed: ${project}`);
    process.exit(r.status ?? 1);
  }
}
console.log(`typecheck: ${projects.length} project(s) clean`);
