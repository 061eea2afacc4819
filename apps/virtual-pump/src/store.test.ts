import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MS_PER_HOUR, NL_PER_ML, Pump, PumpMemory, type Prescription } from '@thecal/pump-core';
import { loadOrManufacture, mirrorMemory, pumpFiles, saveMemory } from './store.ts';

const T0 = Date.UTC(2026, 0, 5);
const RX: Prescription = { drugId: 'baclofen', concentrationMcgPerMl: 500, basal: { kind: 'continuous', rateNlPerDay: 400_000 }, maxRateNlPerDay: 24 * NL_PER_ML, maxDailyDosePg: 800_000_000, patientBolus: null };

function program(pump: Pump, at: number): void {
  const st = pump.execute(at, `s${at}`, { type: 'stage', changes: { refill: { withdrawnNl: 0, filledNl: 20 * NL_PER_ML, drugId: 'baclofen', concentrationMcgPerMl: 500 }, prescription: RX } });
  assert.ok(st.ok, JSON.stringify(st));
  const c = pump.execute(at, `c${at}`, { type: 'commit', stagedId: st.detail['stagedId'] as number, acknowledgedSoftLimits: (st.detail['softLimits'] as { code: string }[]).map((x) => x.code) });
  assert.ok(c.ok, JSON.stringify(c));
}

describe('the memory file', () => {
  it('after the first image, a save writes only what changed, and the file equals the device', () => {
    const dir = mkdtempSync(join(tmpdir(), 'thecal-store-'));
    try {
      const serial = 'TH-STORE-1';
      const files = pumpFiles(dir, serial);
      loadOrManufacture(dir, serial, 'thecal-40', T0);
      const { pump, memory } = loadOrManufacture(dir, serial, 'thecal-40', T0);
      program(pump, T0 + MS_PER_HOUR);
      memory.save(pump);
      const written = mirrorMemory(files.nvmPath, memory.device);
      assert.ok(written > 0 && written < memory.device.sizeBytes / 20, `wrote ${written} of ${memory.device.sizeBytes} bytes`);
      assert.deepEqual(new Uint8Array(readFileSync(files.nvmPath)), memory.device.snapshot());
      pump.advanceTo(T0 + 5 * MS_PER_HOUR);
      saveMemory(files, memory, pump);
      assert.deepEqual(new Uint8Array(readFileSync(files.nvmPath)), memory.device.snapshot());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a process killed between any two file writes of a save leaves memory the pump restores without a fault', () => {
    const before = PumpMemory.blank();
    const pump = Pump.manufacture({ serial: 'TH-STORE-2', model: 'thecal-40', atMs: T0 });
    before.save(pump);
    before.device.takeChanges();
    const oldImage = before.device.snapshot();
    program(pump, T0 + MS_PER_HOUR);
    before.save(pump);
    const changes = before.device.takeChanges();
    assert.notEqual(changes, 'all');
    if (changes === 'all') return;
    assert.ok(changes.length > 2, `a save is several writes (${changes.length})`);
    // The file after k of the save's writes: the kill can fall after any of them.
    for (let k = 0; k <= changes.length; k++) {
      const image = oldImage.slice();
      for (const c of changes.slice(0, k)) image.set(c.bytes, c.offsetBytes);
      const { pump: back, selfTest } = PumpMemory.fromBytes(image).restore(T0 + 2 * MS_PER_HOUR, { serial: 'TH-STORE-2', model: 'thecal-40' });
      assert.notEqual(selfTest.settings, 'failed', `killed after write ${k}`);
      assert.ok(!back.status().alarms.some((a) => a.code === 'memory-error'), `no memory alarm after a kill at write ${k}`);
    }
  });
});
