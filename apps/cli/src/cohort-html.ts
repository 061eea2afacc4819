/** The cohort report as one self-contained HTML file: tables and inline SVG charts drawn here. */
import type { CohortReport } from './cohort-run.ts';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function fmt(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** Vertical bars over months. */
export function monthBars(title: string, values: readonly number[], color: string): string {
  const w = 720;
  const h = 220;
  const pad = { l: 44, r: 10, t: 24, b: 30 };
  const max = Math.max(1, ...values);
  const bw = (w - pad.l - pad.r) / Math.max(1, values.length);
  const y = (v: number) => pad.t + (h - pad.t - pad.b) * (1 - v / max);
  const bars = values
    .map((v, i) => `<rect x="${(pad.l + i * bw + bw * 0.1).toFixed(1)}" y="${y(v).toFixed(1)}" width="${Math.max(0.5, bw * 0.8).toFixed(1)}" height="${(h - pad.b - y(v)).toFixed(1)}" fill="${color}"><title>month ${i + 1}: ${fmt(v)}</title></rect>`)
    .join('');
  const ticks = [0, 0.5, 1]
    .map((f) => `<text x="${pad.l - 6}" y="${(y(max * f) + 4).toFixed(1)}" text-anchor="end" font-size="11">${fmt(Math.round(max * f * 10) / 10)}</text><line x1="${pad.l}" x2="${w - pad.r}" y1="${y(max * f).toFixed(1)}" y2="${y(max * f).toFixed(1)}" stroke="#ddd"/>`)
    .join('');
  const step = Math.max(1, Math.ceil(values.length / 12));
  const labels = values
    .map((_, i) => (i % step === 0 ? `<text x="${(pad.l + i * bw + bw / 2).toFixed(1)}" y="${h - 10}" text-anchor="middle" font-size="11">${i + 1}</text>` : ''))
    .join('');
  return `<figure><svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg"><text x="${pad.l}" y="16" font-size="13" font-weight="bold">${esc(title)}</text>${ticks}${bars}${labels}<text x="${w - pad.r}" y="${h - 10}" text-anchor="end" font-size="11">month</text></svg></figure>`;
}

/** Horizontal bars for named counts. */
export function namedBars(title: string, entries: readonly [string, number][], color: string): string {
  const rowH = 22;
  const w = 720;
  const left = 200;
  const h = 30 + rowH * Math.max(1, entries.length);
  const max = Math.max(1, ...entries.map((e) => e[1]));
  const rows = entries
    .map(([name, v], i) => {
      const y = 26 + i * rowH;
      const bw = ((w - left - 80) * v) / max;
      return `<text x="${left - 8}" y="${y + 14}" text-anchor="end" font-size="12">${esc(name)}</text><rect x="${left}" y="${y + 2}" width="${Math.max(0.5, bw).toFixed(1)}" height="${rowH - 6}" fill="${color}"/><text x="${(left + bw + 6).toFixed(1)}" y="${y + 14}" font-size="12">${fmt(v)}</text>`;
    })
    .join('');
  const empty = entries.length === 0 ? `<text x="${left}" y="44" font-size="12">none</text>` : '';
  return `<figure><svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg"><text x="10" y="16" font-size="13" font-weight="bold">${esc(title)}</text>${rows}${empty}</svg></figure>`;
}

function table(rows: [string, string | number][]): string {
  return `<table>${rows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(typeof v === 'number' ? fmt(v) : v)}</td></tr>`).join('')}</table>`;
}

export function cohortHtml(r: CohortReport, extra: { wallSeconds?: number; workers?: number } = {}): string {
  const p = r.parameters;
  const w = r.workload;
  const a = r.adverseEvents;
  const sortDesc = (rec: Record<string, number>) => Object.entries(rec).sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Thecal cohort: ${p.patients} patients x ${p.years} years</title>
<style>body{font-family:system-ui,sans-serif;max-width:780px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border-bottom:1px solid #ddd;padding:.25em .75em;text-align:left}td{text-align:right}figure{margin:1em 0}.note{color:#555;font-size:.9em}</style>
</head><body>
<h1>Cohort simulation</h1>
<p class="note">Thecal is a simulator, not a medical device. ${fmt(p.patients)} virtual patients x ${fmt(p.years)} years = ${fmt(p.patientYears)} patient-years, seed ${p.seed}${extra.workers === undefined ? '' : `, ${extra.workers} worker(s)`}${extra.wallSeconds === undefined ? '' : `, ${extra.wallSeconds.toFixed(1)} s`}. Patient model on.</p>
<h2>Clinic workload</h2>
${table([
  ['refill visits', w.refills],
  ['refills per month (mean)', Math.round(w.refillsPerMonth * 100) / 100],
  ['pump replacements', w.replacements],
  ['of which after ERI or end of service', w.replacementsAfterEri],
  ['pumps that reached end of service', w.endOfServiceReached],
  ['missed visits (7-28 days late)', w.missedVisits],
  ['catheter occlusions', w.catheterOcclusions],
])}
${monthBars('Refill visits per month', w.refillsByMonth, '#3b6ea8')}
${monthBars('Pump replacements per month', w.replacementsByMonth, '#a8583b')}
<h2>Alarms</h2>
${namedBars('Alarms raised, by kind', sortDesc(r.alarms as Record<string, number>), '#c28b00')}
<h2>Adverse events (patient model)</h2>
${table([
  ['withdrawal episodes', a.withdrawalEpisodes],
  ['patients with withdrawal', a.patientsWithWithdrawal],
  ['overdose episodes', a.overdoseEpisodes],
  ['patients with overdose', a.patientsWithOverdose],
])}
${namedBars('Patient-days by condition', sortDesc(a.patientDaysByCondition), '#4a8a4a')}
${namedBars('Sign onsets', sortDesc(a.signOnsets), '#8a4a7a')}
<h2>Cohort mix</h2>
${table([
  ...sortDesc(r.mix.byDrug).map(([k, v]): [string, number] => [`drug: ${k}`, v]),
  ...sortDesc(r.mix.byProgram).map(([k, v]): [string, number] => [`program: ${k}`, v]),
  ...sortDesc(r.mix.byReservoirMl).map(([k, v]): [string, number] => [`reservoir: ${k} mL`, v]),
  ['patient-bolus app', r.mix.withPatientBolusApp],
])}
<p class="note">Consistency: ${fmt(r.consistency.refillsPlusImplants)} refills + implant fills by the clinic, ${fmt(r.consistency.pumpRefillEvents)} refill events in the pumps' logs. Cost: ${fmt(r.cost.pumpSegments)} pump segments, ${fmt(r.cost.patientPieces)} patient pieces.</p>
</body></html>
`;
}
