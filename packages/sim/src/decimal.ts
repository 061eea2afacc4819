/**
 * Exact decimal arithmetic for unit conversion. A scenario may say "0.5 mL"; the core counts whole
 * nanolitres. Converting through binary floating point could turn 0.1 mL into 99 999.99… nL and a
 * silent Math.round would hide the error, so decimals are parsed into (digits, power of ten) and
 * scaled with BigInt: a value converts only if the result is exactly a whole number.
 */

/** ±digits × 10^exponent. */
export interface Decimal {
  negative: boolean;
  digits: bigint;
  exponent: number;
}

const DECIMAL_RE = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d{1,3}))?$/;
/** Beyond this a value is nonsense for a pump and BigInt powers would only waste time. */
const MAX_EXPONENT_MAGNITUDE = 40;

export function parseDecimal(text: string): Decimal | null {
  const m = DECIMAL_RE.exec(text);
  if (m === null) return null;
  const [, sign = '', whole = '', fraction = '', exp = '0'] = m;
  const exponent = Number(exp) - fraction.length;
  if (Math.abs(exponent) > MAX_EXPONENT_MAGNITUDE) return null;
  return { negative: sign === '-', digits: BigInt(whole + fraction), exponent };
}

/** value × numerator / denominator when that is a whole number, else null. */
export function scaleToWhole(d: Decimal, numerator: bigint, denominator: bigint): bigint | null {
  let num = d.digits * numerator;
  let den = denominator;
  if (d.exponent >= 0) num *= 10n ** BigInt(d.exponent);
  else den *= 10n ** BigInt(-d.exponent);
  if (num % den !== 0n) return null;
  const whole = num / den;
  return d.negative ? -whole : whole;
}

/** The exact decimal value of numerator / 10^places, without trailing zeros ("0.048", "24", "-1.5"). */
export function formatFixed(numerator: bigint, places: number): string {
  const negative = numerator < 0n;
  const abs = negative ? -numerator : numerator;
  const scale = 10n ** BigInt(places);
  const whole = abs / scale;
  let fraction = places === 0 ? '' : (abs % scale).toString().padStart(places, '0').replace(/0+$/, '');
  if (fraction !== '') fraction = `.${fraction}`;
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** A value that is not a whole number, as an exact decimal (for messages: "0.1 nL"). */
export function formatRatio(d: Decimal, numerator: bigint, denominator: bigint): string {
  // Scale by 10^k until whole, for a short exact rendering; give up gracefully on repeating decimals.
  for (let places = 0; places <= 30; places++) {
    const whole = scaleToWhole(d, numerator * 10n ** BigInt(places), denominator);
    if (whole !== null) return formatFixed(whole, places);
  }
  const approx = (Number(d.digits) * 10 ** d.exponent * Number(numerator)) / Number(denominator);
  return `about ${(d.negative ? -approx : approx).toPrecision(12)}`;
}
