import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DoseHistory, STROKE_CREDIT, tipAmountPg } from './dose-history.ts';
import { LIMITS } from './limits.ts';

interface Segment {
  startMs: number;
  cumNl: number;
  cumPg: number;
  credit: number;
  rate: number;
  slugNl: number;
  slugConc: number;
  conc: number;
}

/** The cumulative amount at t straight from the pushed segments: a linear scan, no cursor, no ring arithmetic. */
function referenceCumulativePg(segments: Segment[], capacity: number, t: number): number {
  const first = Math.max(0, segments.length - capacity);
  const firstSeg = segments[first];
  if (firstSeg === undefined) return 0;
  if (firstSeg.startMs > t) return first === 0 ? firstSeg.cumPg : Number.NaN;
  let i = first;
  while (i + 1 < segments.length && (segments[i + 1] as Segment).startMs <= t) i++;
  const s = segments[i] as Segment;
  const next = segments[i + 1];
  const maxStrokes = next === undefined ? Number.POSITIVE_INFINITY : Math.round((next.cumNl - s.cumNl) / LIMITS.strokeNl);
  let strokes = s.rate > 0 ? Math.floor((s.credit + s.rate * (t - s.startMs)) / STROKE_CREDIT) : 0;
  strokes = Math.min(Math.max(strokes, 0), maxStrokes);
  return s.cumPg + tipAmountPg(strokes * LIMITS.strokeNl, s.slugNl, s.slugConc, s.conc);
}

const segmentsArb = fc.array(
  fc.record({ gapMs: fc.integer({ min: 0, max: 6 * 3_600_000 }), rate: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2_000_000 })), credit: fc.integer({ min: 0, max: STROKE_CREDIT - 1 }) }),
  { minLength: 1, maxLength: 200 },
);

describe('DoseHistory.cumulativePgAt', () => {
  it('agrees with a linear scan of the pushed segments, whatever the capacity (ring wrap) and the order of the questions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        segmentsArb,
        fc.array(fc.integer({ min: -3_600_000, max: 1_300 * 3_600_000 }), { minLength: 1, maxLength: 40 }),
        (capacity, raw, queries) => {
          const h = new DoseHistory(capacity);
          const segments: Segment[] = [];
          let t = Date.UTC(2026, 0, 1);
          let cumNl = 0;
          for (const r of raw) {
            const prev = segments[segments.length - 1];
            if (prev !== undefined) {
              // Strokes delivered in the previous segment up to this start (as the pump would have).
              const strokes = prev.rate > 0 ? Math.floor((prev.credit + prev.rate * (t + r.gapMs - prev.startMs)) / STROKE_CREDIT) : 0;
              cumNl += strokes * LIMITS.strokeNl;
            }
            t += r.gapMs;
            const seg: Segment = { startMs: t, cumNl, cumPg: cumNl * 25_000, credit: r.credit, rate: r.rate, slugNl: 0, slugConc: 0, conc: 25_000 };
            segments.push(seg);
            h.pushValues(seg.startMs, seg.cumNl, seg.cumPg, seg.credit, seg.rate, seg.slugNl, seg.slugConc, seg.conc);
          }
          const t0 = Date.UTC(2026, 0, 1);
          // Asked in the given order (the cursor moves back and forth), in falling order (the cursor
          // never fits: walk from the oldest entry, then the search) and in rising order (the walk).
          const falling = [...queries].sort((a, b) => b - a);
          for (const q of [...queries, ...falling, ...[...falling].reverse()]) {
            const at = t0 + q;
            const ours = h.cumulativePgAt(at);
            const ref = referenceCumulativePg(segments, capacity, at);
            assert.ok(Object.is(ours, ref), `at +${q} ms: ${ours} vs ${ref} (capacity ${capacity}, ${segments.length} segments)`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('finds the right entry across the wrap of the ring when asked for earlier and earlier times', () => {
    // 40 one-hour segments in a ring of 16, one stroke each at its start: entry i holds i strokes.
    const h = new DoseHistory(16);
    const t0 = Date.UTC(2026, 0, 1);
    const segments: Segment[] = [];
    for (let i = 0; i < 40; i++) {
      const seg: Segment = { startMs: t0 + i * 3_600_000, cumNl: i * 250, cumPg: i * 250 * 25_000, credit: 0, rate: 0, slugNl: 0, slugConc: 0, conc: 25_000 };
      segments.push(seg);
      h.pushValues(seg.startMs, seg.cumNl, seg.cumPg, seg.credit, seg.rate, seg.slugNl, seg.slugConc, seg.conc);
    }
    for (let i = 39; i >= 20; i--) {
      const at = t0 + i * 3_600_000 + 5;
      assert.ok(Object.is(h.cumulativePgAt(at), referenceCumulativePg(segments, 16, at)), `entry ${i}`);
    }
  });
});
