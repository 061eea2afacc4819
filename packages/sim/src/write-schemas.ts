/**
 * Writes docs/schemas/scenario.schema.json and report.schema.json from the zod schemas:
 *   node --import tsx packages/sim/src/write-schemas.ts
 * A test (schemas.test.ts) fails when the committed files differ from what this writes.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { reportJsonSchema, scenarioJsonSchema, schemaFileText } from './json-schemas.ts';

export const SCHEMA_FILES = {
  scenario: fileURLToPath(new URL('../../../docs/schemas/scenario.schema.json', import.meta.url)),
  report: fileURLToPath(new URL('../../../docs/schemas/report.schema.json', import.meta.url)),
} as const;

export function generatedSchemaTexts(): Record<keyof typeof SCHEMA_FILES, string> {
  return { scenario: schemaFileText(scenarioJsonSchema()), report: schemaFileText(reportJsonSchema()) };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const texts = generatedSchemaTexts();
  for (const name of Object.keys(SCHEMA_FILES) as (keyof typeof SCHEMA_FILES)[]) {
    writeFileSync(SCHEMA_FILES[name], texts[name]);
    console.log(`wrote ${SCHEMA_FILES[name]}`);
  }
}
