/**
 * The world's patient: @thecal/patient's VirtualPatient behind the PatientPort the world speaks.
 * The world routes what leaves the pump outlet (at the reservoir's concentration) into the
 * patient's catheter path, which carries the dead volume and the catheter faults; the world keeps
 * the reservoir truth (an occluded catheter leaves the drug in the reservoir).
 */
import { LIMITS, seededUniform, type DrugId } from '@thecal/pump-core';
import { MAINTENANCE_PER_SCREENING_DOSE, VirtualPatient, drawPatient, type CatheterFault, type PatientState } from '@thecal/patient';
import type { CatheterState, PatientPort, PatientTruth } from './world.ts';

export interface PatientPortOptions {
  drugId: DrugId;
  seed: number;
  startMs: number;
  /** Catheter volume; the path to the tip adds the pump's internal volume. */
  catheterVolumeNl: number;
  /** What the path holds at the start (the drug in use, or 0 for a new catheter). */
  fillConcentrationMcgPerMl: number;
  /** An established patient at steady state on this daily dose; 0 for drug-naive. */
  steadyDailyPg: number;
  /** The patient's effective screening dose: sets how much drug they need (default: drawn). */
  screeningDosePg?: number;
  /** Drug given by lumbar puncture (screening), straight into the CSF. */
  screeningBoluses?: readonly { atMs: number; amountPg: number }[];
}

/**
 * In the patient model a patient's therapeutic daily dose is twice their effective screening
 * bolus (the Lioresal label's starting dose, docs/patient-model.md); an established patient is
 * drawn with screening dose = daily dose / 2, so the dose they are on is the right one for them.
 */
export const DAILY_DOSE_PER_SCREENING_DOSE = MAINTENANCE_PER_SCREENING_DOSE;

const CONDITION_STATE: Record<PatientState['condition'], PatientTruth['state']> = {
  therapeutic: 'well',
  'sub-therapeutic': 'under-dosed',
  withdrawal: 'withdrawal',
  overdose: 'overdose',
};

function toFault(c: CatheterState): CatheterFault | null {
  switch (c.kind) {
    case 'intact':
      return null;
    case 'occluded':
      return { kind: 'occlusion' };
    case 'leak':
      return { kind: 'leak', fraction: c.fractionPercent / 100 };
    case 'disconnected':
      return { kind: 'disconnection' };
  }
}

/**
 * The patient is advanced in steps of at most this long. Workaround: VirtualPatient looks for
 * threshold crossings at the ends of its 4-hour pieces, so one long advance after a pocket fill
 * can step over a whole overdose episode (reported to the patient package); short steps find it.
 */
export const MAX_PATIENT_STEP_MS = 30 * 60_000;

export class VirtualPatientPort implements PatientPort {
  readonly patient: VirtualPatient;
  private catheterKey = 'intact';
  private readonly screening: { atMs: number; amountPg: number }[];
  /** When the patient's condition last changed (from the model's own events). */
  private conditionSinceMs: number | null = null;
  private changeBuffer: { atMs: number; text: string }[] = [];

  /** Read the model's events: condition changes and signs, at their own times. */
  private pull(): void {
    for (const e of this.patient.drainEvents()) {
      if (e.type === 'condition-changed') {
        this.conditionSinceMs = e.atMs;
        this.changeBuffer.push({ atMs: e.atMs, text: CONDITION_STATE[e.to] });
      } else if (e.type === 'sign-began') this.changeBuffer.push({ atMs: e.atMs, text: `${e.kind} sign: ${e.sign}` });
      else if (e.type === 'sign-ended') this.changeBuffer.push({ atMs: e.atMs, text: `${e.kind} sign ended: ${e.sign}` });
    }
    if (this.changeBuffer.length > 1000) this.changeBuffer.splice(0, this.changeBuffer.length - 1000);
  }

  changes(): { atMs: number; text: string }[] {
    this.pull();
    const out = this.changeBuffer;
    this.changeBuffer = [];
    return out;
  }

  constructor(o: PatientPortOptions) {
    const params = drawPatient(seededUniform(o.seed), o.screeningDosePg === undefined ? { drugId: o.drugId } : { drugId: o.drugId, screeningDosePg: o.screeningDosePg });
    this.patient = new VirtualPatient(params, {
      startMs: o.startMs,
      catheter: { deadVolumeNl: o.catheterVolumeNl + LIMITS.pumpInternalVolumeNl, fillConcentrationMcgPerMl: o.fillConcentrationMcgPerMl },
      steadyDailyPg: o.steadyDailyPg,
    });
    this.screening = [...(o.screeningBoluses ?? [])].sort((a, b) => a.atMs - b.atMs);
  }

  /** Screening boluses due by `atMs`, given at their own times. */
  private giveScreening(atMs: number): void {
    while (this.screening.length > 0 && (this.screening[0]?.atMs ?? Infinity) <= atMs) {
      const b = this.screening.shift();
      if (b !== undefined) this.patient.inject(Math.max(b.atMs, this.patient.nowMs), 'csf', b.amountPg);
    }
  }

  outlet(fromMs: number, toMs: number, volumeNl: number, amountPg: number, catheter: CatheterState): void {
    const key = JSON.stringify(catheter);
    if (key !== this.catheterKey) {
      this.catheterKey = key;
      this.patient.setCatheterFault(Math.max(fromMs, this.patient.nowMs), toFault(catheter));
    }
    this.giveScreening(toMs);
    const from = Math.max(fromMs, this.patient.nowMs);
    if (toMs <= from) return;
    const conc = volumeNl > 0 ? amountPg / volumeNl : 0;
    for (let t = from; t < toMs; ) {
      const end = Math.min(toMs, t + MAX_PATIENT_STEP_MS);
      if (volumeNl > 0) this.patient.receive(t, end, (volumeNl * (end - t)) / (toMs - from), conc);
      else this.patient.advanceTo(end);
      t = end;
    }
  }

  direct(atMs: number, route: 'spine' | 'tissue', _volumeNl: number, amountPg: number): void {
    this.patient.inject(Math.max(atMs, this.patient.nowMs), route === 'spine' ? 'csf' : 'tissue', amountPg);
  }

  advanceTo(atMs: number): void {
    this.giveScreening(atMs);
    for (let t = this.patient.nowMs; t < atMs; ) {
      t = Math.min(atMs, t + MAX_PATIENT_STEP_MS);
      this.patient.advanceTo(t);
    }
  }

  truth(): PatientTruth {
    this.pull();
    const s = this.patient.state();
    return {
      state: CONDITION_STATE[s.condition],
      sinceMs: this.conditionSinceMs,
      signs: s.signs.map((x) => x.sign),
      detail: {
        condition: s.condition,
        [`effect (${s.effect.scale})`]: Math.round(s.effect.score * 10) / 10,
        'CSF ng/mL': Math.round(s.csfConcentrationNgPerMl * 100) / 100,
        'exposure vs therapeutic': Math.round(s.relativeExposure * 100) / 100,
        'tip concentration mcg/mL': Math.round(s.catheter.tipConcentrationMcgPerMl),
        'drug in tissue mcg': Math.round(s.tissuePg / 1e6),
        'deprived since': s.deprivedSinceMs === null ? null : new Date(s.deprivedSinceMs).toISOString(),
        'withdrawal episodes': s.episodes.withdrawal,
        'overdose episodes': s.episodes.overdose,
      },
    };
  }
}
