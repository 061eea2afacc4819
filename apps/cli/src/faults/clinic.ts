/**
 * The clinic server of the fault campaign: a real clinic database (SQLite in a temporary folder,
 * migrated by `openDatabase`), one patient with the campaign's pump implanted, every session
 * uploaded as the programmer uploads it (`uploadFromPump` without a snapshot, log pages from the
 * sequences it last uploaded, checked by the route's `UploadInput` schema and stored by
 * `ingestUpload`), and the real worklist (`buildWorklist`, the server's default horizons) asked what
 * the clinic must act on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PUMP_MODELS, type Pump, type PumpModelId } from '@thecal/pump-core';
import { buildWorklist, DEFAULT_CONFIG, ingestUpload, openDatabase, UploadInput, uploadFromPump, type ClinicDb } from '@thecal/clinic-server';

/** The worklist entry shape (`WorklistItem` of the clinic server). */
export type WorklistEntry = Awaited<ReturnType<typeof buildWorklist>>[number];

/**
 * Kinds that plan routine care: a refill falling due, a patient away at the refill date. Every
 * other kind (critical alarm, refill discrepancy, replacement, overdue refill) asks the clinic to
 * act on something that went wrong.
 */
export const ROUTINE_WORKLIST_KINDS: ReadonlySet<string> = new Set(['refill-due', 'away-at-refill']);

/** What one upload gave: the session stored or the server's refusal, and the worklist just after. */
export interface UploadOutcome {
  stored: boolean;
  refusal: string | null;
  worklist: WorklistEntry[];
}

const PATIENT_ID = 'fault-campaign-patient';
const CLINICIAN = 'fault-campaign-clinician';

export class FaultClinic {
  private uploadedUpTo = { eventSeq: 1, therapySeq: 1 };

  private constructor(
    private readonly clinic: ClinicDb,
    private readonly dir: string,
  ) {}

  /** A fresh clinic in a temporary folder with the pump `serial` implanted at `atMs`. */
  static async open(serial: string, model: PumpModelId, atMs: number): Promise<FaultClinic> {
    const dir = mkdtempSync(join(tmpdir(), 'thecal-faults-'));
    let clinic: ClinicDb;
    try {
      clinic = await openDatabase({ dataDir: dir });
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    const db = clinic.db;
    // The rows the patient and implant routes write (POST /api/patients, /implants).
    await db.insertInto('patients').values({ id: PATIENT_ID, mrn: 'FAULT-1', family_name: 'Campaign', given_name: 'Fault', birth_date: '1970-01-01', sex: 'unknown', indication: 'spasticity', created_at_ms: atMs, created_by: CLINICIAN }).execute();
    await db
      .insertInto('implants')
      .values({
        id: 'fault-campaign-implant',
        patient_id: PATIENT_ID,
        pump_serial: serial,
        pump_model: model,
        reservoir_capacity_nl: PUMP_MODELS[model].reservoirCapacityNl,
        implanted_at_ms: atMs,
        pump_depth_mm: 15,
        catheter_model: 'TC-8781',
        catheter_length_mm: 800,
        catheter_volume_nl: 150_000,
        explanted_at_ms: null,
        created_by: CLINICIAN,
      })
      .execute();
    return new FaultClinic(clinic, dir);
  }

  /**
   * The programmer's upload after a session with `pump`, received by the clinic at `nowMs` (true
   * time), then the worklist the clinic sees. The programmer remembers the log sequences it last
   * uploaded for this serial and sends from there, whatever the pump's log did meanwhile.
   */
  async uploadSession(pump: Pump, nowMs: number): Promise<UploadOutcome> {
    const body = uploadFromPump(pump, this.uploadedUpTo, false);
    const parsed = UploadInput.safeParse(body);
    let refusal: string | null = null;
    if (!parsed.success) refusal = `invalid upload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
    else {
      try {
        await ingestUpload(this.clinic.db, parsed.data, CLINICIAN, nowMs);
      } catch (e) {
        refusal = (e as Error).message;
      }
    }
    const status = pump.status();
    if (refusal === null) this.uploadedUpTo = { eventSeq: status.log.eventNextSeq, therapySeq: status.log.therapyNextSeq };
    return { stored: refusal === null, refusal, worklist: await this.worklist(nowMs) };
  }

  async worklist(nowMs: number): Promise<WorklistEntry[]> {
    const items = await buildWorklist(this.clinic.db, { nowMs, refillHorizonMs: DEFAULT_CONFIG.refillHorizonMs, replacementHorizonMs: DEFAULT_CONFIG.replacementHorizonMs });
    return items.filter((i) => i.patientId === PATIENT_ID);
  }

  async close(): Promise<void> {
    try {
      await this.clinic.close();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** An entry's identity across worklist readings (its kind and the record it stands for). */
export function worklistKey(e: WorklistEntry): string {
  const d = e.detail;
  return `${e.kind}:${String(d['alarmId'] ?? d['refillId'] ?? d['pumpSerial'] ?? '')}`;
}
