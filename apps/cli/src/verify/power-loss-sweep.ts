/**
 * The power-loss sweep of the verification campaign: random programming-and-logging sessions on
 * the pump's memory model, each cut at every byte-write index. A cut after k byte writes leaves
 * exactly the first k on the memory (the NVM model's torn write), so replaying prefixes of the
 * recorded writes is the same as cutting power at each index. After each cut the pump restarts
 * from the memory and must hold the old or the new settings, every log record committed before
 * the cut, and must not be in its safe state.
 */
import { MS_PER_HOUR, MS_PER_MINUTE, NL_PER_ML, PG_PER_MG, Pump, PumpMemory, seededUniform, type ChangeSet, type MemorySpec } from '@thecal/pump-core';

/** Small logs so that wrapping happens within a session; the format is the production one. */
const SPEC: MemorySpec = { settingsBankBytes: 64 * 1024, eventCapacity: 10, therapyCapacity: 10, slotBytes: 384 };
const IDENTITY = { serial: 'SWEEP-1', model: 'thecal-40' as const };
const T0 = Date.UTC(2026, 0, 5);

export interface SweepResult {
  sessions: number;
  cuts: number;
  failures: string[];
}

function settingsOf(pump: Pump): string {
  const s = pump.status();
  return JSON.stringify({ rx: s.prescription, drug: s.reservoir.drugId, conc: s.reservoir.concentrationMcgPerMl, lowAlarm: s.reservoir.lowAlarmNl });
}

function commit(pump: Pump, atMs: number, changes: ChangeSet, id: string): void {
  const staged = pump.execute(atMs, `${id}-s`, { type: 'stage', changes });
  if (!staged.ok) return;
  pump.execute(atMs, `${id}-c`, { type: 'commit', stagedId: staged.detail['stagedId'] as number, acknowledgedSoftLimits: ['daily-dose-above-soft-limit', 'daily-dose-below-soft-minimum', 'bolus-above-soft-limit', 'increase-above-soft-limit'] });
}

/** A random session: a refill and program, then a mix of program changes, boluses, alarms and time. */
function randomSession(seed: number): ((pump: Pump, t: number) => number)[] {
  const rnd = seededUniform(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const rx = (rate: number) => ({
    drugId: 'morphine' as const,
    concentrationMcgPerMl: 10_000,
    basal: { kind: 'continuous' as const, rateNlPerDay: rate },
    maxRateNlPerDay: 24 * NL_PER_ML,
    maxDailyDosePg: 20 * PG_PER_MG,
    patientBolus: { volumeNl: 20_000, durationMs: 10 * MS_PER_MINUTE, lockoutMs: 60 * MS_PER_MINUTE, maxPer24h: 4 },
  });
  const steps: ((pump: Pump, t: number) => number)[] = [
    (p, t) => {
      commit(p, t, { refill: { withdrawnNl: 0, filledNl: 20 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 10_000 }, prescription: rx(int(100, 900) * 1000) }, `s${seed}-0`);
      return t;
    },
  ];
  const n = int(3, 6);
  for (let i = 1; i <= n; i++) {
    const kind = int(0, 4);
    steps.push((p, t) => {
      const at = t + int(1, 6 * 60) * MS_PER_MINUTE;
      if (kind === 0) commit(p, at, { prescription: rx(int(100, 900) * 1000) }, `s${seed}-${i}`);
      else if (kind === 1) p.execute(at, `s${seed}-${i}-pb`, { type: 'patient-bolus' });
      else if (kind === 2) commit(p, at, { alarms: { lowReservoirNl: int(1, 5) * NL_PER_ML } }, `s${seed}-${i}`);
      else if (kind === 3) p.execute(at, `s${seed}-${i}-test`, { type: 'alarm-test' });
      else p.advanceTo(at + int(1, 30) * MS_PER_HOUR);
      return p.nowMs;
    });
  }
  return steps;
}

/** Run `sessions` random sessions from `seed`, cutting each at every write index. */
export function powerLossSweep(sessions: number, seed: number, onProgress: (done: number, cuts: number) => void = () => {}): SweepResult {
  const failures: string[] = [];
  let cuts = 0;
  for (let s = 0; s < sessions; s++) {
    const sessionSeed = seed + s;
    const pump = Pump.manufacture({ serial: IDENTITY.serial, model: IDENTITY.model, atMs: T0 });
    const mem = PumpMemory.blank(SPEC);
    mem.save(pump);
    const base = mem.device.snapshot();
    const writes: number[] = [];
    const realWrite = mem.device.write.bind(mem.device);
    mem.device.write = (offsetBytes: number, bytes: Uint8Array) => {
      bytes.forEach((b, i) => writes.push(offsetBytes + i, b));
      realWrite(offsetBytes, bytes);
    };
    const saved = [settingsOf(pump)];
    const saveEnds = [0];
    const committed: string[][] = [pump.events.all().map((r) => `${r.seq}:${r.type}`)];
    let t = T0;
    for (const step of randomSession(sessionSeed)) {
      t = step(pump, t);
      mem.save(pump);
      saved.push(settingsOf(pump));
      saveEnds.push(writes.length / 2);
      committed.push(pump.events.latest(SPEC.eventCapacity).map((r) => `${r.seq}:${r.type}`));
    }
    const image = base.slice();
    const total = writes.length / 2;
    let save = 0;
    for (let k = 0; k <= total; k++) {
      if (k > 0) image[writes[2 * (k - 1)] ?? 0] = writes[2 * (k - 1) + 1] ?? 0;
      while ((saveEnds[save + 1] ?? Number.POSITIVE_INFINITY) <= k) save += 1;
      cuts += 1;
      const where = `session seed ${sessionSeed}, cut after write ${k}`;
      try {
        const { pump: back, selfTest } = PumpMemory.fromBytes(image, SPEC).restore(pump.nowMs + MS_PER_MINUTE, IDENTITY);
        if (selfTest.settings === 'failed') failures.push(`${where}: self-test failed: ${selfTest.detail}`);
        const got = settingsOf(back);
        if (got !== saved[save] && got !== saved[save + 1]) failures.push(`${where}: settings are neither the old nor the new ones`);
        const recovered = new Set(back.events.all().map((r) => `${r.seq}:${r.type}`));
        // A save that appends records may legitimately overwrite the oldest (the ring): only those
        // still inside the log's capacity once that save completes must survive the cut.
        const newestAfter = Math.max(0, ...(committed[save + 1] ?? committed[save] ?? []).map((c) => Number(c.split(':')[0])));
        for (const c of committed[save] ?? []) {
          if (Number(c.split(':')[0]) > newestAfter - SPEC.eventCapacity && !recovered.has(c)) failures.push(`${where}: committed record ${c} lost`);
        }
        if (back.status().therapy.suspendedBy === 'safe-state') failures.push(`${where}: safe state after restart`);
      } catch (e) {
        failures.push(`${where}: restore threw ${e instanceof Error ? e.message : String(e)}`);
      }
      if (failures.length > 20) return { sessions: s + 1, cuts, failures };
    }
    onProgress(s + 1, cuts);
  }
  return { sessions, cuts, failures };
}
