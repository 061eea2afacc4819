/**
 * The guided workflows. Each one is a form that computes (with @thecal/therapy-calc) and ends in a
 * proposal for the Finish screen; none of them sends anything to the pump.
 */
import { useId, useState, type ReactNode } from 'react';
import { DRUG_IDS, DRUG_LIBRARY, LIMITS, NL_PER_ML, type BasalProgram, type DayProgram, type DrugId, type Prescription, type PumpModelId } from '@thecal/pump-core';
import {
  CATHETER_MODELS,
  bridgeDurationMs,
  bridgeNeeded,
  bridgeVolumeNl,
  catheterVolumeNl,
  dayVolumeNl,
  doseChangePercent,
  doseUnitOf,
  fillCheck,
  formatConcentration,
  formatDrugDose,
  formatMinute,
  formatRateMlPerDay,
  formatVolumeMl,
  maxDailyVolumeNl,
  meanDailyVolumeNl,
  parseMinute,
  pgToUnit,
  prescriptionAtConcentration,
  primingDurationMs,
  rateForDailyDosePg,
  refillDates,
  residualCheck,
  unitToPg,
  weekDailyVolumesNl,
} from '@thecal/therapy-calc';
import type { Proposal } from './Finish.tsx';
import type { Interrogated } from './pump-link.ts';
import { ScheduleChart } from './ScheduleChart.tsx';
import { WEEKDAYS, dateText, dayText } from './settings-view.ts';

export type WorkflowId = 'refill' | 'prescription' | 'clinician-bolus' | 'priming' | 'patient-bolus' | 'alarms' | 'mri' | 'replacement' | 'therapy';
export const WORKFLOWS: { id: WorkflowId; title: string }[] = [
  { id: 'refill', title: 'Refill' },
  { id: 'prescription', title: 'Dose change, titration and flex schedule' },
  { id: 'clinician-bolus', title: 'Clinician bolus' },
  { id: 'priming', title: 'Priming bolus (implant or catheter revision)' },
  { id: 'patient-bolus', title: 'Patient-bolus limits' },
  { id: 'alarms', title: 'Alarm settings and alarm test' },
  { id: 'mri', title: 'Pre-MRI and post-MRI check' },
  { id: 'replacement', title: 'Replacement planning' },
  { id: 'therapy', title: 'Stop or resume therapy' },
];

interface WfProps {
  data: Interrogated;
  onPropose: (p: Proposal) => void;
}

function Field(props: { label: string; unit?: string; value: string; onChange: (v: string) => void; hint?: string; type?: string; name?: string }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>
        {props.label}
        {props.unit !== undefined && <span className="unit"> ({props.unit})</span>}
      </label>
      <input id={id} name={props.name} type={props.type ?? 'text'} inputMode={props.type === undefined ? 'decimal' : undefined} value={props.value} onChange={(e) => props.onChange(e.target.value)} aria-describedby={props.hint === undefined ? undefined : `${id}-hint`} />
      {props.hint !== undefined && (
        <small id={`${id}-hint`} className="hint">
          {props.hint}
        </small>
      )}
    </div>
  );
}

function Select(props: { label: string; value: string; options: { value: string; label: string }[]; onChange: (v: string) => void; name?: string }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <select id={id} name={props.name} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** Parses a decimal typed by a person; null (with the field showing why) when it is not a number. */
function num(v: string): number | null {
  const t = v.trim().replace(',', '.');
  if (t === '' || !/^-?\d*\.?\d+$/.test(t)) return null;
  return Number(t);
}
const mlToNl = (ml: number) => Math.round(ml * NL_PER_ML);

function Errors(props: { errors: string[] }) {
  if (props.errors.length === 0) return null;
  return (
    <div className="errors" role="alert">
      <ul>
        {props.errors.map((e) => (
          <li key={e}>{e}</li>
        ))}
      </ul>
    </div>
  );
}

function Next(props: { disabled: boolean; onClick: () => void; children?: ReactNode }) {
  return (
    <button type="button" className="next" disabled={props.disabled} onClick={props.onClick}>
      {props.children ?? 'Review on the Finish screen'}
    </button>
  );
}

// ------------------------------------------------------------------ refill

export function RefillWorkflow({ data, onPropose }: WfProps) {
  const s = data.status;
  const model = s.model as PumpModelId;
  const [withdrawn, setWithdrawn] = useState('');
  const [drug, setDrug] = useState<DrugId>(s.reservoir.drugId ?? 'baclofen');
  const [conc, setConc] = useState(String(s.reservoir.concentrationMcgPerMl || DRUG_LIBRARY[s.reservoir.drugId ?? 'baclofen'].concentrationsMcgPerMl[0]));
  const [fill, setFill] = useState(String(s.reservoir.capacityNl / NL_PER_ML));
  const [placementChecked, setPlacementChecked] = useState(false);
  const [keepDose, setKeepDose] = useState(true);
  const [bridge, setBridge] = useState(true);
  const errors: string[] = [];
  const w = num(withdrawn);
  if (w === null || w < 0) errors.push('Enter the residual volume you withdrew, in mL (0 or more).');
  const f = num(fill);
  const fc = f === null ? null : fillCheck(model, mlToNl(f));
  if (fc === null) errors.push('Enter the new fill volume in mL.');
  else if (!fc.ok) errors.push(`Fill volume: ${fc.problem ?? ''}.`);
  const c = Number(conc);
  const check = w === null || w < 0 ? null : residualCheck(model, s.reservoir.volumeNl, mlToNl(w));
  if (check?.flagged === true && !placementChecked) errors.push('The residual differs from the expected volume: confirm the needle placement check before continuing.');
  const rx = s.prescription;
  const concChanges = s.reservoir.drugId !== null && (drug !== s.reservoir.drugId || c !== s.reservoir.concentrationMcgPerMl);
  const canBridge = bridgeNeeded({ drugId: s.reservoir.drugId, concentrationMcgPerMl: s.reservoir.concentrationMcgPerMl }, { drugId: drug, concentrationMcgPerMl: c }) && drug === s.reservoir.drugId && s.device.catheterPrimed && rx !== null;
  if (concChanges && rx === null) errors.push('There is no prescription to carry over; use the dose-change workflow after the refill.');
  if (drug !== (rx?.drugId ?? drug)) errors.push('A drug change needs a new prescription and a primed catheter: not supported in the refill workflow.');
  let newRx: Prescription | null = null;
  if (rx !== null && concChanges && errors.length === 0) {
    // Keeping the dose means every volume that carries a dose is recomputed, the patient bolus too.
    newRx = keepDose ? prescriptionAtConcentration(rx, c) : { ...rx, drugId: drug, concentrationMcgPerMl: c };
  }
  const computed: { label: string; value: string }[] = [];
  const warnings: string[] = [];
  if (check !== null) {
    computed.push({ label: 'Expected residual', value: formatVolumeMl(check.expectedNl) }, { label: 'Withdrawn', value: formatVolumeMl(check.withdrawnNl) }, { label: 'Difference', value: `${check.differenceNl >= 0 ? '+' : ''}${formatVolumeMl(check.differenceNl)} (flagged if over ${formatVolumeMl(check.thresholdNl)})` });
    if (check.flagged) warnings.push(`Residual discrepancy of ${formatVolumeMl(Math.abs(check.differenceNl))}, more than ${formatVolumeMl(check.thresholdNl)} for this pump. The pump logs it.`);
    if (check.possiblePocketOrAccessPort) warnings.push('Less came out than expected: the needle may be in the pocket or the catheter access port. Injecting there gives drug under the skin or straight to the spine. Use the template and the reservoir septum only.');
  }
  const effRx = newRx ?? rx;
  if (effRx !== null && f !== null && fc?.ok === true) {
    const daily = meanDailyVolumeNl(effRx.basal);
    computed.push({ label: 'New daily dose', value: `${formatDrugDose(maxDailyVolumeNl(effRx.basal) * effRx.concentrationMcgPerMl, effRx.drugId, true)} (largest weekday)` });
    if (rx !== null && newRx !== null) computed.push({ label: 'Daily dose before', value: formatDrugDose(maxDailyVolumeNl(rx.basal) * rx.concentrationMcgPerMl, rx.drugId, true) });
    const d = refillDates({ nowMs: s.nowMs, volumeNl: mlToNl(f), lowAlarmNl: s.reservoir.lowAlarmNl, basalDailyNl: daily, patientBolus: effRx.patientBolus, drugId: drug, filledAtMs: s.nowMs });
    computed.push({ label: 'Low-reservoir alarm date', value: dayText(d.lowReservoirAtMs, s.utcOffsetMs) }, { label: 'Next refill by', value: `${dayText(d.nextRefillByMs, s.utcOffsetMs)} (${d.limitedBy === 'stability' ? 'drug stability' : '3.0 mL rule'})` });
  }
  if (concChanges && canBridge && bridge && s.device.catheter !== null && rx !== null) {
    const v = bridgeVolumeNl(s.device.catheter.volumeNl);
    const mean = meanDailyVolumeNl(rx.basal);
    computed.push({ label: 'Bridge bolus', value: `${formatVolumeMl(v)} of the old ${formatConcentration(rx.concentrationMcgPerMl, rx.drugId)} at the old rates, about ${mean > 0 ? (bridgeDurationMs(v, mean) / 3_600_000).toFixed(1) : '?'} h` });
  }
  if (concChanges && !keepDose && rx !== null) warnings.push(`Rates unchanged at the new concentration: every dose changes by a factor of ${(c / rx.concentrationMcgPerMl).toFixed(2)}.`);
  if (concChanges && !bridge) warnings.push('No bridge bolus: the old drug in the catheter will be delivered at the new rates.');
  const propose = () => {
    if (w === null || f === null) return;
    onPropose({
      workflow: 'Refill',
      action: {
        kind: 'staged',
        changes: {
          refill: { withdrawnNl: mlToNl(w), filledNl: mlToNl(f), drugId: drug, concentrationMcgPerMl: c },
          ...(newRx === null ? {} : { prescription: newRx }),
          ...(concChanges && canBridge && bridge ? { bolus: { kind: 'bridge' as const } } : {}),
        },
      },
      computed,
      warnings,
    });
  };
  return (
    <form onSubmit={(e) => e.preventDefault()} aria-label="Refill">
      <p>Locate the reservoir septum with the template. Withdraw all residual drug, then enter what came out.</p>
      <p>
        Expected residual (the pump's count): <strong>{formatVolumeMl(s.reservoir.volumeNl)}</strong>
      </p>
      <Field label="Residual withdrawn" unit="mL" name="withdrawn" value={withdrawn} onChange={setWithdrawn} />
      {check?.flagged === true && (
        <div className="warning" role="alert">
          <p>
            Withdrawn {formatVolumeMl(check.withdrawnNl)}, expected {formatVolumeMl(check.expectedNl)}: a difference over {formatVolumeMl(check.thresholdNl)}.
            {check.possiblePocketOrAccessPort && ' Possible pocket fill or catheter access port: stop and check the needle position.'}
          </p>
          <label>
            <input type="checkbox" name="placement" checked={placementChecked} onChange={(e) => setPlacementChecked(e.target.checked)} /> I re-checked the needle placement in the reservoir septum (not the pocket, not the catheter access port)
          </label>
        </div>
      )}
      <Select label="New drug" name="drug" value={drug} options={DRUG_IDS.map((d) => ({ value: d, label: DRUG_LIBRARY[d].name }))} onChange={(v) => {
        const d = v as DrugId;
        setDrug(d);
        setConc(String(DRUG_LIBRARY[d].concentrationsMcgPerMl[0]));
      }} />
      <Select label="Concentration" name="concentration" value={conc} options={DRUG_LIBRARY[drug].concentrationsMcgPerMl.map((x) => ({ value: String(x), label: formatConcentration(x, drug) }))} onChange={setConc} />
      <Field label="Volume filled" unit="mL" name="filled" value={fill} onChange={setFill} hint={`reservoir holds ${formatVolumeMl(s.reservoir.capacityNl)}`} />
      {concChanges && rx !== null && (
        <fieldset>
          <legend>Concentration change</legend>
          <label>
            <input type="checkbox" name="keep-dose" checked={keepDose} onChange={(e) => setKeepDose(e.target.checked)} /> Keep the same daily dose (rates recomputed for {formatConcentration(c, drug)})
          </label>
          {canBridge && (
            <label>
              <input type="checkbox" name="bridge" checked={bridge} onChange={(e) => setBridge(e.target.checked)} /> Bridge bolus: push the old drug out of the pump and catheter at the old dose rate
            </label>
          )}
        </fieldset>
      )}
      <Computed rows={computed} />
      <Errors errors={errors} />
      <Next disabled={errors.length > 0} onClick={propose} />
    </form>
  );
}

function Computed(props: { rows: { label: string; value: string }[] }) {
  if (props.rows.length === 0) return null;
  return (
    <dl className="computed" aria-live="polite">
      {props.rows.map((r) => (
        <div key={r.label}>
          <dt>{r.label}</dt>
          <dd>{r.value}</dd>
        </div>
      ))}
    </dl>
  );
}

// ------------------------------------------------------------------ prescription, titration, flex

interface StepDraft {
  start: string;
  dose: string;
}
interface DayDraft {
  name: string;
  steps: StepDraft[];
}

export function PrescriptionWorkflow({ data, onPropose, patientBolusOnly = false }: WfProps & { patientBolusOnly?: boolean }) {
  const s = data.status;
  const rx = s.prescription;
  const drug = rx?.drugId ?? s.reservoir.drugId;
  const conc = rx?.concentrationMcgPerMl ?? s.reservoir.concentrationMcgPerMl;
  if (drug === null || conc === 0) return <p role="alert">The reservoir holds no drug: start with a refill.</p>;
  return <PrescriptionForm data={data} onPropose={onPropose} drug={drug} conc={conc} patientBolusOnly={patientBolusOnly} />;
}

function PrescriptionForm({ data, onPropose, drug, conc, patientBolusOnly }: WfProps & { drug: DrugId; conc: number; patientBolusOnly: boolean }) {
  const s = data.status;
  const rx = s.prescription;
  const unit = doseUnitOf(drug);
  const lib = DRUG_LIBRARY[drug];
  const doseOfRate = (r: number) => String(pgToUnit(r * conc, unit));
  const initialDays = (): DayDraft[] => {
    if (rx === null) return [{ name: 'every day', steps: [{ start: '00:00', dose: '' }] }];
    if (rx.basal.kind === 'continuous') return [{ name: 'every day', steps: [{ start: '00:00', dose: doseOfRate(rx.basal.rateNlPerDay) }] }];
    return rx.basal.dayPrograms.map((p) => ({ name: p.name, steps: p.steps.map((x) => ({ start: formatMinute(x.startMinute), dose: doseOfRate(x.rateNlPerDay) })) }));
  };
  const [mode, setMode] = useState<'continuous' | 'flex'>(rx?.basal.kind ?? 'continuous');
  const [days, setDays] = useState<DayDraft[]>(initialDays);
  const [week, setWeek] = useState<number[]>(rx?.basal.kind === 'flex' ? [...rx.basal.week] : [0, 0, 0, 0, 0, 0, 0]);
  const [maxDaily, setMaxDaily] = useState(rx === null ? '' : String(pgToUnit(rx.maxDailyDosePg, unit)));
  const pb = rx?.patientBolus ?? null;
  const [pbOn, setPbOn] = useState(pb !== null);
  const [pbDose, setPbDose] = useState(pb === null ? '' : String(pgToUnit(pb.volumeNl * conc, unit)));
  const [pbDur, setPbDur] = useState(pb === null ? '10' : String(pb.durationMs / 60_000));
  const [pbLock, setPbLock] = useState(pb === null ? '180' : String(pb.lockoutMs / 60_000));
  const [pbMax, setPbMax] = useState(pb === null ? '4' : String(pb.maxPer24h));

  const errors: string[] = [];
  // Each step's dose is typed per day (the daily dose that rate would give over 24 h), in the drug's unit.
  const dayPrograms: DayProgram[] = [];
  const usedDays = mode === 'continuous' ? days.slice(0, 1) : days;
  usedDays.forEach((d, di) => {
    const steps = d.steps.map((st, si) => {
      let startMinute = 0;
      try {
        startMinute = parseMinute(st.start);
      } catch (e) {
        errors.push(`${d.name}, step ${si + 1}: ${(e as Error).message}`);
      }
      const v = num(st.dose);
      if (v === null || v < 0) errors.push(`${d.name}, step ${si + 1}: enter a dose in ${unit}/day`);
      return { startMinute, rateNlPerDay: v === null || v < 0 ? 0 : rateForDailyDosePg(unitToPg(v, unit), conc) };
    });
    try {
      dayVolumeNl(steps);
    } catch (e) {
      errors.push(`${d.name}: ${(e as Error).message}`);
    }
    dayPrograms.push({ name: d.name.trim() === '' ? `program ${di + 1}` : d.name.trim(), steps });
  });
  const basal: BasalProgram = mode === 'continuous' ? { kind: 'continuous', rateNlPerDay: dayPrograms[0]?.steps[0]?.rateNlPerDay ?? 0 } : { kind: 'flex', dayPrograms, week };
  const md = num(maxDaily);
  if (md === null || md <= 0) errors.push(`Enter the maximum daily dose in ${unit}/day.`);
  let patientBolus: Prescription['patientBolus'] = null;
  if (pbOn) {
    const [d, du, lo, mx] = [num(pbDose), num(pbDur), num(pbLock), num(pbMax)];
    if (!lib.patientBolusAllowed) errors.push(`Patient boluses are not allowed with ${lib.name} in the drug library.`);
    if (d === null || d <= 0 || du === null || lo === null || mx === null) errors.push('Patient bolus: enter dose, duration, lockout and count.');
    else patientBolus = { volumeNl: rateForDailyDosePg(unitToPg(d, unit), conc), durationMs: Math.round(du * 60_000), lockoutMs: Math.round(lo * 60_000), maxPer24h: Math.round(mx) };
  }
  const next: Prescription = { drugId: drug, concentrationMcgPerMl: conc, basal, maxRateNlPerDay: rx?.maxRateNlPerDay ?? LIMITS.defaultMaxRateNlPerDay, maxDailyDosePg: md === null ? 0 : unitToPg(md, unit), patientBolus };
  const computed: { label: string; value: string }[] = [];
  const warnings: string[] = [];
  let vols: number[] = [];
  try {
    vols = weekDailyVolumesNl(basal);
  } catch {
    vols = [];
  }
  if (vols.length === 7 && errors.length === 0) {
    const newMax = Math.max(...vols) * conc;
    computed.push({ label: 'Daily dose by weekday', value: vols.map((v, i) => `${WEEKDAYS[i]} ${formatDrugDose(v * conc, drug)}`).join(', ') });
    if (patientBolus !== null) computed.push({ label: 'Worst day with every patient bolus', value: formatDrugDose(newMax + patientBolus.volumeNl * patientBolus.maxPer24h * conc, drug, true) });
    if (rx !== null) {
      const oldMax = maxDailyVolumeNl(rx.basal) * rx.concentrationMcgPerMl;
      const pct = doseChangePercent(oldMax, newMax);
      computed.push({ label: 'Change of the largest daily dose', value: `${formatDrugDose(oldMax, drug, true)} to ${formatDrugDose(newMax, drug, true)} (${pct === null ? 'new' : `${pct > 0 ? '+' : ''}${pct} %`})` });
      if (pct !== null && pct > lib.limits.hardMaxIncreasePercent) warnings.push(`An increase of ${pct} % is over the drug library's hard limit of ${lib.limits.hardMaxIncreasePercent} % per change: the pump will refuse it.`);
      else if (pct !== null && pct > lib.limits.softMaxIncreasePercent) warnings.push(`An increase of ${pct} % is over the soft limit of ${lib.limits.softMaxIncreasePercent} % per change: the pump will ask you to acknowledge it.`);
    }
    computed.push({ label: `${lib.name} library daily limits`, value: `soft ${formatDrugDose(lib.limits.softMinDailyPg, drug)} to ${formatDrugDose(lib.limits.softMaxDailyPg, drug)}, hard maximum ${formatDrugDose(lib.limits.hardMaxDailyPg, drug, true)}` });
  }
  const setStep = (di: number, si: number, patch: Partial<StepDraft>) => setDays(days.map((d, i) => (i !== di ? d : { ...d, steps: d.steps.map((st, j) => (j === si ? { ...st, ...patch } : st)) })));
  return (
    <form onSubmit={(e) => e.preventDefault()} aria-label={patientBolusOnly ? 'Patient-bolus limits' : 'Dose change'}>
      <p>
        {lib.name} {formatConcentration(conc, drug)}. Doses are per day, in {unit}; the pump converts nothing: the rates it receives are shown beside each step.
      </p>
      {!patientBolusOnly && (
        <>
          <Select label="Mode" name="mode" value={mode} options={[{ value: 'continuous', label: 'Continuous' }, { value: 'flex', label: 'Flex (up to 13 steps a day, day variants)' }]} onChange={(v) => setMode(v as 'continuous' | 'flex')} />
          {usedDays.map((d, di) => (
            <fieldset key={di} className="day">
              <legend>{mode === 'continuous' ? 'Continuous rate' : `Day program ${di + 1}`}</legend>
              {mode === 'flex' && <Field label="Name" type="text" name={`day-${di}-name`} value={d.name} onChange={(v) => setDays(days.map((x, i) => (i === di ? { ...x, name: v } : x)))} />}
              <table className="steps">
                <thead>
                  <tr>
                    <th scope="col">Starts</th>
                    <th scope="col">Dose rate ({unit}/day)</th>
                    <th scope="col">Rate</th>
                    <th scope="col">
                      <span className="sr-only">Remove</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {(mode === 'continuous' ? d.steps.slice(0, 1) : d.steps).map((st, si) => (
                    <tr key={si}>
                      <td>
                        <input aria-label={`${d.name} step ${si + 1} start time (HH:MM)`} name={`day-${di}-step-${si}-start`} value={st.start} disabled={si === 0} onChange={(e) => setStep(di, si, { start: e.target.value })} />
                      </td>
                      <td>
                        <input aria-label={`${d.name} step ${si + 1} dose in ${unit} per day`} name={`day-${di}-step-${si}-dose`} inputMode="decimal" value={st.dose} onChange={(e) => setStep(di, si, { dose: e.target.value })} />
                      </td>
                      <td>{formatRateMlPerDay(dayPrograms[di]?.steps[si]?.rateNlPerDay ?? 0)}</td>
                      <td>
                        {si > 0 && mode === 'flex' && (
                          <button type="button" className="secondary" onClick={() => setDays(days.map((x, i) => (i === di ? { ...x, steps: x.steps.filter((_, j) => j !== si) } : x)))}>
                            Remove step {si + 1}
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {mode === 'flex' && (
                <>
                  <button type="button" disabled={d.steps.length >= LIMITS.maxFlexSteps} onClick={() => {
                    const last = d.steps[d.steps.length - 1];
                    let start = 720;
                    try {
                      start = Math.min(1439, parseMinute(last?.start ?? '00:00') + 60);
                    } catch {
                      /* keep noon */
                    }
                    setDays(days.map((x, i) => (i === di ? { ...x, steps: [...x.steps, { start: formatMinute(start), dose: last?.dose ?? '' }] } : x)));
                  }}>
                    Add a step to {d.name} ({d.steps.length} of {LIMITS.maxFlexSteps})
                  </button>
                  <ScheduleChart
                    title={`${d.name}: ${dayPrograms[di] === undefined ? '' : (() => {
                      try {
                        return formatDrugDose(dayVolumeNl(dayPrograms[di]?.steps ?? []) * conc, drug, true);
                      } catch {
                        return 'incomplete';
                      }
                    })()}`}
                    steps={dayPrograms[di]?.steps ?? []}
                    maxRateNlPerDay={rx?.maxRateNlPerDay ?? LIMITS.defaultMaxRateNlPerDay}
                    onRateChange={(si, rate) => setStep(di, si, { dose: String(pgToUnit(rate * conc, unit)) })}
                  />
                </>
              )}
            </fieldset>
          ))}
          {mode === 'flex' && (
            <fieldset>
              <legend>Week</legend>
              <button type="button" disabled={days.length >= 7} onClick={() => setDays([...days, { name: `day program ${days.length + 1}`, steps: (days[0]?.steps ?? []).map((x) => ({ ...x })) }])}>
                Add a day program
              </button>
              <div className="week">
                {WEEKDAYS.map((wd, i) => (
                  <Select key={wd} label={wd} name={`week-${i}`} value={String(week[i] ?? 0)} options={days.map((d, j) => ({ value: String(j), label: d.name }))} onChange={(v) => setWeek(week.map((x, k) => (k === i ? Number(v) : x)))} />
                ))}
              </div>
            </fieldset>
          )}
          <Field label="Maximum daily dose" unit={`${unit}/day`} name="max-daily" value={maxDaily} onChange={setMaxDaily} />
        </>
      )}
      <fieldset>
        <legend>Patient bolus (personal therapy manager)</legend>
        <label>
          <input type="checkbox" name="pb-on" checked={pbOn} onChange={(e) => setPbOn(e.target.checked)} disabled={!lib.patientBolusAllowed && !pbOn} /> Enabled{!lib.patientBolusAllowed && ` (not allowed with ${lib.name})`}
        </label>
        {pbOn && (
          <>
            <Field label="Dose per bolus" unit={unit} name="pb-dose" value={pbDose} onChange={setPbDose} />
            <Field label="Duration" unit="min" name="pb-duration" value={pbDur} onChange={setPbDur} />
            <Field label="Lockout" unit="min" name="pb-lockout" value={pbLock} onChange={setPbLock} hint="never 0; 15 min to 24 h" />
            <Field label="Boluses per 24 h" name="pb-max" value={pbMax} onChange={setPbMax} />
          </>
        )}
      </fieldset>
      <Computed rows={computed} />
      <Errors errors={errors} />
      <Next disabled={errors.length > 0} onClick={() => onPropose({ workflow: patientBolusOnly ? 'Patient-bolus limits' : mode === 'flex' ? 'Titration with a flex schedule' : 'Dose change', action: { kind: 'staged', changes: { prescription: next } }, computed, warnings })} />
    </form>
  );
}

// ------------------------------------------------------------------ boluses

export function ClinicianBolusWorkflow({ data, onPropose }: WfProps) {
  const s = data.status;
  const drug = s.reservoir.drugId;
  const [dose, setDose] = useState('');
  const [minutes, setMinutes] = useState('60');
  if (drug === null) return <p role="alert">The reservoir holds no drug.</p>;
  const unit = doseUnitOf(drug);
  const conc = s.reservoir.concentrationMcgPerMl;
  const lib = DRUG_LIBRARY[drug].limits;
  const errors: string[] = [];
  const d = num(dose);
  const m = num(minutes);
  if (d === null || d <= 0) errors.push(`Enter the bolus dose in ${unit}.`);
  if (m === null || m < 1) errors.push('Enter the duration in minutes (at least 1).');
  const volumeNl = d === null ? 0 : rateForDailyDosePg(unitToPg(d, unit), conc);
  if (d !== null && d > 0 && volumeNl === 0) errors.push('That dose is less than one nanolitre of this concentration.');
  const durationMs = m === null ? 0 : Math.round(m * 60_000);
  const computed = errors.length > 0 ? [] : [
    { label: 'Bolus volume', value: formatVolumeMl(volumeNl) },
    { label: 'Bolus dose', value: formatDrugDose(volumeNl * conc, drug) },
    { label: 'Rate during the bolus', value: formatRateMlPerDay(Math.ceil((volumeNl * 86_400_000) / durationMs)) },
    { label: 'Library bolus limits', value: `soft ${formatDrugDose(lib.softMaxBolusPg, drug)}, hard ${formatDrugDose(lib.hardMaxBolusPg, drug)}` },
  ];
  const warnings: string[] = [];
  if (errors.length === 0 && Math.ceil((volumeNl * 86_400_000) / durationMs) > LIMITS.hardwareMaxRateNlPerDay)
    warnings.push(`${formatVolumeMl(volumeNl)} in ${m} min is faster than the pump can deliver (${formatRateMlPerDay(LIMITS.hardwareMaxRateNlPerDay)}): the pump will refuse it. Lengthen the duration.`);
  return (
    <form onSubmit={(e) => e.preventDefault()} aria-label="Clinician bolus">
      <p>A single bolus replaces the basal while it runs; then the program resumes. The pump checks it against the library and the maximum daily dose.</p>
      <Field label="Bolus dose" unit={unit} name="bolus-dose" value={dose} onChange={setDose} />
      <Field label="Duration" unit="min" name="bolus-minutes" value={minutes} onChange={setMinutes} />
      <Computed rows={computed} />
      {warnings.map((w) => (
        <p key={w} className="warning" role="note">
          {w}
        </p>
      ))}
      <Errors errors={errors} />
      <Next disabled={errors.length > 0} onClick={() => onPropose({ workflow: 'Clinician bolus', action: { kind: 'staged', changes: { bolus: { kind: 'clinician', volumeNl, durationMs } } }, computed, warnings })} />
    </form>
  );
}

export function PrimingWorkflow({ data, onPropose }: WfProps) {
  const [model, setModel] = useState(CATHETER_MODELS[0]?.id ?? 'TC-8709');
  const [length, setLength] = useState('');
  const [patientId, setPatientId] = useState('');
  const recordPatient = data.status.device.patientId === null && patientId.trim() !== '';
  const errors: string[] = [];
  const l = num(length);
  let volumeNl = 0;
  if (l === null) errors.push('Enter the catheter length in mm.');
  else {
    try {
      volumeNl = catheterVolumeNl(model, Math.round(l));
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  const computed = errors.length > 0 ? [] : [
    { label: 'Catheter volume (priming volume)', value: formatVolumeMl(volumeNl) },
    { label: 'Priming time at the pump’s fastest rate', value: `${(primingDurationMs(volumeNl) / 60_000).toFixed(1)} min` },
  ];
  return (
    <form onSubmit={(e) => e.preventDefault()} aria-label="Priming bolus">
      <p>After implant or catheter revision the catheter is empty. The priming bolus fills it with its own volume; no drug reaches the patient until it is full.</p>
      <Select label="Catheter model" name="catheter-model" value={model} options={CATHETER_MODELS.map((c) => ({ value: c.id, label: c.name }))} onChange={setModel} />
      <Field label="Catheter length (after trimming)" unit="mm" name="catheter-length" value={length} onChange={setLength} />
      {data.status.device.patientId === null && <Field label="Patient id to record on the pump (the clinic record's id; optional)" type="text" name="patient-id" value={patientId} onChange={setPatientId} />}
      <Computed rows={computed} />
      <Errors errors={errors} />
      <Next disabled={errors.length > 0} onClick={() => onPropose({ workflow: 'Priming bolus', action: { kind: 'staged', changes: { device: { catheter: { model, lengthMm: Math.round(l ?? 0), volumeNl }, ...(recordPatient ? { patientId: patientId.trim(), implantDateMs: data.status.pumpUtcMs } : {}) }, bolus: { kind: 'priming' } } }, computed, warnings: data.status.device.catheterPrimed ? ['This records a new (empty) catheter: only do this after implant or revision.'] : [] })} />
    </form>
  );
}

// ------------------------------------------------------------------ alarms, MRI, replacement, therapy

export function AlarmsWorkflow({ data, onPropose }: WfProps) {
  const s = data.status;
  const [low, setLow] = useState(String(s.reservoir.lowAlarmNl / NL_PER_ML));
  const [reminder, setReminder] = useState(s.refillReminderUtcMs === null ? '' : dayText(s.refillReminderUtcMs));
  const errors: string[] = [];
  const l = num(low);
  if (l === null) errors.push('Enter the low-reservoir alarm volume in mL.');
  let reminderMs: number | null = null;
  if (reminder.trim() !== '') {
    const t = Date.parse(`${reminder.trim()}T09:00:00Z`);
    if (Number.isNaN(t)) errors.push('The refill reminder must be a date YYYY-MM-DD.');
    else reminderMs = t;
  }
  return (
    <div>
      <form onSubmit={(e) => e.preventDefault()} aria-label="Alarm settings">
        <Field label="Low-reservoir alarm" unit="mL" name="low-alarm" value={low} onChange={setLow} hint={`${LIMITS.minLowReservoirNl / NL_PER_ML} to ${LIMITS.maxLowReservoirNl / NL_PER_ML} mL`} />
        <Field label="Refill reminder date (pump time, empty for none)" type="text" name="reminder" value={reminder} onChange={setReminder} />
        <Errors errors={errors} />
        <Next disabled={errors.length > 0} onClick={() => onPropose({ workflow: 'Alarm settings', action: { kind: 'staged', changes: { alarms: { lowReservoirNl: mlToNl(l ?? 0), refillReminderUtcMs: reminderMs } } }, computed: [], warnings: [] })} />
      </form>
      <h3>Active alarms</h3>
      {s.alarms.length === 0 ? (
        <p>None.</p>
      ) : (
        <ul>
          {s.alarms.map((a) => (
            <li key={a.code}>
              {a.critical ? 'Critical' : 'Non-critical'}: {a.code}{' '}
              <button type="button" onClick={() => onPropose({ workflow: `Clear the ${a.code} alarm`, action: { kind: 'command', type: 'clear-alarm', body: { code: a.code } }, computed: [], warnings: a.critical ? ['Clearing silences the alarm; the pump raises it again while the cause remains.'] : [] })}>
                Review clearing {a.code}
              </button>
            </li>
          ))}
        </ul>
      )}
      <h3>Alarm test</h3>
      <p>The pump sounds each tone so the patient learns them: the critical 3-second two-tone and the non-critical 1-second single tone.</p>
      <button type="button" onClick={() => onPropose({ workflow: 'Alarm test', action: { kind: 'command', type: 'alarm-test' }, computed: [], warnings: [] })}>
        Review the alarm test
      </button>
    </div>
  );
}

export function MriWorkflow({ data, onPropose }: WfProps) {
  const s = data.status;
  const stallEvents = data.recentEvents.filter((e) => e.type === 'motor-stall' || e.type === 'motor-stall-recovery' || e.type === 'interrogation');
  const stalled = s.therapy.suspendedBy === 'motor-stall' || s.therapy.suspendedBy === 'awaiting-interrogation';
  return (
    <div>
      <h3>Before the MRI</h3>
      <p>The scanner's magnet stalls the pump motor and delivery stops during the scan. Recovery may take 2 to 24 hours; a pump that was alarming stays stopped until it is interrogated. Plan withdrawal cover and check the pump after the scan.</p>
      <h3>After the MRI</h3>
      <p>Interrogating the pump ends telemetry mode and resumes a pump waiting for it. The motor-stall events it recorded:</p>
      {stallEvents.length === 0 ? (
        <p data-testid="mri-events">No motor-stall events in the recent log.</p>
      ) : (
        <ul data-testid="mri-events">
          {stallEvents.map((e) => (
            <li key={e.seq}>
              {dateText(e.utcMs, e.utcOffsetMs)}: {e.type}
            </li>
          ))}
        </ul>
      )}
      <p data-testid="mri-state">Therapy now: {s.therapy.running ? `running (${s.therapy.mode})` : `stopped (${s.therapy.suspendedBy ?? 'by clinician'})`}{stalled ? ': the motor has not recovered yet.' : '.'}</p>
      <button type="button" onClick={() => onPropose({ workflow: 'Post-MRI check', action: { kind: 'interrogate' }, computed: [{ label: 'Motor-stall events', value: String(stallEvents.filter((e) => e.type === 'motor-stall').length) }, { label: 'Recoveries', value: String(stallEvents.filter((e) => e.type === 'motor-stall-recovery').length) }], warnings: stalled ? ['Delivery has not resumed: the motor is still stalled or waiting. Re-check later; consider withdrawal cover.'] : [] })}>
        Finish the post-MRI check (interrogate again)
      </button>
    </div>
  );
}

export function ReplacementWorkflow({ data, onPropose }: WfProps) {
  const s = data.status;
  const f = data.forecast;
  const months = (ms: number) => ((ms - s.nowMs) / (30.44 * 86_400_000)).toFixed(1);
  const computed = [
    { label: 'Battery remaining', value: `${Math.round((s.battery.remainingUj / s.battery.capacityUj) * 100)} %` },
    { label: 'ERI (elective replacement indicator)', value: `${dayText(s.battery.eriAtMs ?? f.eriAtMs, s.utcOffsetMs)}${s.battery.eriAtMs === null ? ' (projected)' : ' (reached)'}` },
    { label: 'Replace by (end of service = ERI + 90 days)', value: `${dayText(s.battery.replaceByMs, s.utcOffsetMs)}, in ${months(s.battery.replaceByMs)} months` },
    { label: 'Schedule the replacement surgery before', value: dayText(s.battery.replaceByMs - 30 * 86_400_000, s.utcOffsetMs) },
  ];
  return (
    <div>
      <Computed rows={computed} />
      <p>The pump stops at end of service. The clinic server's worklist lists the patient as the date nears.</p>
      <button type="button" onClick={() => onPropose({ workflow: 'Replacement planning', action: { kind: 'none' }, computed, warnings: [] })}>
        Finish (nothing changes on the pump)
      </button>
    </div>
  );
}

export function TherapyWorkflow({ data, onPropose }: WfProps) {
  const running = data.status.therapy.running;
  const stopped = data.status.therapy.suspendedBy === 'stopped';
  return (
    <div>
      {running ? (
        <>
          <p className="warning">Stopping intrathecal therapy suddenly is dangerous: baclofen withdrawal begins within 1 to 3 days and can be fatal. Stop only with a plan.</p>
          <button type="button" onClick={() => onPropose({ workflow: 'Stop therapy', action: { kind: 'command', type: 'stop-therapy' }, computed: [], warnings: ['Delivery stops at confirmation and stays stopped until resumed.'], after: { Therapy: 'stopped' } })}>
            Review stopping therapy
          </button>
        </>
      ) : (
        <>
          <p>Therapy is stopped{stopped ? ' by a clinician' : ` (${data.status.therapy.suspendedBy ?? 'unknown'})`}.</p>
          <button type="button" disabled={!stopped} onClick={() => onPropose({ workflow: 'Resume therapy', action: { kind: 'command', type: 'resume-therapy' }, computed: [], warnings: [], after: { Therapy: 'running' } })}>
            Review resuming therapy
          </button>
        </>
      )}
    </div>
  );
}
