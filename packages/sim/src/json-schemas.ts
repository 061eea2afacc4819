/**
 * JSON Schemas generated from the zod schemas, for docs/schemas/. The scenario schema describes
 * what a file may contain (zod's input side), with the exact-unit fields spelled out from their
 * registered fragments; the report schema describes what the simulator writes (the output side).
 */
import { z } from 'zod';
import { jsonSchemaOverrides, sharedJsonSchemaDefs } from './fields.ts';
import { ReportSchema } from './report-schema.ts';
import { ScenarioSchema } from './scenario-schema.ts';

const BASE_URL = 'https://thecal.invalid/schemas';

export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ScenarioSchema, {
    io: 'input',
    target: 'draft-2020-12',
    override: (ctx) => {
      const fragment = jsonSchemaOverrides.get(ctx.zodSchema);
      if (fragment === undefined) return;
      const target = ctx.jsonSchema as Record<string, unknown>;
      for (const key of Object.keys(target)) delete target[key];
      Object.assign(target, structuredClone(fragment));
    },
  }) as Record<string, unknown>;
  const defs = { ...((schema['$defs'] as Record<string, unknown> | undefined) ?? {}), ...sortedDefs() };
  return { ...header('scenario', 'Thecal scenario (thecal-scenario/1)'), ...withoutSchemaKey(schema), $defs: defs };
}

export function reportJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ReportSchema, { io: 'output', target: 'draft-2020-12' }) as Record<string, unknown>;
  return { ...header('report', 'Thecal simulation report (thecal-report/1)'), ...withoutSchemaKey(schema) };
}

function sortedDefs(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(sharedJsonSchemaDefs).sort()) out[name] = sharedJsonSchemaDefs[name];
  return out;
}

function header(name: string, title: string): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `${BASE_URL}/${name}.schema.json`,
    title,
    description: `Generated from packages/sim/src by write-schemas.ts; do not edit by hand.`,
  };
}

function withoutSchemaKey(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema, ...rest } = schema;
  void $schema;
  return rest;
}

/** The text of a schema file, as committed. */
export function schemaFileText(schema: Record<string, unknown>): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
