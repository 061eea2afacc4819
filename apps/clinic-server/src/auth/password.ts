/**
 * Password hashing with scrypt (memory-hard) from @noble/hashes. The stored form carries its own
 * parameters, `scrypt$<log2 N>$<r>$<p>$<salt hex>$<hash hex>`, so the cost can be raised later
 * without breaking old hashes. Comparison is constant-time (node:crypto timingSafeEqual).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

/** Production cost: N = 2^15, r = 8 → 32 MiB and about 0.3 s per hash on this class of machine. */
export const DEFAULT_SCRYPT_LOG2N = 15;
/** Tests and the seed may use a cheaper cost; nothing below this is accepted. */
export const MIN_SCRYPT_LOG2N = 12;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

export async function hashPassword(password: string, log2N = DEFAULT_SCRYPT_LOG2N): Promise<string> {
  if (log2N < MIN_SCRYPT_LOG2N || log2N > 20) throw new RangeError(`scrypt cost 2^${log2N} is outside 2^${MIN_SCRYPT_LOG2N}..2^20`);
  const salt = randomBytes(SALT_BYTES);
  const key = await scryptAsync(password, salt, { N: 2 ** log2N, r: R, p: P, dkLen: KEY_BYTES });
  return ['scrypt', log2N, R, P, bytesToHex(salt), bytesToHex(key)].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [log2N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (!Number.isInteger(log2N) || log2N < MIN_SCRYPT_LOG2N || log2N > 20 || !Number.isInteger(r) || !Number.isInteger(p)) return false;
  const expected = hexToBytes(parts[5] ?? '');
  const key = await scryptAsync(password, hexToBytes(parts[4] ?? ''), { N: 2 ** log2N, r, p, dkLen: expected.length });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash of a random password: verifying against it costs the same as a real one, so an unknown user name takes as long as a wrong password. */
let decoy: Promise<string> | null = null;
export function decoyHash(log2N: number): Promise<string> {
  decoy ??= hashPassword(randomBytes(16).toString('hex'), log2N);
  return decoy;
}
