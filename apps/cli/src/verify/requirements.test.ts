import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REQUIREMENTS } from './requirements.ts';
import { testNamesIn } from './test-names.ts';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));

describe('traceability map', () => {
  it('covers DOMAIN sections 4 (10 safety requirements) and 5 (security), each with at least one test', () => {
    assert.equal(REQUIREMENTS.filter((r) => r.section === 'safety').length, 10);
    assert.ok(REQUIREMENTS.filter((r) => r.section === 'security').length >= 8);
    assert.equal(new Set(REQUIREMENTS.map((r) => r.id)).size, REQUIREMENTS.length);
    for (const r of REQUIREMENTS) assert.ok(r.tests.length > 0, `${r.id} has no test`);
  });

  it('every test it names exists: the file, and a test of exactly that name in it', () => {
    const missing: string[] = [];
    for (const r of REQUIREMENTS) {
      for (const t of r.tests) {
        const path = join(repo, t.file);
        if (!existsSync(path)) {
          missing.push(`${r.id}: no file ${t.file}`);
          continue;
        }
        if (!testNamesIn(readFileSync(path, 'utf8')).includes(t.test)) missing.push(`${r.id}: no test "${t.test}" in ${t.file}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('reads test names the way node:test declares them, and not from comments or other calls', () => {
    const src = `// it('commented out', () => {})\ndescribe('group', () => { it("double", () => {}); it('it\\'s escaped', () => {}); });\nfoo('not a test');`;
    assert.deepEqual(testNamesIn(src), ['group', 'double', "it's escaped"]);
  });
});
