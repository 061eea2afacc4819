import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SCHEMA_FILES, generatedSchemaTexts } from './write-schemas.ts';

describe('committed JSON Schemas', () => {
  const generated = generatedSchemaTexts();
  for (const name of Object.keys(SCHEMA_FILES) as (keyof typeof SCHEMA_FILES)[]) {
    it(`docs/schemas/${name}.schema.json is what the zod schemas generate (run: node --import tsx packages/sim/src/write-schemas.ts)`, () => {
      assert.equal(readFileSync(SCHEMA_FILES[name], 'utf8'), generated[name]);
    });
  }
});
