// Steady-state profile helper: one 10-year warm-up run (as the benchmark does), then `years` more.
import { flex13Basal, runPatient } from './lib/scenarios.ts';
const years = Number(process.argv[2] ?? 20);
const opts = { years: 10, basal: flex13Basal(), bolusHours: [7, 10, 13, 16, 19, 22] as const, refillEveryDays: 60, recordBoluses: false };
runPatient(opts);
const t0 = performance.now();
const s = runPatient({ ...opts, years });
const ms = performance.now() - t0;
console.log(`${years} pump-years in ${ms.toFixed(0)} ms = ${(years / (ms / 1000)).toFixed(1)} pump-years/s; segments ${s.segments}`);
