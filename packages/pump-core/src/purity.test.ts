/**
 * The functional core's promises, checked on its source: it imports nothing outside its own
 * folder, reads no clock, draws no random numbers, sets no timers and does no I/O.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'testing' ? [] : sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

const FORBIDDEN: [RegExp, string][] = [
  [/\bDate\.now\s*\(/, 'reads the clock'],
  [/\bnew Date\s*\(\s*\)/, 'reads the clock'],
  [/\bperformance\.now\s*\(/, 'reads the clock'],
  [/\bMath\.random\s*\(/, 'draws random numbers'],
  [/\bcrypto\.getRandomValues\b/, 'draws random numbers'],
  [/\bset(Timeout|Interval|Immediate)\s*\(/, 'sets a timer'],
  [/\bprocess\./, 'touches the process'],
  [/\bfetch\s*\(/, 'does network I/O'],
];

describe('the pump core is a functional core', () => {
  const files = sources(root);
  it('has source files to check', () => assert.ok(files.length > 10));
  for (const file of files) {
    it(`${file.slice(root.length)} imports only its own modules and touches nothing outside`, () => {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)) {
        assert.ok(m[1]?.startsWith('./') || m[1]?.startsWith('../'), `imports "${m[1]}"`);
      }
      const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      for (const [pattern, what] of FORBIDDEN) assert.doesNotMatch(code, pattern, `it ${what}`);
    });
  }
});
