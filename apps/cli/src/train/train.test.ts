/**
 * Training scenarios: every file in examples/training parses and its starting state is accepted
 * by the pump; bad files are refused with the path and the reason; a run starts the clinic server
 * and a virtual pump whose ground truth and debrief the instructor page reads.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MS_PER_DAY, Pump } from '@thecal/pump-core';
import { parseTraining } from './scenario.ts';
import { manufactureTime, preparePump } from './prepare.ts';
import { loadTraining, startTraining } from './train-command.ts';

const dir = fileURLToPath(new URL('../../../../examples/training/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('training scenarios', () => {
  it('the six scenarios of the issue are there', () => {
    for (const name of ['missed-refill-holiday', 'concentration-change', 'screening-and-titration', 'post-mri-stall', 'pocket-fill', 'end-of-battery']) {
      assert.ok(files.includes(`${name}.json`), name);
    }
  });

  for (const file of files) {
    it(`${file}: valid, and the pump accepts its starting state`, () => {
      const loaded = loadTraining(join(dir, file));
      assert.ok(loaded.ok, loaded.ok ? '' : loaded.message);
      const s = loaded.scenario;
      const pump = Pump.manufacture({ serial: s.pump.serial, model: s.pump.model, atMs: manufactureTime(s) });
      preparePump(pump, s);
      const st = pump.status();
      assert.equal(pump.nowMs, s.start);
      if (s.therapy !== null) {
        assert.equal(st.therapy.running, true, `${file}: ${st.therapy.suspendedBy}`);
        assert.equal(st.reservoir.concentrationMcgPerMl, s.therapy.concentration);
        // A day of delivery brought the reservoir to the scenario's volume.
        // (The basal pauses for the few minutes a priming bolus runs: a few µL more.)
        assert.ok(Math.abs(st.reservoir.volumeNl - s.therapy.reservoir) <= 5_000, `${file}: reservoir ${st.reservoir.volumeNl}`);
      } else {
        assert.equal(st.prescription, null);
      }
    });
  }

  it('the end-of-battery pump reaches ERI within days of the start, not before', () => {
    const loaded = loadTraining(join(dir, 'end-of-battery.json'));
    assert.ok(loaded.ok);
    const s = loaded.scenario;
    const pump = Pump.manufacture({ serial: s.pump.serial, model: s.pump.model, atMs: manufactureTime(s) });
    preparePump(pump, s);
    assert.equal(pump.status().battery.eriAtMs, null);
    pump.advanceTo(s.start + 4 * MS_PER_DAY);
    assert.ok(pump.status().alarms.some((a) => a.code === 'eri'));
  });

  it('refuses a bad scenario with the path and the reason of each problem', () => {
    const good = JSON.parse(readFileSync(join(dir, 'post-mri-stall.json'), 'utf8')) as Record<string, unknown>;
    const bad = { ...good, speed: 0, therapy: { ...(good['therapy'] as object), rate: '0.5 mL/week' }, faults: [{ after: 'PT1H', fault: { kind: 'mri', fieldMs: 1 } }] };
    const r = parseTraining(bad);
    assert.equal(r.ok, false);
    const text = r.ok ? '' : r.errors.join('\n');
    assert.match(text, /^speed: /m);
    assert.match(text, /^therapy\.rate: .*unknown/m);
    assert.match(text, /^faults\.0\.fault\.recoveryDelayMs: /m);
  });
});

describe('a training run', () => {
  it('starts the clinic server and a virtual pump in the scenario state; truth and debrief follow the scheduled fault', async () => {
    const loaded = loadTraining(join(dir, 'post-mri-stall.json'));
    assert.ok(loaded.ok);
    const data = mkdtempSync(join(tmpdir(), 'thecal-train-test-'));
    const run = await startTraining(loaded.scenario, { dataDir: data, clinicPort: 0, pumpPort: 0, speed: 36_000 });
    try {
      assert.match(run.urls.instructor, /\/instructor\/\?pump=http/);
      // An hour of pump time is 0.1 s here: wait for the MRI and its stall.
      type Truth = { faults: { fault: { kind: string } }[]; training: { title: string }; pump: { suspendedBy: string | null } };
      const read = async () => (await (await fetch(`${run.urls.control}/truth`)).json()) as Truth;
      let truth = await read();
      for (let i = 0; i < 50 && truth.faults.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        truth = await read();
      }
      assert.equal(truth.training.title, 'Post-MRI stall');
      assert.deepEqual(truth.faults.map((f) => f.fault.kind), ['mri']);
      const debrief = (await (await fetch(`${run.urls.control}/debrief`)).json()) as { faults: { text: string; firstPumpAlarmMs: number | null }[]; expected: { action: string; status: string }[] };
      assert.equal(debrief.faults.length, 1);
      assert.match(debrief.faults[0]?.text ?? '', /MRI/);
      assert.ok(debrief.faults[0]?.firstPumpAlarmMs !== null, 'the stall alarm is on the timeline');
      assert.deepEqual(debrief.expected.map((e) => e.action), ['interrogation', 'refill']);
      const page = await fetch(`${run.urls.clinic}/instructor/`);
      assert.notEqual(page.status, 404, 'the clinic server serves the instructor page (or says how to build it)');
    } finally {
      await run.close();
      rmSync(data, { recursive: true, force: true });
    }
  });
});
