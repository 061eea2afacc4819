/** Small scenario builders shared by the simulator's tests. */
import type { PatientBolusInput, PrescriptionInput, ScenarioInput } from './scenario-schema.ts';

type EventInput = ScenarioInput['events'][number];

export const MORPHINE_FILL = { withdrawnNl: 0, filledNl: '40 mL', drugId: 'morphine' as const, concentrationMcgPerMl: '10 mg/mL' };

/** A morphine prescription at a constant rate, with patient boluses unless `patientBolus` is null. */
export function morphineRx(
  rate: string | number = '0.5 mL/day',
  patientBolus: PatientBolusInput | null = { volumeNl: '10 uL', durationMs: 'PT10M', lockoutMs: 'PT3H', maxPer24h: 4 },
): PrescriptionInput {
  return {
    drugId: 'morphine',
    concentrationMcgPerMl: '10 mg/mL',
    basal: { kind: 'continuous', rateNlPerDay: rate },
    maxDailyDosePg: '15 mg/day',
    patientBolus,
  };
}

/** A valid scenario: a pump programmed at the start, plus `events`. */
export function scenario(events: EventInput[] = [], overrides: Partial<ScenarioInput> = {}): ScenarioInput {
  return {
    format: 'thecal-scenario/1',
    name: 'test',
    pump: { model: 'thecal-40', serial: 'TEST-1' },
    start: '2026-03-02T00:00:00Z',
    utcOffsetMs: '+00:00',
    until: 'P10D',
    seed: 42,
    ...overrides,
    events: [{ at: 'P0D', type: 'program', refill: MORPHINE_FILL, prescription: morphineRx() } as EventInput, ...events],
  };
}
