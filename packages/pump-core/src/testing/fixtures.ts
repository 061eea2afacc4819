/** Builders shared by the core's tests: a pump with a drug and a program, in as few lines as possible. */
import { Pump } from '../pump.ts';
import type { BasalProgram, PatientBolusSettings, Prescription } from '../program.ts';
import type { ChangeSet, CommandResult } from '../types.ts';
import { MS_PER_MINUTE, NL_PER_ML, PG_PER_MG } from '../units.ts';

/** 2026-01-05 00:00 UTC, a Monday. */
export const T0 = Date.UTC(2026, 0, 5);

let counter = 0;
export function nextId(prefix = 'cmd'): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

export function morphineRx(basal: BasalProgram, patientBolus: PatientBolusSettings | null = null, over: Partial<Prescription> = {}): Prescription {
  return {
    drugId: 'morphine',
    concentrationMcgPerMl: 10_000,
    basal,
    maxRateNlPerDay: 24 * NL_PER_ML,
    maxDailyDosePg: 20 * PG_PER_MG,
    patientBolus,
    ...over,
  };
}

export const STANDARD_BOLUS: PatientBolusSettings = { volumeNl: 20_000, durationMs: 10 * MS_PER_MINUTE, lockoutMs: 60 * MS_PER_MINUTE, maxPer24h: 4 };

/** Stage then commit; throws with the pump's reason if either is refused. */
export function program(pump: Pump, atMs: number, changes: ChangeSet, ack: string[] = []): CommandResult {
  const staged = pump.execute(atMs, nextId('stage'), { type: 'stage', changes });
  if (!staged.ok) throw new Error(`stage refused: ${staged.reason}: ${staged.message}`);
  const committed = pump.execute(atMs, nextId('commit'), { type: 'commit', stagedId: staged.detail['stagedId'] as number, acknowledgedSoftLimits: ack });
  if (!committed.ok) throw new Error(`commit refused: ${committed.reason}: ${committed.message}`);
  return committed;
}

/** Stage and commit, returning the first refusal instead of throwing. */
export function tryProgram(pump: Pump, atMs: number, changes: ChangeSet, ack: string[] = []): CommandResult {
  const staged = pump.execute(atMs, nextId('stage'), { type: 'stage', changes });
  if (!staged.ok) return staged;
  return pump.execute(atMs, nextId('commit'), { type: 'commit', stagedId: staged.detail['stagedId'] as number, acknowledgedSoftLimits: ack });
}

/** A primed morphine pump (10 mg/mL, 20 mL filled) running `rx` from T0. */
export function runningPump(rx: Prescription, opts: { filledNl?: number; model?: 'thecal-20' | 'thecal-40'; utcOffsetMs?: number; ack?: string[] } = {}): Pump {
  const pump = Pump.manufacture({ serial: 'TEST-1', model: opts.model ?? 'thecal-40', atMs: T0, utcOffsetMs: opts.utcOffsetMs ?? 0 });
  program(pump, T0, {
    refill: { withdrawnNl: 0, filledNl: opts.filledNl ?? 20 * NL_PER_ML, drugId: rx.drugId, concentrationMcgPerMl: rx.concentrationMcgPerMl },
    prescription: rx,
  }, opts.ack ?? []);
  return pump;
}
