/** The audit log: who read or changed which patient's data, when, from where, and whether it was allowed. */
import type { Kysely } from 'kysely';
import type { Database, Role } from '../db/schema.ts';

export type AuditAction = 'read' | 'create' | 'update' | 'export' | 'login' | 'logout';
export interface AuditEntry {
  atMs: number;
  user: { id: string; username: string; role: Role } | null;
  action: AuditAction;
  resource: string;
  resourceId?: string | null;
  patientId?: string | null;
  outcome: 'success' | 'denied' | 'failed';
  ip: string | null;
}

export async function writeAudit(db: Kysely<Database>, e: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      at_ms: e.atMs,
      user_id: e.user?.id ?? null,
      username: e.user?.username ?? null,
      role: e.user?.role ?? null,
      action: e.action,
      resource: e.resource,
      resource_id: e.resourceId ?? null,
      patient_id: e.patientId ?? null,
      outcome: e.outcome,
      ip: e.ip,
    })
    .execute();
}
