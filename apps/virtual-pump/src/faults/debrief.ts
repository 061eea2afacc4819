/**
 * The debrief after a training run: the timeline (faults, what the pump raised, what the patient
 * showed, what the trainee did) and each expected action marked met (with when) or missed.
 */
import type { Debrief, ExpectedAction, TimelineEntry } from '@thecal/control-port';

export type { Debrief, ExpectedAction };

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
