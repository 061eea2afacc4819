/**
 * Physical quantities in scenario files. Every quantity field is named after the unit the core
 * stores (`rateNlPerDay`, `volumeNl`, `maxDailyDosePg`, `concentrationMcgPerMl`); its value is
 * either a whole number in that unit or a string with a unit ("0.5 mL/day", "10 mg/mL") that
 * converts to a whole number exactly. Anything else is refused with the reason, never rounded.
 */
import { formatFixed, formatRatio, parseDecimal, scaleToWhole } from './decimal.ts';

export interface Dimension {
  /** Identifier, for the JSON Schema definitions ("volume"). */
  id: string;
  /** What the quantity is, for messages ("volume"). */
  name: string;
  /** The core's integer unit ("nL"). */
  coreUnit: string;
  /** Accepted unit spellings and how many core units one of them is. */
  units: ReadonlyMap<string, bigint>;
  /** The spellings named in messages. */
  mainUnits: readonly string[];
  /** The unit people read: core value / 10^places, e.g. nL → mL is 6 places. */
  display: { unit: string; places: number };
  example: string;
}

const MICRO = ['u', 'µ', 'μ'];
const volumeUnits: [string, bigint][] = [
  ['nL', 1n],
  ['nl', 1n],
  ...MICRO.flatMap((u): [string, bigint][] => [
    [`${u}L`, 1_000n],
    [`${u}l`, 1_000n],
  ]),
  ['mL', 1_000_000n],
  ['ml', 1_000_000n],
];
const amountUnits: [string, bigint][] = [
  ['pg', 1n],
  ['ng', 1_000n],
  ['mcg', 1_000_000n],
  ...MICRO.map((u): [string, bigint] => [`${u}g`, 1_000_000n]),
  ['mg', 1_000_000_000n],
];
const perDay: [string, bigint][] = [
  ['/day', 1n],
  ['/d', 1n],
];
const perTime: [string, bigint][] = [...perDay, ['/h', 24n], ['/min', 1_440n]];

function combine(base: [string, bigint][], suffixes: [string, bigint][]): [string, bigint][] {
  return base.flatMap(([u, f]) => suffixes.map(([s, g]): [string, bigint] => [`${u}${s}`, f * g]));
}

export const VOLUME: Dimension = {
  id: 'volume',
  name: 'volume',
  coreUnit: 'nL',
  units: new Map(volumeUnits),
  mainUnits: ['mL', 'uL', 'nL'],
  display: { unit: 'mL', places: 6 },
  example: '2 mL',
};
export const RATE: Dimension = {
  id: 'rate',
  name: 'rate',
  coreUnit: 'nL/day',
  units: new Map(combine(volumeUnits, perTime)),
  mainUnits: ['mL/day', 'uL/day', 'nL/day', 'mL/h', 'uL/h', 'uL/min'],
  display: { unit: 'mL/day', places: 6 },
  example: '0.5 mL/day',
};
export const AMOUNT: Dimension = {
  id: 'amount',
  name: 'drug amount',
  coreUnit: 'pg',
  units: new Map(amountUnits),
  mainUnits: ['mg', 'mcg', 'ng', 'pg'],
  display: { unit: 'mcg', places: 6 },
  example: '100 mcg',
};
/** A daily dose may be written as an amount ("20 mg") or an amount per day ("20 mg/day"). */
export const DAILY_AMOUNT: Dimension = {
  id: 'daily-amount',
  name: 'daily dose',
  coreUnit: 'pg',
  units: new Map([...amountUnits, ...combine(amountUnits, perDay)]),
  mainUnits: ['mg/day', 'mcg/day', 'mg', 'mcg'],
  display: { unit: 'mcg', places: 6 },
  example: '20 mg/day',
};
export const CONCENTRATION: Dimension = {
  id: 'concentration',
  name: 'concentration',
  coreUnit: 'mcg/mL',
  units: new Map(
    combine(
      amountUnits.filter(([, f]) => f >= 1_000_000n).map(([u, f]): [string, bigint] => [u, f / 1_000_000n]),
      [
        ['/mL', 1n],
        ['/ml', 1n],
      ],
    ),
  ),
  mainUnits: ['mg/mL', 'mcg/mL'],
  display: { unit: 'mg/mL', places: 3 },
  example: '10 mg/mL',
};

const QUANTITY_RE = /^\s*([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*(\S+)\s*$/;

export type Converted = { ok: true; value: number } | { ok: false; message: string };

/** A whole number in the core unit, from a JSON number or a string with a unit. */
export function toCoreUnits(input: number | string, dim: Dimension): Converted {
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input)) {
      return { ok: false, message: `expected a whole number of ${dim.coreUnit}, got ${input} (to use another unit write a string such as "${dim.example}")` };
    }
    return { ok: true, value: input };
  }
  const m = QUANTITY_RE.exec(input);
  if (m === null) return { ok: false, message: `"${input}" is not a ${dim.name}: write a number and a unit, such as "${dim.example}"` };
  const [, numberText = '', unit = ''] = m;
  const factor = dim.units.get(unit);
  if (factor === undefined) {
    return { ok: false, message: `"${input}": unknown ${dim.name} unit "${unit}"; use one of ${unitList(dim)}` };
  }
  const d = parseDecimal(numberText);
  if (d === null) return { ok: false, message: `"${input}": "${numberText}" is not a number` };
  const exact = scaleToWhole(d, factor, 1n);
  if (exact === null) {
    return {
      ok: false,
      message: `"${input}" is ${formatRatio(d, factor, 1n)} ${dim.coreUnit}, not a whole number of ${dim.coreUnit}; units are converted exactly and never rounded`,
    };
  }
  const value = Number(exact);
  if (!Number.isSafeInteger(value)) return { ok: false, message: `"${input}" is too large` };
  return { ok: true, value };
}

/** The main spellings, for messages (every alias is accepted, see docs/scenarios.md). */
export function unitList(dim: Dimension): string {
  return dim.mainUnits.join(', ');
}

/** A core value in the display unit, exact: 48000 nL/day → "0.048 mL/day". */
export function formatDisplay(value: number, dim: Dimension): string {
  return `${formatFixed(BigInt(value), dim.display.places)} ${dim.display.unit}`;
}

/** A JSON Schema pattern matching every accepted "number unit" string. */
export function quantityPattern(dim: Dimension): string {
  const units = [...dim.units.keys()]
    .sort((a, b) => b.length - a.length)
    .map((u) => u.replace(/[/.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|');
  return `^\\s*[+-]?\\d+(\\.\\d+)?([eE][+-]?\\d+)?\\s*(${units})\\s*$`;
}
