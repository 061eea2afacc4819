/**
 * A bad radio link on purpose, for tests and training: frames dropped, corrupted (one bit
 * flipped), delayed, duplicated or reordered at given rates, from a seeded generator so a run can
 * be repeated. Applied to each direction separately.
 */
import { seededUniform } from '@thecal/pump-core';

export interface ImpairmentSpec {
  /** Probabilities 0..1 per frame. */
  drop: number;
  corrupt: number;
  duplicate: number;
  reorder: number;
  /** Added latency per frame, ms (plus up to `jitterMs`). */
  delayMs: number;
  jitterMs: number;
  seed: number;
}
export const NO_IMPAIRMENT: ImpairmentSpec = { drop: 0, corrupt: 0, duplicate: 0, reorder: 0, delayMs: 0, jitterMs: 0, seed: 1 };

/** "drop=0.1,corrupt=0.01,delay=50,seed=7" -> spec; names the bad part on error. */
export function parseImpairment(text: string): ImpairmentSpec {
  const spec: ImpairmentSpec = { ...NO_IMPAIRMENT };
  for (const part of text.split(',').map((s) => s.trim()).filter((s) => s.length > 0)) {
    const [k, v] = part.split('=');
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`impairment "${part}": expected name=number >= 0`);
    switch (k) {
      case 'drop':
      case 'corrupt':
      case 'duplicate':
      case 'reorder':
        if (n > 1) throw new Error(`impairment "${part}": a rate is between 0 and 1`);
        spec[k] = n;
        break;
      case 'delay':
        spec.delayMs = n;
        break;
      case 'jitter':
        spec.jitterMs = n;
        break;
      case 'seed':
        spec.seed = Math.floor(n);
        break;
      default:
        throw new Error(`impairment "${part}": unknown name "${k ?? ''}" (drop, corrupt, duplicate, reorder, delay, jitter, seed)`);
    }
  }
  return spec;
}


export interface ImpairmentCounts {
  frames: number;
  dropped: number;
  corrupted: number;
  duplicated: number;
  reordered: number;
}

export class ImpairedPath {
  readonly counts: ImpairmentCounts = { frames: 0, dropped: 0, corrupted: 0, duplicated: 0, reordered: 0 };
  private readonly rand: () => number;
  private held: { frame: Uint8Array; timer: ReturnType<typeof setTimeout> } | null = null;

  constructor(
    private readonly spec: ImpairmentSpec,
    private readonly deliver: (frame: Uint8Array) => void,
  ) {
    this.rand = seededUniform(spec.seed);
  }

  get active(): boolean {
    const s = this.spec;
    return s.drop > 0 || s.corrupt > 0 || s.duplicate > 0 || s.reorder > 0 || s.delayMs > 0 || s.jitterMs > 0;
  }

  push(frame: Uint8Array): void {
    this.counts.frames += 1;
    if (!this.active) {
      this.deliver(frame);
      return;
    }
    if (this.rand() < this.spec.drop) {
      this.counts.dropped += 1;
      return;
    }
    let f = frame;
    if (this.rand() < this.spec.corrupt && f.length > 0) {
      f = f.slice();
      const bit = Math.floor(this.rand() * f.length * 8);
      f[bit >> 3] = (f[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      this.counts.corrupted += 1;
    }
    const copies = this.rand() < this.spec.duplicate ? 2 : 1;
    if (copies === 2) this.counts.duplicated += 1;
    if (this.held === null && this.rand() < this.spec.reorder) {
      // Hold this one back until the next frame has gone (or a short while passes).
      this.counts.reordered += 1;
      const timer = setTimeout(() => this.release(), 250);
      this.held = { frame: f, timer };
      return;
    }
    for (let i = 0; i < copies; i++) this.later(f);
    this.release();
  }

  private release(): void {
    const h = this.held;
    if (h === null) return;
    this.held = null;
    clearTimeout(h.timer);
    this.later(h.frame);
  }

  private later(f: Uint8Array): void {
    const wait = this.spec.delayMs + this.rand() * this.spec.jitterMs;
    if (wait <= 0) this.deliver(f);
    else setTimeout(() => this.deliver(f), wait);
  }

  close(): void {
    if (this.held !== null) clearTimeout(this.held.timer);
    this.held = null;
  }
}
