/**
 * A realistic demo clinic: dozens of patients with years of history, every pump run by the pump
 * core. Each patient goes through assessment, screening, implant, then refill visits: the pump
 * runs between visits (with patient boluses for pain drugs), each visit interrogates it, uploads
 * the session, refills (with the odd residual discrepancy) and sometimes titrates. Deterministic
 * for a given seed. Uploads go through the same ingest code as the HTTP API.
 */
import { DRUG_LIBRARY, MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, NL_PER_ML, PG_PER_MCG, PG_PER_MG, PUMP_MODELS, Pump, type Prescription, type PumpModelId } from '@thecal/pump-core';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { hashPassword } from '../auth/password.ts';
import { newId } from '../auth/sessions.ts';
import { ingestUpload } from '../domain/ingest.ts';
import { UploadInput } from '../domain/upload-schema.ts';
import { uploadFromPump } from '../programmer-upload.ts';
import { assessCandidate } from '../domain/assessment.ts';
import { seededUniform } from '@thecal/pump-core';

export interface SeedOptions {
  patients: number;
  /** "Now" of the demo: the last visits happen before it. */
  nowMs: number;
  seed?: number;
  scryptLog2N?: number;
  onProgress?: (done: number, total: number) => void;
  /**
   * Give the first patient (the demo user "patient") this pump serial, a pain program with patient
   * boluses and a refill a few days ago, and return that pump's core at nowMs: `thecal start` runs
   * it as the live virtual pump, so the apps meet a pump the clinic server already knows.
   */
  demoPumpSerial?: string;
}

export interface SeedResult {
  patients: number;
  sessions: number;
  logRecords: number;
  users: { username: string; password: string; role: string }[];
  /** The first patient's pump at nowMs, when demoPumpSerial was given. */
  demoPump: Pump | null;
}

export const DEMO_PASSWORD = 'thecal-demo-password';


const FAMILY = ['Okafor', 'Lindqvist', 'Moreau', 'Tanaka', 'Novak', 'García', 'Byrne', 'Haddad', 'Kowalski', 'Silva', 'Nguyen', 'Fischer', 'Rossi', 'Adeyemi', 'Jensen', 'Papadopoulos', 'Murphy', 'Kaur', 'Schmidt', 'Costa'];
const GIVEN = ['Ada', 'Ben', 'Chloé', 'Dmitri', 'Eva', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jonas', 'Kemi', 'Lena', 'Marco', 'Nora', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sami', 'Tove'];

interface Plan {
  indication: string;
  origin: 'spinal-cord' | 'cerebral' | 'traumatic-brain-injury' | 'pain';
  rx: Prescription;
  model: PumpModelId;
}

function planFor(r: () => number): Plan {
  const pick = r();
  const model: PumpModelId = r() < 0.3 ? 'thecal-20' : 'thecal-40';
  if (pick < 0.55) {
    // Baclofen for spasticity, 500 or 2000 mcg/mL, 100-700 mcg/day.
    const conc = r() < 0.6 ? 500 : 2000;
    const mcgPerDay = 100 + Math.floor(r() * 600);
    const rate = Math.max(48_000, Math.round((mcgPerDay / conc) * NL_PER_ML));
    const flex = r() < 0.3;
    const basal: Prescription['basal'] = flex
      ? { kind: 'flex', dayPrograms: [{ name: 'day', steps: [{ startMinute: 0, rateNlPerDay: Math.round(rate * 1.2) }, { startMinute: 7 * 60, rateNlPerDay: Math.round(rate * 0.8) }, { startMinute: 21 * 60, rateNlPerDay: Math.round(rate * 1.2) }] }], week: [0, 0, 0, 0, 0, 0, 0] }
      : { kind: 'continuous', rateNlPerDay: rate };
    const origin = r() < 0.6 ? 'spinal-cord' : r() < 0.5 ? 'cerebral' : 'traumatic-brain-injury';
    return {
      indication: origin === 'spinal-cord' ? 'spasticity-spinal' : origin === 'cerebral' ? 'spasticity-cerebral' : 'spasticity-traumatic-brain-injury',
      origin,
      model,
      rx: { drugId: 'baclofen', concentrationMcgPerMl: conc, basal, maxRateNlPerDay: 24 * NL_PER_ML, maxDailyDosePg: Math.round(mcgPerDay * 1.6) * PG_PER_MCG, patientBolus: null },
    };
  }
  return painPlan(r, model);
}

/** Morphine for pain, 10 or 25 mg/mL, 1-8 mg/day, with patient boluses. */
function painPlan(r: () => number, model: PumpModelId): Plan {
  const conc = r() < 0.7 ? 10_000 : 25_000;
  const mgPerDay = 1 + r() * 7;
  const rate = Math.round((mgPerDay * 1000 * NL_PER_ML) / conc);
  const bolusNl = Math.round(rate / 20);
  return {
    indication: r() < 0.6 ? 'pain-cancer' : 'pain-chronic',
    origin: 'pain',
    model,
    rx: {
      drugId: 'morphine',
      concentrationMcgPerMl: conc,
      basal: { kind: 'continuous', rateNlPerDay: rate },
      maxRateNlPerDay: 24 * NL_PER_ML,
      maxDailyDosePg: Math.min(20 * PG_PER_MG, Math.ceil(((rate + 4 * bolusNl) * conc * 1.3) / PG_PER_MG) * PG_PER_MG),
      patientBolus: { volumeNl: bolusNl, durationMs: 10 * MS_PER_MINUTE, lockoutMs: 2 * MS_PER_HOUR, maxPer24h: 4 },
    },
  };
}

export async function seedDemoClinic(db: Kysely<Database>, o: SeedOptions): Promise<SeedResult> {
  const r = seededUniform(o.seed ?? 20260105);
  const users = [
    { username: 'admin', role: 'admin' as const },
    { username: 'clinician', role: 'clinician' as const },
    { username: 'nurse', role: 'nurse' as const },
  ];
  const ids: Record<string, string> = {};
  for (const u of users) {
    const existing = await db.selectFrom('users').select('id').where('username', '=', u.username).executeTakeFirst();
    ids[u.role] = existing?.id ?? newId();
    if (existing === undefined) {
      await db.insertInto('users').values({ id: ids[u.role] as string, username: u.username, password_hash: await hashPassword(DEMO_PASSWORD, o.scryptLog2N), role: u.role, patient_id: null, display_name: `Demo ${u.role}`, created_at_ms: o.nowMs, disabled: 0 }).execute();
    }
  }
  const clinician = ids['clinician'] as string;
  const nurse = ids['nurse'] as string;
  let sessions = 0;
  let logRecords = 0;
  const result: SeedResult = { patients: 0, sessions: 0, logRecords: 0, users: users.map((u) => ({ ...u, password: DEMO_PASSWORD })), demoPump: null };
  for (let n = 0; n < o.patients; n++) {
    const s = await seedPatient(db, r, n, o.nowMs, clinician, nurse, n === 0 ? { username: 'patient', password: DEMO_PASSWORD, log2N: o.scryptLog2N } : null, n === 0 ? (o.demoPumpSerial ?? null) : null);
    if (s.pump !== null) result.demoPump = s.pump;
    sessions += s.sessions;
    logRecords += s.logRecords;
    result.patients += 1;
    o.onProgress?.(n + 1, o.patients);
  }
  if (result.patients > 0) result.users.push({ username: 'patient', role: 'patient', password: DEMO_PASSWORD });
  return { ...result, sessions, logRecords };
}

async function seedPatient(db: Kysely<Database>, r: () => number, n: number, nowMs: number, clinician: string, nurse: string, patientUser: { username: string; password: string; log2N: number | undefined } | null, demoSerial: string | null): Promise<{ sessions: number; logRecords: number; pump: Pump | null }> {
  const plan = demoSerial === null ? planFor(r) : painPlan(r, 'thecal-40');
  const pid = newId();
  const years = 0.3 + r() * 6.5;
  const implantMs = Math.floor((nowMs - years * 365 * MS_PER_DAY) / MS_PER_DAY) * MS_PER_DAY + 9 * MS_PER_HOUR;
  const birthYear = 1940 + Math.floor(r() * 60);
  await db
    .insertInto('patients')
    .values({
      id: pid,
      mrn: `DEMO-${String(n + 1).padStart(5, '0')}`,
      family_name: FAMILY[Math.floor(r() * FAMILY.length)] as string,
      given_name: GIVEN[Math.floor(r() * GIVEN.length)] as string,
      birth_date: `${birthYear}-${String(1 + Math.floor(r() * 12)).padStart(2, '0')}-${String(1 + Math.floor(r() * 28)).padStart(2, '0')}`,
      sex: r() < 0.5 ? 'female' : 'male',
      indication: plan.indication,
      created_at_ms: implantMs - 60 * MS_PER_DAY,
      created_by: clinician,
    })
    .execute();
  if (patientUser !== null) {
    await db.insertInto('users').values({ id: newId(), username: patientUser.username, password_hash: await hashPassword(patientUser.password, patientUser.log2N), role: 'patient', patient_id: pid, display_name: 'Demo patient', created_at_ms: nowMs, disabled: 0 }).execute();
  }
  const assessment = {
    assessedAtMs: implantMs - 45 * MS_PER_DAY,
    severity: 'severe' as const,
    interferesWithFunctionOrCare: true,
    screeningResponse: 'positive' as const,
    origin: plan.origin,
    brainInjuryAtMs: plan.origin === 'traumatic-brain-injury' ? implantMs - (400 + Math.floor(r() * 2000)) * MS_PER_DAY : null,
    activeInfection: false,
    allergyToDrug: false,
    plannedPumpDepthMm: 10 + Math.floor(r() * 14),
    bodySizeSufficient: true,
    oralTherapyFailed: true,
    notes: '',
  };
  const birth = `${birthYear}-01-01`;
  const verdict = assessCandidate(assessment, birth);
  await db.insertInto('assessments').values({ id: newId(), patient_id: pid, assessed_at_ms: assessment.assessedAtMs, assessed_by: clinician, criteria_json: JSON.stringify(assessment), eligible: verdict.eligible ? 1 : 0, reasons_json: JSON.stringify(verdict.reasons) }).execute();
  const trialDrug = plan.rx.drugId;
  const doses = (trialDrug === 'baclofen' ? [50, 75, 100] : [200, 400]).map((doseMcg, i) => ({
    doseMcg,
    givenAtMs: implantMs - 30 * MS_PER_DAY + i * MS_PER_DAY,
    observedUntilMs: implantMs - 30 * MS_PER_DAY + i * MS_PER_DAY + 8 * MS_PER_HOUR,
    response: i === 0 && r() < 0.5 ? 'negative' : 'positive',
    effectDurationMs: 4 * MS_PER_HOUR + Math.floor(r() * 6) * MS_PER_HOUR,
    sideEffects: r() < 0.3 ? ['sleepiness'] : [],
  }));
  await db.insertInto('screening_trials').values({ id: newId(), patient_id: pid, drug_id: trialDrug, started_at_ms: implantMs - 30 * MS_PER_DAY, doses_json: JSON.stringify(doses), outcome: 'positive', recorded_by: clinician }).execute();

  const serial = demoSerial ?? `TH-${String(n + 1).padStart(5, '0')}-${Math.floor(r() * 1e6).toString(36).toUpperCase()}`;
  const capacity = PUMP_MODELS[plan.model].reservoirCapacityNl;
  await db
    .insertInto('implants')
    .values({ id: newId(), patient_id: pid, pump_serial: serial, pump_model: plan.model, reservoir_capacity_nl: capacity, implanted_at_ms: implantMs, pump_depth_mm: assessment.plannedPumpDepthMm, catheter_model: 'TC-8709', catheter_length_mm: 600 + Math.floor(r() * 400), catheter_volume_nl: 150_000 + Math.floor(r() * 100_000), explanted_at_ms: null, created_by: clinician })
    .execute();

  const pump = Pump.manufacture({ serial, model: plan.model, atMs: implantMs - MS_PER_DAY });
  let rx = plan.rx;
  let version = 1;
  const commit = (atMs: number, changes: Parameters<Pump['validateChanges']>[0], tag: string): boolean => {
    const st = pump.execute(atMs, `${tag}-s`, { type: 'stage', changes });
    if (!st.ok) return false;
    const soft = (st.detail['softLimits'] as { code: string }[]).map((x) => x.code);
    return pump.execute(atMs, `${tag}-c`, { type: 'commit', stagedId: st.detail['stagedId'] as number, acknowledgedSoftLimits: soft }).ok;
  };
  const ok = commit(implantMs, { device: { patientId: pid, implantDateMs: implantMs, catheter: { model: 'TC-8709', lengthMm: 800, volumeNl: 180_000 } }, refill: { withdrawnNl: 0, filledNl: capacity, drugId: rx.drugId, concentrationMcgPerMl: rx.concentrationMcgPerMl }, prescription: rx }, 'implant');
  if (!ok) throw new Error(`seed: the pump refused the starting program of patient ${n}`);
  commit(implantMs, { bolus: { kind: 'priming' } }, 'prime');
  await db.insertInto('prescriptions').values({ id: newId(), patient_id: pid, version, prescription_json: JSON.stringify(rx), reason: 'starting dose from the screening test', created_by: clinician, created_at_ms: implantMs }).execute();

  let sessions = 0;
  let logRecords = 0;
  let from = { eventSeq: 1, therapySeq: 1 };
  // The last visit: most patients recently, some long ago (they will be due or overdue).
  const lastVisitMs = demoSerial !== null ? nowMs - 3 * MS_PER_DAY : nowMs - Math.floor(r() * 50 + (r() < 0.1 ? 60 : 0)) * MS_PER_DAY;
  let visitMs = implantMs;
  const upload = async (atMs: number) => {
    pump.advanceTo(atMs);
    pump.execute(atMs, `iq-${atMs}`, { type: 'interrogate' });
    const body = UploadInput.parse(uploadFromPump(pump, from));
    const res = await ingestUpload(db, body, nurse, atMs);
    sessions += 1;
    logRecords += res.recordsReceived;
    from = { eventSeq: pump.events.nextSequence, therapySeq: pump.therapyLog.nextSequence };
  };
  for (let guard = 0; guard < 200; guard++) {
    const f = pump.forecast();
    const interval = Math.min(f.nextRefillByMs ?? visitMs + 90 * MS_PER_DAY, visitMs + DRUG_LIBRARY[rx.drugId].stabilityDays * MS_PER_DAY) - visitMs;
    const next = visitMs + Math.max(21 * MS_PER_DAY, interval - Math.floor(r() * 10) * MS_PER_DAY);
    if (next > lastVisitMs) break;
    // Patient boluses between visits (pain patients), 0-3 a day on some days.
    if (rx.patientBolus !== null) {
      for (let d = visitMs + MS_PER_DAY; d < next; d += MS_PER_DAY) {
        if (r() < 0.6) continue;
        const count = 1 + Math.floor(r() * 3);
        for (let b = 0; b < count; b++) {
          const at = d + (9 + b * 4) * MS_PER_HOUR + Math.floor(r() * 60) * MS_PER_MINUTE;
          if (at < next - MS_PER_HOUR) pump.execute(at, `pb-${d}-${b}`, { type: 'patient-bolus' });
        }
      }
    }
    visitMs = next;
    await upload(visitMs);
    // Refill: withdraw the residual (a few with a discrepancy), fill to capacity.
    const expected = pump.status().reservoir.volumeNl;
    const discrepancy = r() < 0.04 ? (r() < 0.5 ? -1 : 1) * (2_200_000 + Math.floor(r() * 1_000_000)) : Math.floor((r() - 0.5) * 400_000);
    const withdrawn = Math.max(0, expected + discrepancy);
    let titrated: Prescription | null = null;
    if (r() < 0.15) {
      const factor = 1 + (r() < 0.7 ? 0.1 : -0.1);
      const scaled = scaleRx(rx, factor);
      titrated = scaled;
    }
    const changes = { refill: { withdrawnNl: withdrawn, filledNl: capacity, drugId: rx.drugId, concentrationMcgPerMl: rx.concentrationMcgPerMl }, ...(titrated === null ? {} : { prescription: titrated }) };
    if (commit(visitMs + 30 * MS_PER_MINUTE, changes, `visit-${visitMs}`) && titrated !== null) {
      rx = titrated;
      version += 1;
      await db.insertInto('prescriptions').values({ id: newId(), patient_id: pid, version, prescription_json: JSON.stringify(rx), reason: titrated.basal.kind === 'continuous' ? 'titration at refill visit' : 'flex titration at refill visit', created_by: clinician, created_at_ms: visitMs }).execute();
    } else if (titrated !== null) {
      commit(visitMs + 30 * MS_PER_MINUTE, { refill: changes.refill }, `visit-${visitMs}-r`);
    }
    if (r() < 0.03) {
      await db.insertInto('clinical_events').values({ id: newId(), patient_id: pid, kind: 'complication', code: r() < 0.5 ? 'catheter-kink' : 'swelling', occurred_at_ms: visitMs - 5 * MS_PER_DAY, severity: 'moderate', notes: 'seen at refill visit', recorded_by: clinician }).execute();
    }
  }
  // The last interrogation before "now", without a refill: forecasts run from here.
  await upload(Math.max(visitMs + MS_PER_HOUR, lastVisitMs));
  if (demoSerial !== null) {
    // The live demo pump: refilled at that last visit (the server learns of it at the next
    // interrogation, as in a clinic), then running until now.
    const at = pump.status().nowMs + 30 * MS_PER_MINUTE;
    const expected = pump.status().reservoir.volumeNl;
    if (!commit(at, { refill: { withdrawnNl: expected, filledNl: capacity, drugId: rx.drugId, concentrationMcgPerMl: rx.concentrationMcgPerMl } }, 'demo-refill')) throw new Error('seed: the demo pump refused its refill');
    pump.advanceTo(nowMs);
  }
  if (r() < 0.1) {
    const f = pump.forecast();
    const due = f.nextRefillByMs ?? nowMs + 30 * MS_PER_DAY;
    await db.insertInto('absences').values({ id: newId(), patient_id: pid, kind: r() < 0.7 ? 'travel' : 'hospital-stay', from_ms: due - 5 * MS_PER_DAY, until_ms: due + 14 * MS_PER_DAY, notes: 'announced by phone', recorded_by: nurse }).execute();
  }
  return { sessions, logRecords, pump: demoSerial === null ? null : pump };
}

function scaleRx(rx: Prescription, factor: number): Prescription {
  const scale = (v: number) => Math.max(48_000, Math.round(v * factor));
  const basal: Prescription['basal'] =
    rx.basal.kind === 'continuous'
      ? { kind: 'continuous', rateNlPerDay: scale(rx.basal.rateNlPerDay) }
      : { ...rx.basal, dayPrograms: rx.basal.dayPrograms.map((d) => ({ ...d, steps: d.steps.map((s) => ({ ...s, rateNlPerDay: scale(s.rateNlPerDay) })) })) };
  return { ...rx, basal };
}
