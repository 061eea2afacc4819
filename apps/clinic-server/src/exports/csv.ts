/** CSV exports: the worklist and a patient's histories, with ISO dates beside the raw integers. */
import { stringify } from 'csv-stringify/sync';
import type { WorklistItem } from '../domain/worklist.ts';

const isoOrEmpty = (ms: number | null | undefined) => (ms === null || ms === undefined ? '' : new Date(ms).toISOString());

export function worklistCsv(items: WorklistItem[]): string {
  return stringify(
    items.map((i) => ({ priority: i.priority, kind: i.kind, due: isoOrEmpty(i.dueAtMs), mrn: i.mrn, patient: i.patientName, message: i.message, patientId: i.patientId })),
    { header: true, columns: ['priority', 'kind', 'due', 'mrn', 'patient', 'message', 'patientId'] },
  );
}

/** Any list of flat records: columns from the first row, `...AtMs`/`...Ms` columns get an ISO twin. */
export function recordsCsv(rows: Record<string, unknown>[]): string {
  const first = rows[0];
  if (first === undefined) return '';
  const columns = Object.keys(first).flatMap((k) => (/(AtMs|Ms)$/.test(k) ? [k, `${k.replace(/Ms$/, '')}Iso`] : [k]));
  const flat = rows.map((r) => {
    const out: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(r)) {
      out[k] = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : (v as string | number | boolean);
      if (/(AtMs|Ms)$/.test(k)) out[`${k.replace(/Ms$/, '')}Iso`] = isoOrEmpty(typeof v === 'number' ? v : null);
    }
    return out;
  });
  return stringify(flat, { header: true, columns });
}
