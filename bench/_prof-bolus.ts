// Instruction-count helper for the patient-bolus path: one 10-year warm-up run (as the benchmark
// does), then `years` more, with the speed benchmark's 6 boluses a day ("bolus") or none ("none").
// Under callgrind, (bolus - none) / boluses is the marginal cost of one bolus (its command plus
// the segments and logs it adds); (years=10 - years=0) / 10 the cost of a pump-year.
import { flex13Basal, runPatient } from './lib/scenarios.ts';
const years = Number(process.argv[2] ?? 10);
const mode = process.argv[3] ?? 'bolus';
const bolusHours = mode === 'bolus' ? [7, 10, 13, 16, 19, 22] : [];
const opts = { years: 10, basal: flex13Basal(), bolusHours, refillEveryDays: 60, recordBoluses: false };
runPatient(opts);
const t0 = performance.now();
const s = runPatient({ ...opts, years });
const ms = performance.now() - t0;
console.log(`${mode}: ${years} pump-years in ${ms.toFixed(0)} ms; segments ${s.segments}; boluses ${s.granted}/${s.requested}`);
