/**
 * The pump as the trainee finds it: a training scenario's starting state built through the pump's
 * own commands (so the logs, alarms and forecasts are the real ones), from manufacture to the
 * scenario's start. An aged pump is refilled every 60 days on the way, as a clinic would.
 */
import { LIMITS, MS_PER_DAY, type ChangeSet, type Pump } from '@thecal/pump-core';
import { softCodes } from '@thecal/virtual-pump';
import type { TrainingScenario } from './scenario.ts';

const REFILL_EVERY_MS = 60 * MS_PER_DAY;
/**
 * The pump runs a day before the trainee arrives, so the reservoir reaches the scenario's volume
 * by delivery (alarms on the way are raised as on a real pump: a refill straight to a volume below
 * the low-reservoir level does not raise that alarm).
 */
const LEAD_MS = MS_PER_DAY;

/** When the pump was made: a day before the start, or earlier by the scenario's pump age. */
export function manufactureTime(s: TrainingScenario): number {
  return s.start - (s.therapy?.pumpAge ?? 0) - LEAD_MS;
}

function commit(pump: Pump, atMs: number, id: string, changes: ChangeSet): void {
  const staged = pump.execute(atMs, `${id}-stage`, { type: 'stage', changes });
  if (!staged.ok) throw new Error(`the scenario's starting state is refused by the pump: ${staged.message}`);
  const committed = pump.execute(atMs, `${id}-commit`, { type: 'commit', stagedId: staged.detail['stagedId'] as number, acknowledgedSoftLimits: softCodes(staged.detail) });
  if (!committed.ok) throw new Error(`the scenario's starting state is refused by the pump: ${committed.message}`);
}

export function preparePump(pump: Pump, s: TrainingScenario): void {
  const t = s.therapy;
  if (t === null) {
    pump.advanceTo(s.start);
    return;
  }
  const capacity = pump.status().reservoir.capacityNl;
  const aged = (t.pumpAge ?? 0) > 0;
  const priming = t.catheterVolume ?? 0;
  // What the last fill must hold so that a day of delivery leaves the scenario's volume.
  const lastFillNl = Math.min(capacity, t.reservoir + Math.ceil((t.rate * LEAD_MS) / MS_PER_DAY) + (aged ? 0 : priming));
  let at = pump.nowMs;
  const refill = (filledNl: number) => ({ withdrawnNl: pump.status().reservoir.volumeNl, filledNl, drugId: t.drugId, concentrationMcgPerMl: t.concentration });
  const first: ChangeSet = {
    refill: refill(aged ? capacity : lastFillNl),
    prescription: {
      drugId: t.drugId,
      concentrationMcgPerMl: t.concentration,
      basal: { kind: 'continuous', rateNlPerDay: t.rate },
      maxRateNlPerDay: Math.min(LIMITS.defaultMaxRateNlPerDay, Math.max(t.rate * 2, LIMITS.minRateNlPerDay)),
      maxDailyDosePg: t.maxDailyDose,
      patientBolus: null,
    },
  };
  if (t.catheterVolume !== undefined) {
    first.device = { catheter: { model: 'training catheter', lengthMm: 500, volumeNl: t.catheterVolume } };
    first.bolus = { kind: 'priming' };
  }
  commit(pump, at, 'setup', first);
  if (aged) {
    // A clinic's years of refills, then the last one a day before the start.
    let n = 0;
    while (at + REFILL_EVERY_MS < s.start - LEAD_MS) {
      at += REFILL_EVERY_MS;
      pump.advanceTo(at);
      commit(pump, at, `setup-refill-${++n}`, { refill: refill(capacity) });
    }
    pump.advanceTo(s.start - LEAD_MS);
    commit(pump, s.start - LEAD_MS, 'setup-last-refill', { refill: refill(lastFillNl) });
  }
  pump.advanceTo(s.start);
}
