/** Session tokens: 32 random bytes from the OS; only their SHA-256 is stored. */
import { createHash, randomBytes } from 'node:crypto';

export const SESSION_TOKEN_BYTES = 32;

export function newSessionToken(): string {
  return randomBytes(SESSION_TOKEN_BYTES).toString('base64url');
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
