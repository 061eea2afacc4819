import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NL_PER_ML, PG_PER_MG, type Prescription } from '@thecal/pump-core';
import { settingsDiff } from '@thecal/therapy-calc';
import { describe, predictState, type SettingsState } from './settings-view.ts';

const morphine: Prescription = {
  drugId: 'morphine',
  concentrationMcgPerMl: 10_000,
  basal: { kind: 'continuous', rateNlPerDay: 500_000 },
  maxRateNlPerDay: 24 * NL_PER_ML,
  maxDailyDosePg: 8 * PG_PER_MG,
  patientBolus: { volumeNl: 50_000, durationMs: 600_000, lockoutMs: 3 * 3_600_000, maxPer24h: 4 },
};
const state: SettingsState = {
  prescription: morphine,
  drugId: 'morphine',
  concentrationMcgPerMl: 10_000,
  reservoirNl: 12 * NL_PER_ML,
  lowAlarmNl: 2 * NL_PER_ML,
  refillReminderUtcMs: null,
  therapyRunning: true,
  catheter: null,
  patientId: 'p-1',
  bolus: null,
};

test('settings read in the drug’s unit: morphine in mg, never mcg', () => {
  const d = describe(state);
  assert.equal(d['Drug in reservoir'], 'morphine 10 mg/mL');
  // 0.5 mL/day x 10 mg/mL = 5 mg/day
  assert.equal(d['Largest daily basal dose'], '5 mg/day (0.5 mL/day)');
  assert.equal(d['Maximum daily dose'], '8 mg/day');
  // 0.05 mL x 10 mg/mL = 0.5 mg
  assert.match(d['Patient bolus'] ?? '', /^0\.5 mg \(0\.05 mL\) over 10 min, lockout 180 min, at most 4 per 24 h$/);
  assert.ok(!Object.values(d).some((v) => /mcg/.test(v)));
});

test('a refill with a new concentration is predicted and every changed row is marked', () => {
  const after = predictState(state, {
    refill: { withdrawnNl: 10 * NL_PER_ML, filledNl: 20 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 25_000 },
    prescription: { ...morphine, concentrationMcgPerMl: 25_000, basal: { kind: 'continuous', rateNlPerDay: 200_000 } },
  });
  const changed = settingsDiff(describe(state), describe(after)).filter((r) => r.changed).map((r) => r.path);
  assert.deepEqual(changed, ['Drug in reservoir', 'Reservoir volume', 'Prescription drug', 'Basal', 'Largest daily basal dose', 'Patient bolus']);
  // 0.2 mL/day x 25 mg/mL = 5 mg/day: the same dose
  assert.equal(describe(after)['Largest daily basal dose'], '5 mg/day (0.2 mL/day)');
});
