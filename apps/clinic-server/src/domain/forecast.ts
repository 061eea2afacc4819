/**
 * Forecasts by running the pump core forward from the last interrogation. With the uploaded
 * snapshot the pump is restored exactly (`Pump.fromSnapshot`); without one it is rebuilt from the
 * status: a new pump holding the same reservoir, drug and prescription at the same moment. A
 * rebuilt pump cannot know its battery or its last refill, so those come from the status.
 */
import { Pump, type PumpSnapshot, type Prescription } from '@thecal/pump-core';
import { eriFromReplaceByMs, stabilityLimitMs } from '@thecal/therapy-calc';
import type { PumpStatusInputT } from './upload-schema.ts';

export interface Forecast {
  fromMs: number;
  lowReservoirAtMs: number | null;
  emptyAtMs: number | null;
  nextRefillByMs: number | null;
  eriAtMs: number;
  replaceByMs: number;
  method: 'snapshot' | 'rebuilt';
}

export function forecastFromSnapshot(snapshot: PumpSnapshot): Forecast {
  const pump = Pump.fromSnapshot(snapshot);
  return { fromMs: pump.nowMs, ...pump.forecast(), method: 'snapshot' };
}

export function forecastFromStatus(status: PumpStatusInputT): Forecast {
  const eriAtMs = status.battery.eriAtMs ?? eriFromReplaceByMs(status.battery.replaceByMs);
  const base = { fromMs: status.nowMs, eriAtMs, replaceByMs: status.battery.replaceByMs, method: 'rebuilt' as const };
  const none = { ...base, lowReservoirAtMs: null, emptyAtMs: null, nextRefillByMs: null };
  const rx = status.prescription as Prescription | null;
  if (rx === null || !status.therapy.running || status.reservoir.volumeNl <= 0 || status.reservoir.drugId === null) return none;
  const pump = Pump.manufacture({ serial: status.serial, model: status.model, atMs: status.nowMs, utcOffsetMs: status.utcOffsetMs });
  const staged = pump.execute(status.nowMs, 'rebuild-stage', {
    type: 'stage',
    changes: {
      refill: { withdrawnNl: 0, filledNl: status.reservoir.volumeNl, drugId: status.reservoir.drugId, concentrationMcgPerMl: status.reservoir.concentrationMcgPerMl },
      prescription: rx,
      alarms: { lowReservoirNl: status.reservoir.lowAlarmNl },
    },
  });
  if (!staged.ok) return none;
  const soft = (staged.detail['softLimits'] as { code: string }[] | undefined)?.map((i) => i.code) ?? [];
  const committed = pump.execute(status.nowMs, 'rebuild-commit', { type: 'commit', stagedId: staged.detail['stagedId'] as number, acknowledgedSoftLimits: soft });
  if (!committed.ok) return none;
  const f = pump.forecast();
  // The rebuilt pump was "refilled" now; the real stability cap runs from the real last refill.
  const lastRefill = status.reservoir.lastRefillMs;
  const cap = lastRefill === null ? Number.POSITIVE_INFINITY : stabilityLimitMs(lastRefill - (status.pumpUtcMs - status.nowMs), status.reservoir.drugId);
  const refill = f.nextRefillByMs === null ? (Number.isFinite(cap) ? cap : null) : Math.min(f.nextRefillByMs, cap);
  return { ...base, lowReservoirAtMs: f.lowReservoirAtMs, emptyAtMs: f.emptyAtMs, nextRefillByMs: refill };
}
