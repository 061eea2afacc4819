/**
 * The virtual pump's clock: pump time runs at `speed` times real time from where it started (or
 * resumed). Whole milliseconds, never backwards. Link time (session timeouts) stays real time.
 */
export class ScaledClock {
  private readonly startPumpMs: number;
  private readonly startRealMs: number;
  private last: number;

  constructor(
    startPumpMs: number,
    readonly speed: number,
    private readonly realNow: () => number = () => performance.now(),
  ) {
    if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be a positive number, got ${speed}`);
    this.startPumpMs = startPumpMs;
    this.startRealMs = realNow();
    this.last = startPumpMs;
  }

  pumpMs(): number {
    const t = this.startPumpMs + Math.floor((this.realNow() - this.startRealMs) * this.speed);
    this.last = Math.max(this.last, t);
    return this.last;
  }
}
