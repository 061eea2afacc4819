/**
 * Catheters and the priming bolus: a new or revised catheter is empty and is filled with its own
 * volume at the pump's fastest rate before any drug reaches the patient. Volume per millimetre of
 * each model is a (placeholder) figure: the real catalogues give it per model.
 */
import { LIMITS } from '@thecal/pump-core';
import { assertNonNegInt } from './doses.ts';

export interface CatheterModel {
  id: string;
  name: string;
  /** Internal volume per mm of length (placeholder figures). */
  volumeNlPerMm: number;
  minLengthMm: number;
  maxLengthMm: number;
}

export const CATHETER_MODELS: readonly CatheterModel[] = [
  { id: 'TC-8709', name: 'TC-8709 one-piece (placeholder 225 nL/mm)', volumeNlPerMm: 225, minLengthMm: 50, maxLengthMm: 2_000 },
  { id: 'TC-8731', name: 'TC-8731 two-piece (placeholder 220 nL/mm)', volumeNlPerMm: 220, minLengthMm: 50, maxLengthMm: 2_000 },
  { id: 'TC-8780', name: 'TC-8780 small-bore (placeholder 150 nL/mm)', volumeNlPerMm: 150, minLengthMm: 50, maxLengthMm: 2_000 },
];

export function catheterModel(id: string): CatheterModel {
  const m = CATHETER_MODELS.find((c) => c.id === id);
  if (m === undefined) throw new RangeError(`unknown catheter model "${id}" (known: ${CATHETER_MODELS.map((c) => c.id).join(', ')})`);
  return m;
}

/** Internal volume of a catheter of a model cut to a length, nL (exact: a whole mm times whole nL/mm). */
export function catheterVolumeNl(modelId: string, lengthMm: number): number {
  const m = catheterModel(modelId);
  assertNonNegInt(lengthMm, 'lengthMm');
  if (lengthMm < m.minLengthMm || lengthMm > m.maxLengthMm) throw new RangeError(`a ${m.id} catheter is ${m.minLengthMm} to ${m.maxLengthMm} mm long, got ${lengthMm} mm`);
  return lengthMm * m.volumeNlPerMm;
}

/** How long the priming bolus takes at the pump's fastest rate, ms (rounded up). */
export function primingDurationMs(catheterVolumeNl: number): number {
  assertNonNegInt(catheterVolumeNl, 'catheterVolumeNl');
  return Math.ceil((catheterVolumeNl * 86_400_000) / LIMITS.hardwareMaxRateNlPerDay);
}
