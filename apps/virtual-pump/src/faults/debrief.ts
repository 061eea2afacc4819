/**
 * The debrief after a training run: the timeline (faults, what the pump raised, what the patient
 * showed, what the trainee did) and each expected action marked met (with when) or missed.
 */
import type { TimelineEntry } from './world.ts';

export interface ExpectedAction {
  /** One of: interrogation, refill, program-change, bridge-bolus, clinician-bolus, alarm-cleared, stop-therapy, resume-therapy. */
  action: string;
  /** From the start of the scenario. */
  byMs: number;
  why: string;
}

export interface Debrief {
  startMs: number;
  nowMs: number;
  timeline: TimelineEntry[];
  expected: { action: string; byMs: number; why: string; status: 'met' | 'missed' | 'pending'; atMs: number | null }[];
  /** First pump alarm, first patient sign, first trainee action after each fault. */
  faults: { atMs: number; text: string; firstPumpAlarmMs: number | null; firstPatientSignMs: number | null; firstActionMs: number | null }[];
}

export function buildDebrief(timeline: readonly TimelineEntry[], expected: readonly ExpectedAction[], startMs: number, nowMs: number): Debrief {
  const actions = timeline.filter((e) => e.source === 'action');
  const exp = expected.map((x) => {
    const hit = actions.find((a) => a.text.startsWith(x.action) && a.atMs >= startMs && a.atMs <= startMs + x.byMs);
    const status: 'met' | 'missed' | 'pending' = hit !== undefined ? 'met' : nowMs > startMs + x.byMs ? 'missed' : 'pending';
    return { action: x.action, byMs: x.byMs, why: x.why, status, atMs: hit?.atMs ?? null };
  });
  const firstAfter = (source: TimelineEntry['source'], t: number) => timeline.find((e) => e.source === source && e.atMs >= t)?.atMs ?? null;
  const faults = timeline
    .filter((e) => e.source === 'fault' && !e.text.startsWith('armed'))
    .map((f) => ({ atMs: f.atMs, text: f.text, firstPumpAlarmMs: firstAfter('pump', f.atMs), firstPatientSignMs: firstAfter('patient', f.atMs), firstActionMs: firstAfter('action', f.atMs) }));
  return { startMs, nowMs, timeline: [...timeline], expected: exp, faults };
}
