/**
 * What the virtual pump's control port answers (apps/virtual-pump: GET /truth, GET /debrief). The
 * instructor page may not import the virtual pump (ARCHITECTURE: import rules), so the shapes it
 * reads are written here, and checked at the boundary by `isTruth` / `isDebrief`.
 */
export interface TimelineEntry {
  atMs: number;
  source: 'fault' | 'pump' | 'patient' | 'action';
  text: string;
}
export interface Truth {
  serial: string;
  speed: number;
  startMs: number;
  trueMs: number;
  pumpUtcMs: number;
  clockErrorMs: number;
  clockDriftPpm: number;
  believedReservoirNl: number;
  trueReservoirNl: number;
  pocketNl: number;
  catheter: { kind: string; fractionPercent?: number };
  faults: { atMs: number; fault: { kind: string } & Record<string, unknown> }[];
  refillFaultArmed: ({ kind: string } & Record<string, unknown>) | null;
  patient: { state: string; signs: string[]; detail: Record<string, number | string | boolean | null> } | null;
  pump: { running: boolean; suspendedBy: string | null; rateNlPerDay: number; alarms: string[]; drugId: string | null; concentrationMcgPerMl: number };
  timeline: TimelineEntry[];
  training: { title: string; briefing: string; instructorNotes: string } | null;
}
export interface Debrief {
  startMs: number;
  nowMs: number;
  timeline: TimelineEntry[];
  expected: { action: string; byMs: number; why: string; status: 'met' | 'missed' | 'pending'; atMs: number | null }[];
  faults: { atMs: number; text: string; firstPumpAlarmMs: number | null; firstPatientSignMs: number | null; firstActionMs: number | null }[];
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

export function isTruth(x: unknown): x is Truth {
  return isObj(x) && typeof x['trueMs'] === 'number' && isObj(x['pump']) && Array.isArray(x['timeline']) && Array.isArray(x['faults']);
}
export function isDebrief(x: unknown): x is Debrief {
  return isObj(x) && Array.isArray(x['timeline']) && Array.isArray(x['expected']) && Array.isArray(x['faults']);
}
