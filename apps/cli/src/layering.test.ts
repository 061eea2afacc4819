/**
 * ARCHITECTURE.md's import rules, checked on the source: libraries in packages/ never import an
 * app, and each package imports only the workspace packages its row allows.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const ALLOWED: Record<string, readonly string[]> = {
  'packages/pump-core': [],
  'packages/pump-schemas': ['@thecal/pump-core'],
  'packages/control-port': ['@thecal/pump-core', '@thecal/pump-schemas'],
  'packages/sim': ['@thecal/pump-core', '@thecal/pump-schemas'],
  'packages/protocol': ['@thecal/pump-core', '@thecal/pump-schemas'],
  'packages/therapy-calc': ['@thecal/pump-core'],
  'packages/patient': ['@thecal/pump-core', '@thecal/sim'],
  'apps/virtual-pump': ['@thecal/pump-core', '@thecal/protocol', '@thecal/patient', '@thecal/control-port'],
  'apps/clinic-server': ['@thecal/pump-core', '@thecal/sim', '@thecal/therapy-calc', '@thecal/patient'],
  'apps/programmer': ['@thecal/pump-core', '@thecal/pump-schemas', '@thecal/protocol', '@thecal/therapy-calc'],
  'apps/ptm': ['@thecal/pump-core', '@thecal/pump-schemas', '@thecal/protocol', '@thecal/therapy-calc'],
  'apps/instructor': ['@thecal/pump-core', '@thecal/patient', '@thecal/therapy-calc', '@thecal/control-port'],
  'apps/cli': ['@thecal/pump-core', '@thecal/sim', '@thecal/protocol', '@thecal/patient', '@thecal/virtual-pump', '@thecal/clinic-server', '@thecal/therapy-calc'],
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

const workspaces = ['packages', 'apps'].flatMap((kind) =>
  readdirSync(join(repo, kind))
    .filter((name) => existsSync(join(repo, kind, name, 'package.json')))
    .map((name) => `${kind}/${name}`),
);

describe('layering', () => {
  it('every workspace has a row in the import rules', () => {
    assert.deepEqual(workspaces.filter((w) => !(w in ALLOWED)), []);
  });
  for (const folder of workspaces) {
    const allowed = ALLOWED[folder] ?? [];
    it(`${folder} imports only ${allowed.length === 0 ? 'its own modules' : allowed.join(', ')} from the workspace`, () => {
      const files = sources(join(repo, folder, 'src'));
      assert.ok(files.length > 0);
      for (const file of files) {
        for (const m of readFileSync(file, 'utf8').matchAll(/from\s+'(@thecal\/[^'/]+)/g)) {
          assert.ok(allowed.includes(m[1] ?? ''), `${file.slice(repo.length)} imports ${m[1]}`);
        }
        for (const m of readFileSync(file, 'utf8').matchAll(/from\s+'(\.\.\/)+(apps|packages)\//g)) {
          assert.fail(`${file.slice(repo.length)} reaches into another workspace by path: ${m[0]}`);
        }
      }
    });
  }
});
