import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webAppStates } from './web-build.ts';

function file(path: string, atS: number): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, 'x');
  utimesSync(path, atS, atS);
}

describe('which web apps need a build before thecal start', () => {
  it('rebuilds an app never built or older than its own or a shared package source; tests do not count', () => {
    const root = mkdtempSync(join(tmpdir(), 'thecal-webbuild-'));
    try {
      for (const app of ['fresh', 'stale', 'never', 'shared']) file(join(root, 'apps', app, 'vite.config.ts'), 1000);
      file(join(root, 'apps', 'not-web', 'src', 'main.ts'), 1000);
      file(join(root, 'packages', 'core', 'src', 'core.ts'), 1000);
      file(join(root, 'apps', 'fresh', 'src', 'main.tsx'), 1000);
      file(join(root, 'apps', 'fresh', 'src', 'late.test.ts'), 5000);
      file(join(root, 'apps', 'fresh', 'dist', 'index.html'), 2000);
      file(join(root, 'apps', 'stale', 'src', 'main.tsx'), 3000);
      file(join(root, 'apps', 'stale', 'dist', 'index.html'), 2000);
      file(join(root, 'apps', 'shared', 'dist', 'index.html'), 2000);
      const before = Object.fromEntries(webAppStates(root).map((a) => [a.name, a.reason]));
      assert.deepEqual(before, { fresh: null, stale: 'sources changed', never: 'never built', shared: null });
      file(join(root, 'packages', 'core', 'src', 'core.ts'), 2500);
      const after = Object.fromEntries(webAppStates(root).map((a) => [a.name, a.reason]));
      assert.deepEqual(after, { fresh: 'sources changed', stale: 'sources changed', never: 'never built', shared: 'sources changed' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
