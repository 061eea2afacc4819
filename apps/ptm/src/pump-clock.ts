/**
 * The pump keeps its own clock (a virtual pump may run faster than real time), and its answers
 * carry times on that clock. A countdown to "next dose allowed" must tick at the pump's pace: this
 * estimates that pace from readings of the pump clock against the phone's, and says where the
 * pump clock is now. It only displays; the pump decides when a dose is allowed.
 */
export interface ClockSample {
  wallMs: number;
  pumpMs: number;
}

/** Samples closer than this in wall time say little about the rate. */
const MIN_SPAN_MS = 1_000;

export class PumpClock {
  private first: ClockSample | null = null;
  private last: ClockSample | null = null;

  observe(pumpMs: number, wallMs: number): void {
    const s = { wallMs, pumpMs };
    // A pump clock that went backwards (set by the clinic) starts the estimate again.
    if (this.first === null || this.last === null || pumpMs < this.last.pumpMs) {
      this.first = s;
      this.last = s;
      return;
    }
    this.last = s;
  }

  /** True once two readings far enough apart have been seen. */
  get learned(): boolean {
    return this.first !== null && this.last !== null && this.last.wallMs - this.first.wallMs >= MIN_SPAN_MS;
  }

  /** Pump milliseconds per wall millisecond; 1 until two readings far enough apart are seen. */
  get rate(): number {
    if (this.first === null || this.last === null) return 1;
    const wall = this.last.wallMs - this.first.wallMs;
    if (wall < MIN_SPAN_MS) return 1;
    const r = (this.last.pumpMs - this.first.pumpMs) / wall;
    return Number.isFinite(r) && r > 0 ? Math.min(Math.max(r, 0.5), 100_000) : 1;
  }

  /** The pump clock now, projected from the latest reading. */
  pumpNow(wallMs: number): number | null {
    if (this.last === null) return null;
    return this.last.pumpMs + (wallMs - this.last.wallMs) * this.rate;
  }

  /** Pump time left until `pumpTargetMs`, as the phone will see it pass (wall ms). */
  wallUntil(pumpTargetMs: number, wallMs: number): number | null {
    const now = this.pumpNow(wallMs);
    if (now === null) return null;
    return Math.max(0, (pumpTargetMs - now) / this.rate);
  }
}
