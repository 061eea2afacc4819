/**
 * The clinic server, on the same origin as the app: sign-in and what the outbox sends. Its answers
 * are checked against the shape they must have before anything is kept from them.
 */
import { issueSummary } from '@thecal/pump-schemas';
import { z } from 'zod';
import type { OutboxItem, Sender } from './outbox.ts';

const LoginAnswer = z.object({
  token: z.string().min(1),
  expiresAtMs: z.int(),
  user: z.object({ username: z.string(), role: z.string(), patientId: z.string().nullable() }),
});
const ErrorAnswer = z.object({ message: z.string() });

export interface ClinicSession {
  token: string;
  username: string;
  patientId: string;
  expiresAtMs: number;
}

export class ClinicError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function errorText(res: Response): Promise<string> {
  try {
    const j = ErrorAnswer.safeParse(await res.json());
    return j.success ? j.data.message : `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}

export async function signIn(username: string, password: string, fetchImpl: typeof fetch = fetch): Promise<ClinicSession | { notPatient: true }> {
  const res = await fetchImpl('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (!res.ok) throw new ClinicError(res.status, await errorText(res));
  const answer = LoginAnswer.safeParse(await res.json().catch(() => null));
  if (!answer.success) {
    throw new ClinicError(res.status, `the clinic server's sign-in answer is not what it should be: ${issueSummary(answer.error, '(answer)')}`);
  }
  const j = answer.data;
  if (j.user.role !== 'patient' || j.user.patientId === null) return { notPatient: true };
  return { token: j.token, username: j.user.username, patientId: j.user.patientId, expiresAtMs: j.expiresAtMs };
}

/** Sends one outbox item; says whether a failure is worth retrying later. */
export function clinicSender(session: ClinicSession, fetchImpl: typeof fetch = fetch): Sender {
  return async (item: OutboxItem) => {
    try {
      const res = await fetchImpl(`/api/patients/${encodeURIComponent(session.patientId)}/${item.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` },
        body: JSON.stringify(item.body),
      });
      if (res.ok) return { ok: true };
      const retry = res.status === 401 || res.status === 408 || res.status === 429 || res.status >= 500;
      return { ok: false, retry, error: await errorText(res) };
    } catch (e) {
      return { ok: false, retry: true, error: e instanceof Error ? e.message : String(e) };
    }
  };
}
