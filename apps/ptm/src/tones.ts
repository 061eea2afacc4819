/**
 * The pump's two alarm sounds (DOMAIN 2.1), synthesised so patients can learn them: critical is a
 * 3 s two-tone (alternating pitches), non-critical a single 1 s tone. Pitches are illustrative:
 * the real pump's frequencies are not public.
 */
import { LIMITS } from '@thecal/pump-core';

export type TonePattern = 'critical' | 'non-critical';
/** One segment of a tone: frequency in Hz from startMs for durationMs. */
export interface ToneSegment {
  hz: number;
  startMs: number;
  durationMs: number;
}

const HIGH_HZ = 1_047;
const LOW_HZ = 784;
const CRITICAL_SEGMENT_MS = 250;

export function toneSegments(pattern: TonePattern): ToneSegment[] {
  if (pattern === 'non-critical') return [{ hz: HIGH_HZ, startMs: 0, durationMs: LIMITS.nonCriticalToneMs }];
  const out: ToneSegment[] = [];
  for (let t = 0, i = 0; t < LIMITS.criticalToneMs; t += CRITICAL_SEGMENT_MS, i++) out.push({ hz: i % 2 === 0 ? HIGH_HZ : LOW_HZ, startMs: t, durationMs: CRITICAL_SEGMENT_MS });
  return out;
}

type AudioCtor = typeof AudioContext;
let ctx: AudioContext | null = null;

/** Plays the pattern; resolves when it has finished. False if the browser has no Web Audio. */
export async function playTone(pattern: TonePattern): Promise<boolean> {
  const Ctor = (globalThis as { AudioContext?: AudioCtor; webkitAudioContext?: AudioCtor }).AudioContext ?? (globalThis as { webkitAudioContext?: AudioCtor }).webkitAudioContext;
  if (Ctor === undefined) return false;
  ctx ??= new Ctor();
  if (ctx.state === 'suspended') await ctx.resume();
  const start = ctx.currentTime + 0.05;
  const gain = ctx.createGain();
  gain.gain.value = 0.25;
  gain.connect(ctx.destination);
  let end = start;
  for (const seg of toneSegments(pattern)) {
    const osc = ctx.createOscillator();
    osc.type = 'square';
    osc.frequency.value = seg.hz;
    osc.connect(gain);
    const t0 = start + seg.startMs / 1000;
    const t1 = t0 + seg.durationMs / 1000;
    osc.start(t0);
    osc.stop(t1);
    end = Math.max(end, t1);
  }
  await new Promise((r) => setTimeout(r, (end - ctx!.currentTime) * 1000 + 50));
  gain.disconnect();
  return true;
}
