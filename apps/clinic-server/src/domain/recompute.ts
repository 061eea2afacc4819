/** Recomputing every patient's forecast from their last stored interrogation (after a pump-core update, or for the benchmark). */
import type { Kysely } from 'kysely';
import type { PumpSnapshot } from '@thecal/pump-core';
import type { Database } from '../db/schema.ts';
import { forecastFromSnapshot, forecastFromStatus, type Forecast } from './forecast.ts';
import { upsertForecast } from './ingest.ts';
import { PumpStatusInput } from './upload-schema.ts';

const PAGE = 500;

export async function recomputeAllForecasts(db: Kysely<Database>, nowMs: number): Promise<{ patients: number; failed: number }> {
  let patients = 0;
  let failed = 0;
  let after = '';
  for (;;) {
    const rows = await db
      .selectFrom('forecasts')
      .innerJoin('programming_sessions', 'programming_sessions.id', 'forecasts.session_id')
      .select(['forecasts.patient_id', 'forecasts.session_id', 'programming_sessions.snapshot_json', 'programming_sessions.status_json'])
      .where('forecasts.patient_id', '>', after)
      .orderBy('forecasts.patient_id')
      .limit(PAGE)
      .execute();
    if (rows.length === 0) break;
    const computed: { r: (typeof rows)[number]; f: Forecast }[] = [];
    for (const r of rows) {
      try {
        const f = r.snapshot_json !== null ? forecastFromSnapshot(JSON.parse(r.snapshot_json) as PumpSnapshot) : forecastFromStatus(PumpStatusInput.parse(JSON.parse(r.status_json)));
        computed.push({ r, f });
      } catch {
        failed += 1;
      }
    }
    await db.transaction().execute(async (trx) => {
      for (const { r, f } of computed) await upsertForecast(trx, r.patient_id, r.session_id, nowMs, f);
    });
    patients += computed.length;
    after = rows[rows.length - 1]?.patient_id ?? after;
  }
  return { patients, failed };
}
