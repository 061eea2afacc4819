/**
 * The fault table is generated, and it is true: re-running the detection for sampled rows finds
 * each fault by the component the table names within the time it states (and not before), the
 * pump's own detections agree with a bare pump core, a run with no fault detects nothing (the
 * programmer's findings and the clinic's worklist stay quiet), and the committed docs match their
 * JSON.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LIMITS, MS_PER_DAY, Pump } from '@thecal/pump-core';
import { COMPONENTS, FAULT_CASES, INJECT_AFTER_MS, RATE_CASES, T0, runFaultCase, runFaultFree, startWorld, type FaultTable } from './campaign.ts';
import { faultTableMarkdown } from './render.ts';
import { patientFactory } from './patient.ts';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const caseOf = (id: string) => {
  const c = FAULT_CASES.find((f) => f.id === id);
  assert.ok(c !== undefined, id);
  return c;
};
const SAMPLES: [string, number][] = [
  ['motor-stall', 0],
  ['occlusion', 0],
  ['occlusion', 3],
  ['memory-corruption-both', 1],
  ['clock-drift', 2],
  ['pocket-fill', 2],
  ['mri', 1],
];

describe('fault table', () => {
  it('each sampled row: the fault is detected by the component the table names, within the time it states', async () => {
    for (const [id, rateIndex] of SAMPLES) {
      const rate = RATE_CASES[rateIndex];
      assert.ok(rate !== undefined);
      const row = await runFaultCase(caseOf(id), rate, { patientFactory });
      for (const c of COMPONENTS) {
        const d = row.detections[c];
        if (!d.detected || d.afterMs === null) continue;
        // Run again, stopping exactly at the stated time: detected. Stopping just before: not yet.
        const at = await runFaultCase(caseOf(id), rate, { patientFactory, horizonMs: d.afterMs + 1, stopWhenAllDetected: false });
        assert.equal(at.detections[c].detected, true, `${id} at ${rate.rateNlPerDay} nL/day: ${c} not detected by ${d.afterMs} ms`);
        // The patient model finds its threshold crossings by bisection: allow it a minute.
        const slack = c === 'patient' ? 60_000 : 1;
        if (d.afterMs >= slack) {
          const before = await runFaultCase(caseOf(id), rate, { patientFactory, horizonMs: d.afterMs - slack, stopWhenAllDetected: false });
          assert.equal(before.detections[c].detected, false, `${id}: ${c} detected before the stated ${d.afterMs} ms`);
        }
      }
    }
  });

  it('a stall is found by the pump within one stroke period of the programmed rate, by a bare pump core too', async () => {
    for (const rate of RATE_CASES) {
      const row = await runFaultCase(caseOf('motor-stall'), rate, { patientFactory });
      const period = Math.ceil((LIMITS.strokeNl * MS_PER_DAY) / rate.rateNlPerDay);
      assert.ok(row.detections.pump.detected && (row.detections.pump.afterMs ?? Infinity) <= period, `${rate.rateNlPerDay}: ${row.detections.pump.afterMs} > ${period}`);
      const world = startWorld(rate, null);
      const bare: Pump = world.pump;
      const at = T0 + INJECT_AFTER_MS;
      assert.ok(bare.injectHardwareFault(at, { kind: 'motor-stall', recoveryDelayMs: null }).ok);
      bare.advanceTo(at + (row.detections.pump.afterMs ?? 0));
      assert.ok(bare.status().alarms.some((a) => a.code === 'motor-stall'));
    }
  });

  it('slower rates never detect an occlusion sooner at the programmer (at tiny rates detection is slow)', async () => {
    const times: number[] = [];
    for (const r of RATE_CASES) times.push((await runFaultCase(caseOf('occlusion'), r, { patientFactory })).detections.programmer.afterMs ?? Number.POSITIVE_INFINITY);
    for (let i = 1; i < times.length; i++) assert.ok((times[i] ?? 0) <= (times[i - 1] ?? 0), `rates ${JSON.stringify(times)}`);
    assert.ok((times[0] ?? 0) > 30 * MS_PER_DAY);
  });

  it('with no fault, over the whole horizon at every rate, no part of the system detects anything', async () => {
    for (const rate of RATE_CASES) {
      const quiet = await runFaultFree(rate, { patientFactory });
      for (const c of COMPONENTS) assert.equal(quiet[c].detected, false, `${rate.rateNlPerDay} nL/day, no fault: ${c} "detected" ${quiet[c].how} after ${quiet[c].afterMs} ms`);
    }
  });

  it('the clinic column is the clinic server\'s worklist: a stall that recovered before the visit still lists its critical alarm, as ended, until reviewed', async () => {
    const rate = RATE_CASES[1];
    assert.ok(rate !== undefined);
    const lasting = await runFaultCase(caseOf('motor-stall'), rate, { patientFactory });
    const recovered = await runFaultCase(caseOf('motor-stall-intermittent'), rate, { patientFactory });
    assert.match(lasting.detections.clinic.how, /^worklist critical-alarm: critical alarm motor-stall/);
    // The programmer shows the stall from the log; the worklist lists every unreviewed critical alarm, ended or not.
    assert.equal(recovered.detections.programmer.detected, true);
    assert.match(recovered.detections.clinic.how, /^worklist critical-alarm: critical alarm motor-stall .*\(ended\): review/);
    assert.equal(recovered.detections.clinic.afterMs, recovered.detections.programmer.afterMs);
  });

  it('the committed docs/fault-table.md is the rendering of docs/fault-table.json, and its rows match a fresh run', async () => {
    const jsonPath = `${repo}docs/fault-table.json`;
    assert.ok(existsSync(jsonPath), 'run: npx thecal faults --out docs/fault-table.md');
    const table = JSON.parse(readFileSync(jsonPath, 'utf8')) as FaultTable;
    assert.equal(readFileSync(`${repo}docs/fault-table.md`, 'utf8'), faultTableMarkdown(table));
    assert.equal(table.rows.length, FAULT_CASES.length * RATE_CASES.length);
    for (const [id, rateIndex] of SAMPLES.slice(0, 3)) {
      const rate = RATE_CASES[rateIndex];
      assert.ok(rate !== undefined);
      const fresh = await runFaultCase(caseOf(id), rate, { patientFactory });
      const stored = table.rows.find((r) => r.caseId === id && r.rateNlPerDay === rate.rateNlPerDay);
      assert.deepEqual(stored?.detections, JSON.parse(JSON.stringify(fresh.detections)), `${id} at ${rate.rateNlPerDay}: regenerate docs/fault-table.md`);
    }
  });
});
