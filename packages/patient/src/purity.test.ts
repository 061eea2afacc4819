/**
 * The virtual patient stays like the pump core: it imports only its own modules and the two
 * packages its row in ARCHITECTURE.md allows, reads no clock, draws no random numbers of its own
 * (the caller passes a seeded generator), sets no timers and does no I/O.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const files = readdirSync(root).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'));

const FORBIDDEN: [RegExp, string][] = [
  [/\bDate\.now\s*\(/, 'reads the clock'],
  [/\bnew Date\s*\(\s*\)/, 'reads the clock'],
  [/\bperformance\.now\s*\(/, 'reads the clock'],
  [/\bMath\.random\s*\(/, 'draws random numbers'],
  [/\bcrypto\./, 'draws random numbers'],
  [/\bset(Timeout|Interval|Immediate)\s*\(/, 'sets a timer'],
  [/\bprocess\./, 'touches the process'],
  [/\bfetch\s*\(/, 'does network I/O'],
  [/\brequire\s*\(/, 'loads modules at run time'],
];

describe('the virtual patient is pure', () => {
  it('has source files to check', () => assert.ok(files.length >= 8));
  for (const name of files) {
    it(`${name} imports only its own modules, pump-core and sim, and touches nothing outside`, () => {
      const text = readFileSync(join(root, name), 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)) {
        const spec = m[1] ?? '';
        assert.ok(spec.startsWith('./') || spec === '@thecal/pump-core' || spec === '@thecal/sim', `imports "${spec}"`);
      }
      const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      for (const [pattern, what] of FORBIDDEN) assert.doesNotMatch(code, pattern, `it ${what}`);
    });
  }
});
