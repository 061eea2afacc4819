/** Errors a handler throws to answer with a clear 4xx: a machine code, a sentence, and (for bad input) every offending field. */
import type { ZodError } from 'zod';

export interface FieldIssue {
  /** Where: "body.implant.catheterVolumeNl", "query.limit", "params.patientId". */
  path: string;
  message: string;
}

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new HttpError(404, 'not-found', `${what} not found`);
export const forbidden = (why: string) => new HttpError(403, 'forbidden', why);
export const conflict = (why: string) => new HttpError(409, 'conflict', why);

export function fromZod(where: 'body' | 'query' | 'params', error: ZodError): HttpError {
  const issues = error.issues.map((i) => {
    const path = [where, ...i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))].join('.').replace(/\.\[/g, '[');
    return { path, message: i.message };
  });
  const first = issues[0];
  const summary = first === undefined ? `invalid ${where}` : `${first.path}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`;
  return new HttpError(400, 'validation-failed', summary, issues);
}
