/**
 * fault-table: how fast the fault-detection campaign runs (it is part of `npm run verify` and its
 * sampled rows are re-run by `npm test`), and what the true world around the pump costs compared
 * with the bare pump core over the same simulated time.
 */
import { MS_PER_HOUR } from '@thecal/pump-core';
import { buildFaultTable, RATE_CASES, startWorld, FAULT_CASES, COMPONENTS } from '../apps/cli/src/faults/campaign.ts';
import { patientFactory, PATIENT_MODEL_NAME } from '../apps/cli/src/faults/patient.ts';
import { check, printTable, result, writeResults } from './lib/results.ts';

const started = performance.now();

// 1. The whole table.
const t0 = performance.now();
const table = await buildFaultTable({ patientFactory, patientModel: PATIENT_MODEL_NAME });
const tableMs = performance.now() - t0;
check(table.rows.length === FAULT_CASES.length * RATE_CASES.length, 'every fault at every rate');
const detected = table.rows.reduce((n, r) => n + COMPONENTS.filter((c) => r.detections[c].detected).length, 0);

// 2. A year of hourly world steps against the bare core advanced over the same hours.
const DAYS = 365;
const rate = RATE_CASES[2] ?? RATE_CASES[0];
if (rate === undefined) throw new Error('no rate');
const world = startWorld(rate, patientFactory);
const t1 = performance.now();
for (let h = 1; h <= DAYS * 24; h++) world.advanceTo(world.trueMs + MS_PER_HOUR);
const worldMs = performance.now() - t1;
const bare = startWorld(rate, null).pump;
const t2 = performance.now();
for (let h = 1; h <= DAYS * 24; h++) bare.advanceTo(bare.nowMs + MS_PER_HOUR);
const bareMs = performance.now() - t2;
check(world.pump.status().delivered.totalNl > 0 && Math.abs(world.pump.status().delivered.totalNl - bare.status().delivered.totalNl) <= 250, 'the world delivers what the bare pump delivers');

const results = [
  result({ name: 'whole fault table (13 faults x 4 rates, 200 days each)', value: tableMs / 1000, unit: 's', target: { op: '<=', value: 30 }, details: { rows: table.rows.length, detectedCells: detected, patientModel: PATIENT_MODEL_NAME } }),
  result({
    name: 'world simulated days per second (hourly steps, pump + truth + patient)',
    value: DAYS / (worldMs / 1000),
    unit: 'days/s',
    baseline: { name: 'bare pump core, same hourly steps', value: DAYS / (bareMs / 1000), unit: 'days/s' },
    target: { op: '>=', value: 365 },
    details: { days: DAYS, worldMs, bareMs },
  }),
];
printTable('fault-table', results);
writeResults('fault-table', results, { rates: RATE_CASES, faults: FAULT_CASES.map((f) => f.id), worldDays: DAYS }, performance.now() - started);

