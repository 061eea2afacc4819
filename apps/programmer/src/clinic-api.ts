/**
 * The clinic server's API on the same origin: sign-in and session uploads. Every answer is checked
 * against the shape it must have before it is used: a server (or anything between) that answers
 * something else is an error that says so, never a token of the wrong type.
 */
import { issueSummary } from '@thecal/pump-schemas';
import { z } from 'zod';

const LoginAnswer = z.object({ token: z.string().min(1) });
const ErrorAnswer = z.object({ message: z.string() });
const SessionAnswer = z.object({ sessionId: z.string().min(1) });
const PatientAnswer = z.object({
  patient: z.object({ mrn: z.string(), familyName: z.string(), givenName: z.string(), birthDate: z.string(), indication: z.string() }),
});

/** The server's own message from an error answer, if it sent one. */
function messageOf(body: unknown): string | null {
  const e = ErrorAnswer.safeParse(body);
  return e.success ? e.data.message : null;
}

/** An answer of the wrong shape: which fields, and why. */
function malformed(what: string, error: z.ZodError): Error {
  return new Error(`the clinic server's ${what} is not what it should be: ${issueSummary(error, '(answer)')}`);
}

const TOKEN_KEY = 'thecal.programmer.token';

export interface SignedIn {
  token: string;
  username: string;
}

export function currentUser(): SignedIn | null {
  try {
    const v = JSON.parse(sessionStorage.getItem(TOKEN_KEY) ?? 'null') as SignedIn | null;
    return v !== null && typeof v.token === 'string' ? v : null;
  } catch {
    return null;
  }
}

export async function signIn(username: string, password: string): Promise<SignedIn> {
  const r = await fetch('/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!r.ok) throw new Error(messageOf(await r.json().catch(() => null)) ?? `sign-in failed (HTTP ${r.status})`);
  const answer = LoginAnswer.safeParse(await r.json().catch(() => null));
  if (!answer.success) throw malformed('sign-in answer', answer.error);
  const u = { token: answer.data.token, username };
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify(u));
  return u;
}

export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function postJson(path: string, token: string, body: unknown): Promise<unknown> {
  const r = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  const out: unknown = await r.json().catch(() => null);
  if (!r.ok) throw new HttpStatusError(r.status, messageOf(out) ?? `HTTP ${r.status}`);
  return out;
}

/** Uploads a programming session; the server's id for it. */
export async function postSession(token: string, body: unknown): Promise<string> {
  const answer = SessionAnswer.safeParse(await postJson('/api/sessions', token, body));
  if (!answer.success) throw malformed('answer to an upload', answer.error);
  return answer.data.sessionId;
}

export interface PatientCard {
  mrn: string;
  familyName: string;
  givenName: string;
  birthDate: string;
  indication: string;
}

/** The clinic's record of the patient the pump names, or null when not signed in or not known here. */
export async function patientCard(patientId: string): Promise<PatientCard | null> {
  const user = currentUser();
  if (user === null || !/^[0-9a-f-]{36}$/i.test(patientId)) return null;
  try {
    const r = await fetch(`/api/patients/${patientId}`, { headers: { authorization: `Bearer ${user.token}` } });
    if (!r.ok) return null;
    const answer = PatientAnswer.safeParse(await r.json());
    return answer.success ? answer.data.patient : null;
  } catch {
    return null;
  }
}
