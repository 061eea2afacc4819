/**
 * The catheter as a real path: the fluid between the reservoir outlet (where the pump counts its
 * strokes) and the catheter tip is a first-in first-out column (plug flow). What the pump pushes in
 * at one end comes out at the tip only after the whole dead volume ahead of it has, so a change of
 * concentration reaches the spine exactly one dead volume later. Faults the pump does not see:
 *
 * - occlusion (kink, blocked tip): nothing moves past it. A peristaltic pump running against a
 *   closed line does not move fluid, so the volume the pump counts stays in the reservoir
 *   (`blockedNl`): this is what shows up as a larger residual than expected at the next refill.
 * - leak (a torn catheter or a loose connector at the pump): a fraction of the flow leaves the path
 *   at the pump end into the tissue of the pocket; the rest goes on to the tip.
 * - disconnection: a leak of everything; the catheter keeps its contents and nothing reaches the tip.
 *
 * Pure: no clock, the caller says how long each push takes.
 */

export type CatheterFault =
  | { kind: 'occlusion' }
  /** fraction of the flow (0 < fraction < 1) lost into tissue at the pump end. */
  | { kind: 'leak'; fraction: number }
  | { kind: 'disconnection' };

/** One piece of what leaves the path, spread evenly over `durationMs`. */
export interface PathOutput {
  durationMs: number;
  /** Drug reaching the cerebrospinal fluid at the tip during the piece. */
  csfPg: number;
  /** Drug lost into tissue (leak, disconnection) during the piece. */
  tissuePg: number;
  /** Volume leaving at the tip during the piece. */
  tipNl: number;
}

export function validateCatheterFault(f: CatheterFault): void {
  if (f.kind === 'leak' && !(f.fraction > 0 && f.fraction < 1)) {
    throw new RangeError(`a leak's fraction must be between 0 and 1 exclusive (use 'disconnection' for all of it), got ${f.fraction}`);
  }
}

export class CatheterPath {
  readonly deadVolumeNl: number;
  /** Parcels of the column, tip first: volumes (nL) and concentrations (mcg/mL = pg/nL). */
  private vols: number[] = [];
  private concs: number[] = [];
  private head = 0;
  fault: CatheterFault | null = null;
  /** Volume the pump counted while the path was occluded: it never left the reservoir. */
  blockedNl = 0;
  tissuePg = 0;
  csfPg = 0;

  /** `fillConcentrationMcgPerMl`: what the column holds at the start (0 for a new, unprimed catheter). */
  constructor(deadVolumeNl: number, fillConcentrationMcgPerMl = 0) {
    if (!Number.isSafeInteger(deadVolumeNl) || deadVolumeNl <= 0) throw new RangeError(`the path's dead volume must be a positive whole number of nL, got ${deadVolumeNl}`);
    if (!(fillConcentrationMcgPerMl >= 0) || !Number.isFinite(fillConcentrationMcgPerMl)) throw new RangeError(`fill concentration must be >= 0 mcg/mL, got ${fillConcentrationMcgPerMl}`);
    this.deadVolumeNl = deadVolumeNl;
    this.vols.push(deadVolumeNl);
    this.concs.push(fillConcentrationMcgPerMl);
  }

  /** Concentration at the tip now (what the next drop out will carry), mcg/mL. */
  tipConcentrationMcgPerMl(): number {
    return this.concs[this.head] ?? 0;
  }

  /** Drug held in the column, pg. */
  contentPg(): number {
    let s = 0;
    for (let i = this.head; i < this.vols.length; i++) s += (this.vols[i] ?? 0) * (this.concs[i] ?? 0);
    return s;
  }

  /**
   * The pump pushes `volumeNl` at `concentrationMcgPerMl` into the path, evenly over `durationMs`.
   * Returns what leaves, as consecutive pieces whose durations add up to `durationMs`.
   */
  push(volumeNl: number, concentrationMcgPerMl: number, durationMs: number, out: PathOutput[] = []): PathOutput[] {
    out.length = 0;
    this.used = 0;
    if (durationMs <= 0) {
      if (volumeNl > 0) throw new RangeError(`${volumeNl} nL cannot be pushed in no time`);
      return out;
    }
    const f = this.fault;
    if (volumeNl <= 0) {
      out.push(this.piece(durationMs, 0, 0, 0));
      return out;
    }
    if (f !== null && f.kind === 'occlusion') {
      this.blockedNl += volumeNl;
      out.push(this.piece(durationMs, 0, 0, 0));
      return out;
    }
    if (f === null && this.head === this.vols.length - 1 && this.concs[this.head] === concentrationMcgPerMl) {
      // The usual case: one parcel of the same drug fills the path; what leaves is what enters.
      const pg = volumeNl * concentrationMcgPerMl;
      this.csfPg += pg;
      out.push(this.piece(durationMs, pg, 0, volumeNl));
      return out;
    }
    const lostFraction = f === null ? 0 : f.kind === 'disconnection' ? 1 : f.fraction;
    const lostPg = volumeNl * lostFraction * concentrationMcgPerMl;
    const onwardNl = volumeNl * (1 - lostFraction);
    this.tissuePg += lostPg;
    if (onwardNl <= 0) {
      out.push(this.piece(durationMs, 0, lostPg, 0));
      return out;
    }
    // Enter at the pump end (merging with the last parcel when it is the same drug), leave at the tip.
    const last = this.concs.length - 1;
    if (last >= this.head && this.concs[last] === concentrationMcgPerMl) this.vols[last] = (this.vols[last] ?? 0) + onwardNl;
    else {
      this.vols.push(onwardNl);
      this.concs.push(concentrationMcgPerMl);
    }
    let remaining = onwardNl;
    let elapsed = 0;
    while (remaining > 1e-9 && this.head < this.vols.length) {
      const v = this.vols[this.head] ?? 0;
      const c = this.concs[this.head] ?? 0;
      const take = v <= remaining ? v : remaining;
      // The last piece takes whatever time is left, so rounding never loses or adds time.
      const isLast = take >= remaining - 1e-9;
      const dt = isLast ? durationMs - elapsed : (durationMs * take) / onwardNl;
      const pg = take * c;
      this.csfPg += pg;
      out.push(this.piece(dt, pg, (lostPg * dt) / durationMs, take));
      elapsed += dt;
      remaining -= take;
      if (take >= v - 1e-9) this.head++;
      else this.vols[this.head] = v - take;
    }
    // Volumes below the loop's resolution leave no piece: the time still passes.
    if (elapsed < durationMs) {
      const last = out[out.length - 1];
      if (last !== undefined) last.durationMs += durationMs - elapsed;
      else out.push(this.piece(durationMs, 0, lostPg, 0));
    }
    if (this.head > 32 && this.head * 2 > this.vols.length) {
      this.vols.splice(0, this.head);
      this.concs.splice(0, this.head);
      this.head = 0;
    }
    return out;
  }

  /** Piece objects are reused from call to call (the caller reads them before the next push). */
  private readonly pool: PathOutput[] = [];
  private used = 0;
  private piece(durationMs: number, csfPg: number, tissuePg: number, tipNl: number): PathOutput {
    let p = this.pool[this.used];
    if (p === undefined) {
      p = { durationMs: 0, csfPg: 0, tissuePg: 0, tipNl: 0 };
      this.pool.push(p);
    }
    this.used++;
    p.durationMs = durationMs;
    p.csfPg = csfPg;
    p.tissuePg = tissuePg;
    p.tipNl = tipNl;
    return p;
  }

  /** Parcels from tip to pump end (for the instructor's view and tests). */
  parcels(): { volumeNl: number; concentrationMcgPerMl: number }[] {
    const out: { volumeNl: number; concentrationMcgPerMl: number }[] = [];
    for (let i = this.head; i < this.vols.length; i++) out.push({ volumeNl: this.vols[i] ?? 0, concentrationMcgPerMl: this.concs[i] ?? 0 });
    return out;
  }
}
