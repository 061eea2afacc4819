import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatFixed, parseDecimal, scaleToWhole } from './decimal.ts';
import { AMOUNT, CONCENTRATION, DAILY_AMOUNT, RATE, VOLUME, formatDisplay, toCoreUnits } from './quantities.ts';

const value = (r: ReturnType<typeof toCoreUnits>) => (r.ok ? r.value : `error: ${r.message}`);

describe('exact unit conversion', () => {
  it('converts human units to the core integer units exactly', () => {
    assert.equal(value(toCoreUnits('0.5 mL/day', RATE)), 500_000);
    assert.equal(value(toCoreUnits('0.048 mL/day', RATE)), 48_000);
    assert.equal(value(toCoreUnits('1 mL/h', RATE)), 24_000_000);
    assert.equal(value(toCoreUnits('20 uL/day', RATE)), 20_000);
    assert.equal(value(toCoreUnits('0.1 mL', VOLUME)), 100_000);
    assert.equal(value(toCoreUnits('250 nL', VOLUME)), 250);
    assert.equal(value(toCoreUnits('2.5 µL', VOLUME)), 2_500);
    assert.equal(value(toCoreUnits('1e-3 mL', VOLUME)), 1_000);
    assert.equal(value(toCoreUnits('10 mg/mL', CONCENTRATION)), 10_000);
    assert.equal(value(toCoreUnits('500 mcg/mL', CONCENTRATION)), 500);
    assert.equal(value(toCoreUnits('1.2 mcg', AMOUNT)), 1_200_000);
    assert.equal(value(toCoreUnits('20 mg/day', DAILY_AMOUNT)), 20_000_000_000);
    assert.equal(value(toCoreUnits('20 mg', DAILY_AMOUNT)), 20_000_000_000);
    assert.equal(value(toCoreUnits(48_000, RATE)), 48_000);
  });

  it('refuses values that are not a whole number of the core unit, saying what they are', () => {
    const r = toCoreUnits('0.0000001 mL', VOLUME);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.message, /0\.1 nL, not a whole number of nL/);
    assert.equal(toCoreUnits('0.5 mcg/mL', CONCENTRATION).ok, false);
    assert.equal(toCoreUnits('1 mL/min', RATE).ok, true);
    assert.equal(toCoreUnits('0.1 pg', AMOUNT).ok, false);
    const float = toCoreUnits(0.5, VOLUME);
    assert.match(float.ok ? '' : float.message, /expected a whole number of nL, got 0\.5/);
  });

  it('refuses unknown units and text that is not a quantity', () => {
    const unit = toCoreUnits('3 gallons', VOLUME);
    assert.match(unit.ok ? '' : unit.message, /unknown volume unit "gallons"; use one of mL, uL, nL/);
    assert.equal(toCoreUnits('mL', VOLUME).ok, false);
    assert.equal(toCoreUnits('1.2.3 mL', VOLUME).ok, false);
    assert.equal(toCoreUnits('5 mg', VOLUME).ok, false);
  });

  it('displays core values exactly', () => {
    assert.equal(formatDisplay(48_000, RATE), '0.048 mL/day');
    assert.equal(formatDisplay(24_000_000, RATE), '24 mL/day');
    assert.equal(formatFixed(-1_500n, 3), '-1.5');
  });

  it('property: any whole number of nL written in mL converts back to itself', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40_000_000_000 }), (nl) => {
        assert.equal(value(toCoreUnits(`${formatFixed(BigInt(nl), 6)} mL`, VOLUME)), nl);
        assert.equal(value(toCoreUnits(`${formatFixed(BigInt(nl), 3)} uL/day`, RATE)), nl);
      }),
    );
  });

  it('property: a seventh decimal of mL is refused unless it is zero', () => {
    const sixDecimals = (nl: number) => `${Math.floor(nl / 1_000_000)}.${String(nl % 1_000_000).padStart(6, '0')}`;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40_000_000 }), fc.integer({ min: 1, max: 9 }), (nl, extra) => {
        assert.equal(toCoreUnits(`${sixDecimals(nl)}${extra} mL`, VOLUME).ok, false);
        assert.equal(value(toCoreUnits(`${sixDecimals(nl)}0 mL`, VOLUME)), nl);
      }),
    );
  });

  it('scales decimals with BigInt, never through floating point', () => {
    const d = parseDecimal('0.1');
    assert.ok(d !== null);
    assert.equal(scaleToWhole(d, 1_000_000n, 1n), 100_000n);
    assert.equal(scaleToWhole(d, 1n, 1n), null);
    assert.equal(parseDecimal('1e999'), null);
  });
});
