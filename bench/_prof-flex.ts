import { flex13Basal, runPatient } from './lib/scenarios.ts';
const years = Number(process.argv[2] ?? 20);
const opts = { years, basal: flex13Basal(), bolusHours: [7, 10, 13, 16, 19, 22] as const, refillEveryDays: 60, recordBoluses: false };
runPatient({ ...opts, years: 2 });
const t0 = performance.now();
const s = runPatient(opts);
const ms = performance.now() - t0;
console.log(`${years} pump-years in ${ms.toFixed(0)} ms = ${(years / (ms / 1000)).toFixed(1)} pump-years/s; segments ${s.segments}`);
