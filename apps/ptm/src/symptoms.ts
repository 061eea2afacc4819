/**
 * The symptom check: warning signs from the seeds' patient information (withdrawal: itching
 * without rash, returning spasticity, low blood pressure, light-headedness, tingling, fever,
 * changed mental state; overdose: drowsiness, dizziness, breathing difficulty, low body
 * temperature, seizures, loss of consciousness). It never names a cause or a condition; it only
 * says whom to call, and how soon.
 */
export const WITHDRAWAL_SIGNS = ['itching', 'spasticity', 'lowBp', 'lightHeaded', 'tingling', 'fever', 'mental'] as const;
export const OVERDOSE_SIGNS = ['drowsy', 'dizzy', 'breathing', 'cold', 'seizure', 'unconscious'] as const;
export type Sign = (typeof WITHDRAWAL_SIGNS)[number] | (typeof OVERDOSE_SIGNS)[number];

/** Signs that need emergency services whatever else is ticked (the seeds' most serious ones). */
const EMERGENCY: ReadonlySet<Sign> = new Set<Sign>(['breathing', 'seizure', 'unconscious', 'mental']);

export type Advice = 'emergency' | 'call-clinic' | 'none-ticked';

export function adviceFor(ticked: ReadonlySet<Sign>): Advice {
  if ([...ticked].some((s) => EMERGENCY.has(s))) return 'emergency';
  // A high fever with returning stiffness is how serious withdrawal begins: emergency, not a call tomorrow.
  if (ticked.has('fever') && ticked.has('spasticity')) return 'emergency';
  return ticked.size > 0 ? 'call-clinic' : 'none-ticked';
}
