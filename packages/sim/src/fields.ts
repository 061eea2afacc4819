/**
 * Zod builders for the field kinds of a scenario file: quantities, durations, times, UTC offsets,
 * times of day. Each parses exactly (see quantities.ts, time-syntax.ts) and says, on failure, what
 * was expected and what it got. Each also registers the JSON Schema it stands for, because the
 * conversions are transforms that `z.toJSONSchema` cannot describe by itself.
 */
import { z } from 'zod';
import { formatDisplay, quantityPattern, toCoreUnits, type Dimension } from './quantities.ts';
import { checkUtcOffsetMs, formatDuration, parseDuration, parseTimeOfDay, parseTimeRef, parseUtcOffset, type Parsed, type TimeRef } from './time-syntax.ts';

/** JSON Schema fragments that replace what zod would generate for a field (see json-schemas.ts). */
export const jsonSchemaOverrides = new WeakMap<object, Record<string, unknown>>();

/** Definitions the fragments refer to (`#/$defs/…`), so each pattern is written once. */
export const sharedJsonSchemaDefs: Record<string, Record<string, unknown>> = {};

function shared(name: string, schema: Record<string, unknown>): Record<string, unknown> {
  sharedJsonSchemaDefs[name] = schema;
  return { $ref: `#/$defs/${name}` };
}

function registered<T extends z.ZodType>(schema: T, jsonSchema: Record<string, unknown>): T {
  jsonSchemaOverrides.set(schema, jsonSchema);
  return schema;
}

function fromParsed<T>(parsed: Parsed<T>, ctx: z.RefinementCtx): T {
  if (parsed.ok) return parsed.value;
  ctx.addIssue({ code: 'custom', message: parsed.message });
  return z.NEVER;
}

export const INSTANT_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})$';
export const DURATION_PATTERN = '^P(\\d+(\\.\\d+)?W)?(\\d+(\\.\\d+)?D)?(T(\\d+(\\.\\d+)?H)?(\\d+(\\.\\d+)?M)?(\\d+(\\.\\d+)?S)?)?$';
const SIGNED_DURATION_PATTERN = `^-?${DURATION_PATTERN.slice(1)}`;
const OFFSET_PATTERN = '^(Z|[+-]\\d{2}:\\d{2})$';
const TIME_OF_DAY_PATTERN = '^([01]\\d|2[0-3]):[0-5]\\d$';

export interface Range {
  min: number;
  max?: number;
  /** Why the bounds are what they are, appended to range messages ("the pump minimum"). */
  why?: string;
}

function rangeMessage(value: number, range: Range, unit: string, human: (v: number) => string | null, example: string | null): string | null {
  const show = (v: number, why?: string) => {
    const notes = [human(v), why].filter((n): n is string => n !== null && n !== undefined);
    return `${v}${unit ? ` ${unit}` : ''}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
  };
  const alt = example === null ? '' : `, or a string with a unit such as "${example}"`;
  if (value < range.min) return `expected a whole number ≥ ${show(range.min, range.why)}${alt}; got ${show(value)}`;
  if (range.max !== undefined && value > range.max) return `expected a whole number ≤ ${show(range.max, range.why)}${alt}; got ${show(value)}`;
  return null;
}

/**
 * A quantity in the core's integer unit: a whole number, or a string with a unit that converts
 * exactly ("0.5 mL/day"). `words` are literal strings let through unchanged (e.g. "expected").
 */
export function quantity<W extends string = never>(dim: Dimension, range: Range, description: string, words: readonly W[] = []) {
  const schema = z.union([z.number(), z.string()]).transform((input, ctx): number | W => {
    if (typeof input === 'string' && (words as readonly string[]).includes(input)) return input as W;
    const converted = fromParsed(toCoreUnits(input, dim), ctx);
    if (typeof converted !== 'number') return z.NEVER;
    const problem = rangeMessage(converted, range, dim.coreUnit, (v) => formatDisplay(v, dim), dim.example);
    if (problem !== null) {
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    return converted;
  });
  const anyOf: Record<string, unknown>[] = [
    { type: 'integer', minimum: range.min, ...(range.max === undefined ? {} : { maximum: range.max }) },
    shared(`${dim.id}-with-unit`, { type: 'string', pattern: quantityPattern(dim), description: `A ${dim.name} with a unit (${dim.mainUnits.join(', ')}, …), converted exactly to ${dim.coreUnit}.` }),
  ];
  if (words.length > 0) anyOf.push({ type: 'string', enum: [...words] });
  return registered(schema, {
    description: `${description} Whole ${dim.coreUnit}, or a string with a unit that converts exactly (e.g. "${dim.example}").`,
    anyOf,
  });
}

/** A whole number with a range (counts, lengths, seeds). */
export function wholeNumber(range: Range, description: string, unit = '') {
  const schema = z.number().transform((input, ctx) => {
    if (!Number.isSafeInteger(input)) {
      ctx.addIssue({ code: 'custom', message: `expected a whole number${unit ? ` of ${unit}` : ''}, got ${input}` });
      return z.NEVER;
    }
    const problem = rangeMessage(input, range, unit, () => null, null);
    if (problem !== null) {
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    return input;
  });
  return registered(schema, { description, type: 'integer', minimum: range.min, ...(range.max === undefined ? {} : { maximum: range.max }) });
}

/** A duration: whole milliseconds, or an ISO-8601 duration ("PT15M", "P2DT3H"). */
export function duration(range: Range, description: string, opts: { allowNegative?: boolean } = {}) {
  const schema = z.union([z.number(), z.string()]).transform((input, ctx) => {
    let ms: number;
    if (typeof input === 'number') {
      if (!Number.isSafeInteger(input)) {
        ctx.addIssue({ code: 'custom', message: `expected a whole number of ms or an ISO-8601 duration such as "PT15M", got ${input}` });
        return z.NEVER;
      }
      ms = input;
    } else {
      ms = fromParsed(parseDuration(input, opts), ctx);
      if (typeof ms !== 'number') return z.NEVER;
    }
    const problem = rangeMessage(ms, range, 'ms', formatDuration, 'PT15M');
    if (problem !== null) {
      ctx.addIssue({ code: 'custom', message: problem.replace('a string with a unit such as', 'an ISO-8601 duration such as') });
      return z.NEVER;
    }
    return ms;
  });
  return registered(schema, {
    description: `${description} Whole ms, or an ISO-8601 duration in W/D/H/M/S (e.g. "PT15M", "P2DT3H").`,
    anyOf: [
      { type: 'integer', minimum: range.min, ...(range.max === undefined ? {} : { maximum: range.max }) },
      opts.allowNegative === true
        ? shared('signed-duration', { type: 'string', pattern: SIGNED_DURATION_PATTERN, description: 'An ISO-8601 duration, optionally negative ("-PT5M").' })
        : shared('duration', { type: 'string', pattern: DURATION_PATTERN, description: 'An ISO-8601 duration in W, D, H, M, S ("P2DT3H", "PT90M"); no years or months.' }),
    ],
  });
}

const instantDef = () => shared('instant', { type: 'string', pattern: INSTANT_PATTERN, description: 'An ISO-8601 date-time with zone ("2026-03-02T08:00:00Z").' });
const durationDef = () => shared('duration', { type: 'string', pattern: DURATION_PATTERN, description: 'An ISO-8601 duration in W, D, H, M, S ("P2DT3H", "PT90M"); no years or months.' });

/** A time: an ISO-8601 date-time with zone, or a duration after the scenario start ("P2DT3H"). */
export function timeRef(description: string, id?: string) {
  const parse = z.string().transform((input, ctx) => fromParsed(parseTimeRef(input), ctx));
  // An id makes the JSON Schema define it once under $defs.
  const schema = id === undefined ? parse : parse.meta({ id });
  return registered(schema, {
    description: `${description} An ISO-8601 date-time with zone ("2026-03-02T08:00:00Z"), or an ISO-8601 duration after the scenario start ("P2DT3H").`,
    anyOf: [instantDef(), durationDef()],
  });
}

/** A core `…UtcMs` / `…DateMs` field: epoch ms, or a time as in `timeRef`. */
export function instantField(description: string) {
  const schema = z.union([z.number(), z.string()]).transform((input, ctx): TimeRef => {
    if (typeof input === 'number') {
      if (Number.isSafeInteger(input)) return { kind: 'absolute', ms: input, text: String(input) };
      ctx.addIssue({ code: 'custom', message: `expected whole epoch milliseconds or a date-time string, got ${input}` });
      return z.NEVER;
    }
    return fromParsed(parseTimeRef(input), ctx);
  });
  return registered(schema, {
    description: `${description} Epoch ms, an ISO-8601 date-time with zone, or a duration after the scenario start.`,
    anyOf: [{ type: 'integer' }, instantDef(), durationDef()],
  });
}

/** A UTC offset: whole ms, or "+01:00". */
export function utcOffset(description: string) {
  const schema = z.union([z.number(), z.string()]).transform((input, ctx) =>
    fromParsed(typeof input === 'number' ? checkUtcOffsetMs(input, `${input} ms`) : parseUtcOffset(input), ctx),
  );
  return registered(schema, {
    description: `${description} Whole ms, or "+01:00" / "-05:30" / "Z"; quarter hours from -12:00 to +14:00.`,
    anyOf: [
      { type: 'integer', minimum: -43_200_000, maximum: 50_400_000, multipleOf: 900_000 },
      shared('utc-offset', { type: 'string', pattern: OFFSET_PATTERN, description: 'A UTC offset ("+01:00", "-05:30", "Z").' }),
    ],
  });
}

const timeOfDayDef = () => shared('time-of-day', { type: 'string', pattern: TIME_OF_DAY_PATTERN, description: 'A local time of day, "HH:MM".' });

/** Minutes after local midnight: a whole number 0–1439, or "08:30". */
export function minuteOfDay(description: string) {
  const schema = z.union([z.number(), z.string()]).transform((input, ctx) => {
    if (typeof input === 'string') return fromParsed(parseTimeOfDay(input), ctx);
    if (!Number.isSafeInteger(input) || input < 0 || input > 1439) {
      ctx.addIssue({ code: 'custom', message: `expected a whole minute from 0 to 1439 or a time such as "08:30", got ${input}` });
      return z.NEVER;
    }
    return input;
  });
  return registered(schema, {
    description: `${description} Whole minutes after local midnight (0–1439), or "HH:MM".`,
    anyOf: [{ type: 'integer', minimum: 0, maximum: 1439 }, timeOfDayDef()],
  });
}

/** A local time of day as minutes, written "HH:MM" only (series times). */
export function timeOfDay(description: string) {
  const schema = z.string().transform((input, ctx) => fromParsed(parseTimeOfDay(input), ctx));
  return registered(schema, { description: `${description} "HH:MM", local time.`, ...timeOfDayDef() });
}

export function withDescription<T extends z.ZodType>(schema: T, description: string): T {
  return schema.meta({ description }) as T;
}
