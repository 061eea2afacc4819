/**
 * Connects a pump core to a virtual patient: what the pump counted as delivered since the last
 * sync is pushed into the patient's catheter path, evenly over the time between the two syncs.
 * Call `sync` after every `pump.advanceTo` / `pump.execute`, and in particular right before a
 * refill (so the old concentration is used up to it) and at every rate change you care about:
 * between syncs delivery is taken as uniform, so sync density is time resolution.
 */
import { LIMITS, type Pump } from '@thecal/pump-core';
import { VirtualPatient, type PatientOptions } from './patient.ts';
import type { PatientParams } from './params.ts';

/** The physical path's dead volume for a pump: its internal volume plus the catheter's. */
export function pathVolumeNl(catheterVolumeNl: number): number {
  return catheterVolumeNl + LIMITS.pumpInternalVolumeNl;
}

export class PumpPatientLink {
  readonly patient: VirtualPatient;
  private lastMs: number;
  private lastTotalNl: number;
  private lastConcentration: number;

  constructor(pump: Pump, patient: VirtualPatient) {
    this.patient = patient;
    const s = pump.status();
    if (patient.nowMs > s.nowMs) throw new RangeError(`the patient's time ${patient.nowMs} is after the pump's ${s.nowMs}`);
    patient.advanceTo(s.nowMs);
    this.lastMs = s.nowMs;
    this.lastTotalNl = s.delivered.totalNl;
    this.lastConcentration = this.concentrationOf(s.reservoir.drugId, s.reservoir.concentrationMcgPerMl);
  }

  /** Builds the patient for a pump that is already set up (catheter known), at the pump's time. */
  static attach(pump: Pump, params: PatientParams, opts: Omit<PatientOptions, 'startMs' | 'catheter'> & { fillConcentrationMcgPerMl?: number } = {}): PumpPatientLink {
    const s = pump.status();
    const cath = s.device.catheter;
    if (cath === null) throw new RangeError('the pump has no catheter recorded: set device.catheter before attaching a patient');
    const fill = opts.fillConcentrationMcgPerMl ?? (s.device.catheterPrimed ? s.reservoir.concentrationMcgPerMl : 0);
    const patient = new VirtualPatient(params, { ...opts, startMs: s.nowMs, catheter: { deadVolumeNl: pathVolumeNl(cath.volumeNl), fillConcentrationMcgPerMl: fill } });
    return new PumpPatientLink(pump, patient);
  }

  private concentrationOf(drugId: string | null, conc: number): number {
    // The patient model follows one drug; another drug in the reservoir reaches it as none of its own.
    return drugId === this.patient.params.drugId ? conc : 0;
  }

  /** Pushes what the pump delivered since the last sync. Cheap enough to call at every pump event. */
  sync(pump: Pump): void {
    const nowMs = pump.nowMs;
    const total = pump.deliveredTotalNl;
    const drugId = pump.reservoirDrugId;
    const conc = pump.reservoirConcentrationMcgPerMl;
    const dv = total - this.lastTotalNl;
    if (nowMs > this.lastMs) this.patient.receive(this.lastMs, nowMs, dv, this.lastConcentration);
    else if (dv > 0) throw new RangeError('the pump delivered volume without time passing since the last sync');
    this.lastMs = nowMs;
    this.lastTotalNl = total;
    this.lastConcentration = this.concentrationOf(drugId, conc);
  }
}
