/**
 * The pump's radio secrets: a random root key made at manufacture (never derived from the serial
 * number) and the register of paired credentials. A credential's key is recomputed from the root
 * key when needed (crypto.ts, credentialKey), so the register holds no per-device secrets.
 *
 * The pump core's memory model has no slot for radio keys; the virtual pump keeps this as its own
 * file beside the NVM image (a real pump would keep it in a secure element).
 */
import { z } from 'zod';
import { fromHex, toHex } from './bytes.ts';
import { ROOT_KEY_BYTES, type Random } from './crypto.ts';
import type { Role } from './frame.ts';

export const KEYSTORE_FORMAT = 'thecal-keystore/1';

export interface CredentialRecord {
  /** 16 hex digits (8 random bytes). */
  id: string;
  role: Role;
  name: string;
  pairedAtUtcMs: number;
  revoked: boolean;
}

const KeyStoreJson = z.strictObject({
  format: z.literal(KEYSTORE_FORMAT),
  serial: z.string().min(1).max(32),
  model: z.enum(['thecal-20', 'thecal-40']),
  rootKey: z.string().regex(/^[0-9a-f]{64}$/, 'root key must be 64 hex digits'),
  credentials: z.array(
    z.strictObject({
      id: z.string().regex(/^[0-9a-f]{16}$/),
      role: z.enum(['clinician', 'patient']),
      name: z.string().max(64),
      pairedAtUtcMs: z.number().int(),
      revoked: z.boolean(),
    }),
  ),
});
export type KeyStoreJson = z.infer<typeof KeyStoreJson>;

export class KeyStore {
  private constructor(
    readonly serial: string,
    readonly model: 'thecal-20' | 'thecal-40',
    readonly rootKey: Uint8Array,
    private readonly credentials: Map<string, CredentialRecord>,
  ) {}

  /** A new pump's secrets: the root key comes from the random source, nothing else. */
  static manufacture(serial: string, model: 'thecal-20' | 'thecal-40', random: Random): KeyStore {
    const rootKey = random(ROOT_KEY_BYTES);
    if (rootKey.length !== ROOT_KEY_BYTES) throw new RangeError('random source returned the wrong number of bytes');
    return new KeyStore(serial, model, rootKey, new Map());
  }

  /** From the stored JSON; throws with the path and reason of every bad field. */
  static parse(json: unknown): KeyStore {
    const r = KeyStoreJson.safeParse(json);
    if (!r.success) throw new Error(`key store is not valid: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    const d = r.data;
    return new KeyStore(d.serial, d.model, fromHex(d.rootKey), new Map(d.credentials.map((c) => [c.id, { ...c }])));
  }

  toJSON(): KeyStoreJson {
    return { format: KEYSTORE_FORMAT, serial: this.serial, model: this.model, rootKey: toHex(this.rootKey), credentials: [...this.credentials.values()].map((c) => ({ ...c })) };
  }

  get(id: string): CredentialRecord | undefined {
    const c = this.credentials.get(id);
    return c === undefined ? undefined : { ...c };
  }

  list(): CredentialRecord[] {
    return [...this.credentials.values()].map((c) => ({ ...c }));
  }

  add(record: CredentialRecord): void {
    if (this.credentials.has(record.id)) throw new Error(`credential ${record.id} already exists`);
    this.credentials.set(record.id, { ...record });
  }

  /** True if it was active. */
  revoke(id: string): boolean {
    const c = this.credentials.get(id);
    if (c === undefined || c.revoked) return false;
    c.revoked = true;
    return true;
  }
}
