/** Small entry points for the `thecal clinic` command that need no HTTP server. */
import { LoginLimiter } from './auth/rate-limit.ts';
import type { ClinicDb } from './db/connect.ts';
import { DEFAULT_CONFIG } from './http/context.ts';
import { createUser, UserInput } from './routes/users.ts';

/** Validates and adds a user; returns the problems instead of throwing on bad input. */
export async function addUser(clinic: ClinicDb, input: unknown): Promise<{ ok: true; id: string } | { ok: false; message: string }> {
  const parsed = UserInput.safeParse(input);
  if (!parsed.success) return { ok: false, message: parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ') };
  const ctx = { db: clinic.db, dialect: clinic.dialect, config: DEFAULT_CONFIG, limiter: new LoginLimiter(clinic.db, { maxFailures: 1, windowMs: 1 }), now: () => Date.now() };
  try {
    return { ok: true, id: (await createUser(ctx, parsed.data)).id };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}
