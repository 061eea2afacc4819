/** The clinic server's API on the same origin: sign-in and session uploads. */
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
  if (!r.ok) {
    const body = (await r.json().catch(() => ({}))) as { message?: string };
    throw new Error(body.message ?? `sign-in failed (HTTP ${r.status})`);
  }
  const { token } = (await r.json()) as { token: string };
  const u = { token, username };
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
  const out = (await r.json().catch(() => ({}))) as { message?: string };
  if (!r.ok) throw new HttpStatusError(r.status, out.message ?? `HTTP ${r.status}`);
  return out;
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
    const body = (await r.json()) as { patient?: PatientCard };
    return body.patient ?? null;
  } catch {
    return null;
  }
}
