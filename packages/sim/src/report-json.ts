/**
 * The report as text. Objects are indented; each element of an array sits on its own line as
 * compact JSON. A ten-year report holds tens of thousands of rows: one row per line keeps it about
 * half the size of fully indented JSON and still easy to read, grep and diff. The same report
 * always gives the same bytes.
 */
import type { Report } from './report-schema.ts';

export function reportToJson(report: Report): string {
  return `${layout(report, '')}\n`;
}

function layout(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const inner = `${indent}  `;
    return `[\n${value.map((v) => `${inner}${JSON.stringify(v)}`).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const inner = `${indent}  `;
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${layout(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}
