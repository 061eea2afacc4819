import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PumpMemory, type MemorySpec } from './persistence.ts';
import { Pump } from './pump.ts';
import { MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, NL_PER_ML } from './units.ts';
import { STANDARD_BOLUS, T0, morphineRx, program } from './testing/fixtures.ts';

/** Small logs so a sweep over every byte write stays fast; the format is the same as the default. */
const SPEC: MemorySpec = { settingsBankBytes: 64 * 1024, eventCapacity: 12, therapyCapacity: 12, slotBytes: 384 };
const IDENTITY = { serial: 'NVM-1', model: 'thecal-40' as const };

/** A programming-and-logging session: each step changes the pump, then saves it. */
function session(): ((pump: Pump) => void)[] {
  return [
    (p) => program(p, T0 + MS_PER_MINUTE, { refill: { withdrawnNl: 0, filledNl: 20 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 10_000 }, prescription: morphineRx({ kind: 'continuous', rateNlPerDay: 500_000 }, STANDARD_BOLUS) }),
    (p) => void p.execute(T0 + MS_PER_HOUR, 'pb-1', { type: 'patient-bolus' }),
    (p) => p.advanceTo(T0 + MS_PER_DAY + MS_PER_HOUR),
    (p) => program(p, T0 + MS_PER_DAY + 2 * MS_PER_HOUR, { prescription: morphineRx({ kind: 'continuous', rateNlPerDay: 600_000 }, STANDARD_BOLUS) }),
    (p) => void p.execute(T0 + MS_PER_DAY + 3 * MS_PER_HOUR, 'pb-2', { type: 'patient-bolus' }),
  ];
}

/** Settings that must survive: what a clinician programmed and the drug in the reservoir. */
function settingsOf(pump: Pump): string {
  const s = pump.status();
  return JSON.stringify({ rx: s.prescription, drug: s.reservoir.drugId, conc: s.reservoir.concentrationMcgPerMl });
}

describe('power loss at any write', () => {
  it('leaves the old or the new settings, never a mix, and loses no committed log record', () => {
    // Run the session once, recording every byte write. A power cut after k byte writes leaves
    // exactly the first k of them on the memory (the device model's torn write), so replaying
    // prefixes is the same as cutting power at each write index, at a fraction of the cost.
    const pump = Pump.manufacture({ serial: IDENTITY.serial, model: IDENTITY.model, atMs: T0 });
    const mem = PumpMemory.blank(SPEC);
    mem.save(pump);
    const base = mem.device.snapshot();
    const writes: [number, number][] = [];
    const realWrite = mem.device.write.bind(mem.device);
    mem.device.write = (offsetBytes: number, bytes: Uint8Array) => {
      bytes.forEach((b, i) => writes.push([offsetBytes + i, b]));
      realWrite(offsetBytes, bytes);
    };
    const savedSettings = [settingsOf(pump)];
    const saveEnds: number[] = [0];
    const committed: string[][] = [pump.events.all().map((r) => `${r.seq}:${r.type}`)];
    for (const step of session()) {
      step(pump);
      mem.save(pump);
      savedSettings.push(settingsOf(pump));
      saveEnds.push(writes.length);
      committed.push(pump.events.latest(SPEC.eventCapacity).map((r) => `${r.seq}:${r.type}`));
    }
    const image = base.slice();
    let save = 0;
    for (let k = 0; k <= writes.length; k++) {
      if (k > 0) {
        const [offset, byte] = writes[k - 1] ?? [0, 0];
        image[offset] = byte;
      }
      while ((saveEnds[save + 1] ?? Number.POSITIVE_INFINITY) <= k) save += 1;
      const { pump: back, selfTest } = PumpMemory.fromBytes(image, SPEC).restore(pump.nowMs + MS_PER_MINUTE, IDENTITY);
      assert.notEqual(selfTest.settings, 'failed', `cut after write ${k}: ${selfTest.detail}`);
      const got = settingsOf(back);
      assert.ok(got === savedSettings[save] || got === savedSettings[save + 1], `cut after write ${k}: settings are neither the old nor the new ones`);
      const recovered = new Set(back.events.all().map((r) => `${r.seq}:${r.type}`));
      for (const c of committed[save] ?? []) assert.ok(recovered.has(c), `cut after write ${k}: committed record ${c} lost`);
      assert.notEqual(back.status().therapy.suspendedBy, 'safe-state', `cut after write ${k}`);
    }
    assert.ok(writes.length > 5_000, `the session wrote only ${writes.length} bytes`);
  });

  it('a corrupted settings bank is detected at start-up: the other copy is used and the memory alarm raised', () => {
    const pump = Pump.manufacture({ serial: IDENTITY.serial, model: IDENTITY.model, atMs: T0 });
    program(pump, T0, { refill: { withdrawnNl: 0, filledNl: 20 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 10_000 }, prescription: morphineRx({ kind: 'continuous', rateNlPerDay: 500_000 }) });
    const mem = PumpMemory.blank(SPEC);
    mem.save(pump);
    mem.save(pump);
    // Flip a byte in the middle of bank B's payload (the newest copy).
    const bankB = mem.layout.settings.bankB;
    mem.device.corrupt(bankB.offsetBytes + 100, 0x10);
    const { pump: back, selfTest } = PumpMemory.fromBytes(mem.device.snapshot(), SPEC).restore(T0 + MS_PER_HOUR, IDENTITY);
    assert.equal(selfTest.settings, 'degraded');
    assert.equal(settingsOf(back), settingsOf(pump));
    assert.ok(back.status().alarms.some((a) => a.code === 'memory-error'));
  });

  it('both banks corrupted: safe state with a critical memory alarm, nothing delivered', () => {
    const pump = Pump.manufacture({ serial: IDENTITY.serial, model: IDENTITY.model, atMs: T0 });
    program(pump, T0, { refill: { withdrawnNl: 0, filledNl: 20 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 10_000 }, prescription: morphineRx({ kind: 'continuous', rateNlPerDay: 500_000 }) });
    const mem = PumpMemory.blank(SPEC);
    mem.save(pump);
    mem.save(pump);
    mem.device.corrupt(mem.layout.settings.bankA.offsetBytes + 50, 0x01);
    mem.device.corrupt(mem.layout.settings.bankB.offsetBytes + 50, 0x01);
    const { pump: back, selfTest } = PumpMemory.fromBytes(mem.device.snapshot(), SPEC).restore(T0 + MS_PER_HOUR, IDENTITY);
    assert.equal(selfTest.settings, 'failed');
    const s = back.status();
    assert.equal(s.therapy.suspendedBy, 'safe-state');
    assert.ok(s.alarms.some((a) => a.code === 'memory-error' && a.critical));
    back.advanceTo(T0 + MS_PER_DAY);
    assert.equal(back.status().delivered.totalNl, 0);
    // The logs survive the lost settings: every record written before is still there, and the
    // numbering carries on instead of starting again at 1 (no sequence number issued twice).
    const before = pump.events.all();
    const after = back.events.all();
    assert.deepEqual(after.slice(0, before.length).map((r) => [r.seq, r.type]), before.map((r) => [r.seq, r.type]));
    assert.equal(after[before.length]?.seq, pump.events.nextSequence);
    assert.ok(after.slice(before.length).some((r) => r.type === 'self-test' && r.data['result'] === 'failed'));
    const therapyBefore = pump.therapyLog.all().map((r) => r.seq);
    assert.deepEqual(back.therapyLog.all().map((r) => r.seq).slice(0, therapyBefore.length), therapyBefore);
    assert.ok(back.therapyLog.nextSequence >= pump.therapyLog.nextSequence);
  });

  it('memory never written but logs present (a blank settings area): the logs are kept, and the pump is faulted, not new', () => {
    const pump = Pump.manufacture({ serial: IDENTITY.serial, model: IDENTITY.model, atMs: T0 });
    program(pump, T0, { refill: { withdrawnNl: 0, filledNl: 20 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 10_000 }, prescription: morphineRx({ kind: 'continuous', rateNlPerDay: 500_000 }) });
    const mem = PumpMemory.blank(SPEC);
    mem.save(pump);
    // Wipe both settings banks to blank (erased flash reads 0xff), leaving the logs.
    for (const bank of [mem.layout.settings.bankA, mem.layout.settings.bankB]) mem.device.write(bank.offsetBytes, new Uint8Array(bank.sizeBytes).fill(0xff));
    const { pump: back, selfTest } = PumpMemory.fromBytes(mem.device.snapshot(), SPEC).restore(T0 + MS_PER_HOUR, IDENTITY);
    assert.equal(selfTest.settings, 'never-written');
    assert.ok(back.events.all().some((r) => r.seq === 1 && r.type === 'manufactured'));
    assert.ok(back.status().alarms.some((a) => a.code === 'memory-error'));
  });

  it('a restored pump keeps delivering its program and keeps its logs', () => {
    const pump = Pump.manufacture({ serial: IDENTITY.serial, model: IDENTITY.model, atMs: T0 });
    program(pump, T0, { refill: { withdrawnNl: 0, filledNl: 20 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 10_000 }, prescription: morphineRx({ kind: 'continuous', rateNlPerDay: 480_000 }) });
    pump.advanceTo(T0 + 2 * MS_PER_DAY);
    const mem = PumpMemory.blank();
    mem.save(pump);
    const { pump: back } = PumpMemory.fromBytes(mem.device.snapshot()).restore(T0 + 2 * MS_PER_DAY + 10 * MS_PER_MINUTE, IDENTITY);
    assert.deepEqual(back.events.all().slice(0, pump.events.all().length), pump.events.all());
    assert.ok(back.events.all().some((e) => e.type === 'power-restored'));
    const before = back.status().delivered.totalNl;
    back.advanceTo(T0 + 3 * MS_PER_DAY + 10 * MS_PER_MINUTE);
    assert.ok(Math.abs(back.status().delivered.totalNl - before - 480_000) <= 250);
    // The 24 h guard is conservative across the restart: it charges what was delivered before it.
    assert.ok(back.trailing24hPg() >= 0);
  });
});
