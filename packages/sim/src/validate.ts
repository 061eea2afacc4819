/**
 * The boundary: untrusted JSON in, a `Scenario` or a list of problems out, each naming the JSON
 * path of the bad field and why it is bad. Nothing runs unless everything is valid.
 */
import type { z } from 'zod';
import { resolveScenario, formatPath, type Scenario, type ScenarioIssue } from './scenario.ts';
import { ScenarioSchema } from './scenario-schema.ts';

export type ParseResult = { ok: true; scenario: Scenario } | { ok: false; issues: ScenarioIssue[] };

export function parseScenario(input: unknown): ParseResult {
  const parsed = ScenarioSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) return { ok: false, issues: dedupe(parsed.error.issues.flatMap((i) => describeIssue(i, []))) };
  return resolveScenario(parsed.data);
}

/** Parses JSON text; a syntax error is reported like any other problem. */
export function parseScenarioText(text: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, issues: [{ path: '(file)', message: `not valid JSON: ${(e as Error).message}` }] };
  }
  return parseScenario(json);
}

type Issue = z.core.$ZodIssue;

function describeIssue(issue: Issue, prefix: readonly PropertyKey[]): ScenarioIssue[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // Report the alternative that got furthest, not "Invalid input": a tuple given for a
    // duration should hear what is wrong with the tuple.
    const best = [...issue.errors].sort((a, b) => score(b) - score(a))[0] ?? [];
    return best.flatMap((i) => describeIssue(i, path));
  }
  return [{ path: formatPath(path), message: messageOf(issue) }];
}

/** How far an alternative of a union got: deeper paths and fewer type mismatches win. */
function score(issues: readonly Issue[]): number {
  return Math.max(...issues.map((i) => i.path.length * 10 + (i.code === 'invalid_type' ? 0 : 5)));
}

function messageOf(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const got = (issue as { input?: unknown }).input;
      if (got === undefined) return `required field is missing (expected ${issue.expected})`;
      return `expected ${issue.expected}, got ${describeValue(got)}`;
    }
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}, got ${describeValue((issue as { input?: unknown }).input)}`;
    case 'invalid_union':
      if ((issue as { note?: string }).note === 'No matching discriminator') {
        const options = (issue as { options?: unknown[] }).options ?? [];
        const holder = (issue as { input?: unknown }).input;
        const key = issue.path[issue.path.length - 1];
        const got = typeof holder === 'object' && holder !== null && key !== undefined ? (holder as Record<PropertyKey, unknown>)[key] : holder;
        return `${got === undefined ? 'required field is missing' : `unknown ${String(key ?? 'kind')} ${describeValue(got)}`}; expected one of ${options.map((o) => `"${String(o)}"`).join(', ')}`;
      }
      return issue.message;
    case 'too_small':
      if (issue.origin === 'array') return `expected ${issue.exact === true ? 'exactly' : 'at least'} ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}, got ${countOf(issue)}`;
      return issue.origin === 'string' ? 'must not be empty' : issue.message;
    case 'too_big':
      if (issue.origin === 'array') return `expected ${issue.exact === true ? 'exactly' : 'at most'} ${issue.maximum} items, got ${countOf(issue)}`;
      return issue.origin === 'string' ? `must be at most ${issue.maximum} characters` : issue.message;
    default:
      return issue.message;
  }
}

function countOf(issue: Issue): string {
  const input = (issue as { input?: unknown }).input;
  return Array.isArray(input) ? String(input.length) : 'a different number';
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return JSON.stringify(v);
}

function dedupe(issues: ScenarioIssue[]): ScenarioIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
