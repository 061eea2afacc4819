/**
 * The delivery history behind the max-daily-dose guard. Each entry starts a segment of constant
 * commanded rate, with everything needed to reconstruct exactly how many strokes, and how much
 * drug at the catheter tip, had been delivered at any later instant inside that segment. Kept in
 * fixed typed arrays: no allocation per segment, bounded memory whatever the run length.
 */
import { LIMITS } from './limits.ts';
import { MS_PER_DAY } from './units.ts';

export const STROKE_CREDIT = LIMITS.strokeNl * MS_PER_DAY;

const F_START = 0;
const F_CUM_NL = 1;
const F_CUM_PG = 2;
const F_CREDIT = 3;
const F_RATE = 4;
const F_SLUG_NL = 5;
const F_SLUG_CONC = 6;
const F_CONC = 7;
const F_MAX_STROKES = 8;
const FIELDS = 9;

/** Drug amount at the catheter tip for `volumeNl` leaving the pump, old drug (the slug) first. */
export function tipAmountPg(volumeNl: number, slugNl: number, slugConc: number, conc: number): number {
  const fromSlug = volumeNl < slugNl ? volumeNl : slugNl;
  return fromSlug * slugConc + (volumeNl - fromSlug) * conc;
}

export interface DoseHistoryJson {
  capacity: number;
  count: number;
  data: number[];
  floorMs?: number | null;
}

export class DoseHistory {
  readonly capacity: number;
  private readonly data: Float64Array;
  /** Total segments ever pushed; entry i lives at (i % capacity). */
  private count = 0;
  /** Index of the segment found by the last lookup. */
  private cursor = 0;
  /** Segments before this instant were dropped (saved history is trimmed): windows reaching before it are unknown. */
  floorMs = Number.NEGATIVE_INFINITY;
  /**
   * The invariant check's last exact lookup: the window start it asked for and the cumulative
   * total found there. Not saved or cloned (a copy starts without one).
   */
  private boundFromMs = Number.POSITIVE_INFINITY;
  private boundPg = 0;

  constructor(capacity: number = LIMITS.doseHistoryCapacity) {
    this.capacity = capacity;
    this.data = new Float64Array(capacity * FIELDS);
  }

  get length(): number {
    return this.count;
  }

  /** Starts a segment (numbers, not an object: the delivery loop calls this for every rate change). */
  pushValues(startMs: number, cumNl: number, cumPg: number, credit: number, rate: number, slugNl: number, slugConc: number, conc: number): void {
    const prevIndex = this.count - 1;
    // A new segment caps how many strokes the previous one may reconstruct: the pump stopped
    // stepping it there (empty reservoir, suspension, bolus correction).
    if (prevIndex >= 0) {
      const o = (prevIndex % this.capacity) * FIELDS;
      // Capping the open segment can lower what it reconstructs (after a gap it extrapolated over),
      // so a bound taken inside it no longer holds; bounds in closed segments never change.
      if (this.boundFromMs >= (this.data[o + F_START] ?? 0)) this.boundFromMs = Number.POSITIVE_INFINITY;
      this.data[o + F_MAX_STROKES] = Math.round((cumNl - (this.data[o + F_CUM_NL] ?? 0)) / LIMITS.strokeNl);
    }
    const o = (this.count % this.capacity) * FIELDS;
    const d = this.data;
    d[o + F_START] = startMs;
    d[o + F_CUM_NL] = cumNl;
    d[o + F_CUM_PG] = cumPg;
    d[o + F_CREDIT] = credit;
    d[o + F_RATE] = rate;
    d[o + F_SLUG_NL] = slugNl;
    d[o + F_SLUG_CONC] = slugConc;
    d[o + F_CONC] = conc;
    d[o + F_MAX_STROKES] = Number.POSITIVE_INFINITY;
    this.count += 1;
  }

  /** Start time of the oldest segment still held, or -Infinity if nothing was ever overwritten. */
  oldestStartMs(): number {
    if (this.count <= this.capacity) return Number.NEGATIVE_INFINITY;
    return this.data[(this.count % this.capacity) * FIELDS + F_START] ?? Number.NEGATIVE_INFINITY;
  }

  /**
   * Cumulative drug at the tip delivered at or before `atMs`, or NaN if the history no longer
   * reaches back that far (the caller must then fail safe).
   */
  cumulativePgAt(atMs: number): number {
    const count = this.count;
    if (count === 0) return 0;
    const cap = this.capacity;
    const first = count > cap ? count - cap : 0;
    const d = this.data;
    // Entry i lives in slot (i % cap); one division here, then slots by subtraction: an integer
    // division per probe of the search was most of this lookup's time.
    const firstSlot = first % cap;
    const wrapAt = first + (cap - firstSlot);
    if ((d[firstSlot * FIELDS + F_START] ?? 0) > atMs) {
      // Before the first segment ever recorded nothing was delivered since its cumulative total.
      return first === 0 ? (d[F_CUM_PG] ?? 0) : Number.NaN;
    }
    // The delivery loop and the bolus checks ask for ever later times: start from the last answer
    // when it still fits, and walk a few entries on before searching.
    const c = this.cursor;
    let lo = c > first && c < count && (d[(c < wrapAt ? c - first + firstSlot : c - wrapAt) * FIELDS + F_START] ?? 0) <= atMs ? c : first;
    let hi = count - 1;
    for (let walked = 0; lo < hi && walked < 8; walked++) {
      const next = lo + 1;
      if ((d[(next < wrapAt ? next - first + firstSlot : next - wrapAt) * FIELDS + F_START] ?? 0) > atMs) {
        hi = lo;
        break;
      }
      lo = next;
    }
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((d[(mid < wrapAt ? mid - first + firstSlot : mid - wrapAt) * FIELDS + F_START] ?? 0) <= atMs) lo = mid;
      else hi = mid - 1;
    }
    this.cursor = lo;
    return this.valueIn(lo, atMs);
  }

  private valueIn(index: number, atMs: number): number {
    const d = this.data;
    const o = (index % this.capacity) * FIELDS;
    const start = d[o + F_START] ?? 0;
    const rate = d[o + F_RATE] ?? 0;
    const maxStrokes = d[o + F_MAX_STROKES] ?? 0;
    let strokes = rate > 0 ? Math.floor(((d[o + F_CREDIT] ?? 0) + rate * (atMs - start)) / STROKE_CREDIT) : 0;
    if (strokes < 0) strokes = 0;
    if (strokes > maxStrokes) strokes = maxStrokes;
    const volume = strokes * LIMITS.strokeNl;
    return (d[o + F_CUM_PG] ?? 0) + tipAmountPg(volume, d[o + F_SLUG_NL] ?? 0, d[o + F_SLUG_CONC] ?? 0, d[o + F_CONC] ?? 0);
  }

  /** Drug at the tip delivered in the window (atMs - 24 h, atMs]. NaN if the history is too short. */
  trailing24hPg(atMs: number): number {
    const from = atMs - MS_PER_DAY;
    if (from < this.floorMs) return Number.NaN;
    return this.cumulativePgAt(atMs) - this.cumulativePgAt(from);
  }

  /**
   * Trailing 24 h ending now, given the exact cumulative total now (saves one lookup), or NaN when
   * the window reaches before the history or its floor (unknown: callers fail safe).
   */
  trailingNowPg(nowMs: number, cumNowPg: number): number {
    const from = nowMs - MS_PER_DAY;
    if (from < this.floorMs) return Number.NaN;
    return cumNowPg - this.cumulativePgAt(from);
  }

  /**
   * For the every-event invariant: the trailing 24 h ending now when it might exceed `limitPg`
   * (then exact, or NaN when unknown, as trailingNowPg), otherwise a value known to be at most
   * `limitPg`. The cumulative total never decreases with time and the window's start only moves
   * forward, so the total found at an earlier start is a lower bound for the one now; while the
   * total now minus that bound is within the limit, no lookup is needed.
   */
  trailingNowPgIfOver(nowMs: number, cumNowPg: number, limitPg: number): number {
    const from = nowMs - MS_PER_DAY;
    if (from < this.floorMs) return Number.NaN;
    if (from >= this.boundFromMs && cumNowPg - this.boundPg <= limitPg) return cumNowPg - this.boundPg;
    const at = this.cumulativePgAt(from);
    if (Number.isNaN(at)) {
      this.boundFromMs = Number.POSITIVE_INFINITY;
    } else {
      this.boundFromMs = from;
      this.boundPg = at;
    }
    return cumNowPg - at;
  }

  /** Segment start times after `fromMs` (for window breakpoints), oldest first. */
  startsAfter(fromMs: number): number[] {
    const out: number[] = [];
    const first = Math.max(0, this.count - this.capacity);
    for (let i = first; i < this.count; i++) {
      const t = this.data[(i % this.capacity) * FIELDS + F_START] ?? 0;
      if (t > fromMs) out.push(t);
    }
    return out;
  }

  /** Only the live entries, oldest first, so an empty or young history is small on the memory. */
  toJSON(sinceMs: number = Number.NEGATIVE_INFINITY): DoseHistoryJson {
    let first = Math.max(0, this.count - this.capacity);
    // Keep the last segment starting at or before sinceMs and everything after it.
    while (first + 1 < this.count && (this.data[((first + 1) % this.capacity) * FIELDS + F_START] ?? 0) <= sinceMs) first++;
    const data: number[] = [];
    for (let i = first; i < this.count; i++) {
      const o = (i % this.capacity) * FIELDS;
      for (let f = 0; f < FIELDS; f++) {
        const x = this.data[o + f] ?? 0;
        data.push(Number.isFinite(x) ? x : -1);
      }
    }
    // Dropped older entries mean windows before the first kept one are unknown: say so with the floor.
    const floor = first > 0 ? (this.data[(first % this.capacity) * FIELDS + F_START] ?? 0) : this.floorMs;
    return { capacity: this.capacity, count: this.count - first, data, floorMs: Number.isFinite(floor) ? floor : null };
  }

  static fromJSON(j: DoseHistoryJson): DoseHistory {
    const h = new DoseHistory(j.capacity);
    h.count = j.count;
    h.floorMs = j.floorMs ?? Number.NEGATIVE_INFINITY;
    const first = Math.max(0, j.count - j.capacity);
    const live = j.count - first;
    if (j.data.length !== live * FIELDS) throw new RangeError(`dose history holds ${j.data.length} values, expected ${live * FIELDS}`);
    for (let k = 0; k < live; k++) {
      const o = ((first + k) % j.capacity) * FIELDS;
      for (let f = 0; f < FIELDS; f++) {
        const x = j.data[k * FIELDS + f] ?? 0;
        h.data[o + f] = f === F_MAX_STROKES && x === -1 ? Number.POSITIVE_INFINITY : x;
      }
    }
    return h;
  }

  clone(): DoseHistory {
    const h = new DoseHistory(this.capacity);
    h.count = this.count;
    h.floorMs = this.floorMs;
    h.data.set(this.data);
    return h;
  }
}
