/** Display helpers: exact integer units in, readable text out. */
import { NL_PER_ML } from '@thecal/pump-core';

export const mL = (nl: number): string => `${(nl / NL_PER_ML).toFixed(3)} mL`;
export const mLPerDay = (nl: number): string => `${(nl / NL_PER_ML).toFixed(3)} mL/day`;
export const when = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

export function span(ms: number): string {
  const neg = ms < 0;
  let s = Math.round(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const text = d > 0 ? `${d} d ${h} h` : h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min` : `${s} s`;
  return neg ? `-${text}` : text;
}
