/**
 * The outer frame: what crosses the radio, one frame per transport message. Byte 0 is the
 * protocol version, byte 1 the frame type; the rest depends on the type. Layouts, byte by byte:
 * docs/protocol.md, "Frames".
 *
 * Only version 1 exists. A frame with any other version is refused whole (no fallback: version 0
 * is reserved for the cleartext link of older pumps this protocol must never speak).
 */
import { ByteReader, ByteWriter, decodeUtf8, utf8 } from './bytes.ts';
import { CREDENTIAL_ID_BYTES, MAC_BYTES, PUBLIC_KEY_BYTES, TAG_BYTES } from './crypto.ts';
import { ProtocolError } from './errors.ts';

export const PROTOCOL_VERSION = 1;
export const MIN_SUPPORTED_VERSION = 1;
export const MAX_SUPPORTED_VERSION = 1;
/** Largest frame either side accepts or sends, header and tag included. */
export const MAX_FRAME_BYTES = 4096;
export const DATA_HEADER_BYTES = 2 + 4 + 8;
/** Largest plaintext a DATA frame can carry. */
export const MAX_PLAINTEXT_BYTES = MAX_FRAME_BYTES - DATA_HEADER_BYTES - TAG_BYTES;
export const MAX_DEVICE_NAME_BYTES = 32;
export const MAX_SERIAL_BYTES = 32;

export const FRAME_TYPE = {
  pairRequest: 0x01,
  pairResponse: 0x02,
  hello: 0x03,
  helloReply: 0x04,
  data: 0x05,
  error: 0x06,
} as const;
export type FrameTypeName = keyof typeof FRAME_TYPE;

export type Role = 'clinician' | 'patient';
export const ROLE_BYTE: Readonly<Record<Role, number>> = { clinician: 1, patient: 2 };
export function roleFromByte(b: number, what: string): Role {
  if (b === 1) return 'clinician';
  if (b === 2) return 'patient';
  throw new ProtocolError('bad-field', `${what}: role byte ${b} is neither 1 (clinician) nor 2 (patient)`);
}

export const ERROR_CODE = {
  'bad-frame': 1,
  'unsupported-version': 2,
  'auth-failed': 3,
  'unknown-session': 4,
  'session-expired': 5,
  'pairing-not-allowed': 6,
  busy: 7,
} as const;
export type ErrorCodeName = keyof typeof ERROR_CODE;
const ERROR_NAMES = new Map<number, ErrorCodeName>(Object.entries(ERROR_CODE).map(([k, v]) => [v, k as ErrorCodeName]));

export type Frame =
  | { type: 'pairRequest'; role: Role; publicKey: Uint8Array; deviceName: string }
  | { type: 'pairResponse'; publicKey: Uint8Array; sealed: Uint8Array }
  | { type: 'hello'; credentialId: Uint8Array; publicKey: Uint8Array; mac: Uint8Array }
  | { type: 'helloReply'; sessionId: number; publicKey: Uint8Array; idleTimeoutS: number; maxSessionS: number; confirm: Uint8Array }
  | { type: 'data'; sessionId: number; counter: number; sealed: Uint8Array }
  | { type: 'error'; code: ErrorCodeName; minVersion: number; maxVersion: number };

/** Plaintext of the sealed part of PAIR_RESPONSE. */
export interface PairingGrant {
  credentialId: Uint8Array;
  role: Role;
  credentialKey: Uint8Array;
  serial: string;
}

function header(w: ByteWriter, type: number): ByteWriter {
  return w.u8(PROTOCOL_VERSION).u8(type);
}

function fixed(b: Uint8Array, n: number, what: string): Uint8Array {
  if (b.length !== n) throw new RangeError(`${what} must be ${n} bytes, got ${b.length}`);
  return b;
}

export function encodeFrame(f: Frame): Uint8Array {
  const w = new ByteWriter(128);
  switch (f.type) {
    case 'pairRequest': {
      const name = utf8.encode(f.deviceName);
      if (name.length > MAX_DEVICE_NAME_BYTES) throw new RangeError(`device name is ${name.length} bytes, at most ${MAX_DEVICE_NAME_BYTES}`);
      header(w, FRAME_TYPE.pairRequest).u8(ROLE_BYTE[f.role]).bytes(fixed(f.publicKey, PUBLIC_KEY_BYTES, 'public key')).u8(name.length).bytes(name);
      break;
    }
    case 'pairResponse':
      header(w, FRAME_TYPE.pairResponse).bytes(fixed(f.publicKey, PUBLIC_KEY_BYTES, 'public key')).bytes(f.sealed);
      break;
    case 'hello':
      header(w, FRAME_TYPE.hello).bytes(fixed(f.credentialId, CREDENTIAL_ID_BYTES, 'credential id')).bytes(fixed(f.publicKey, PUBLIC_KEY_BYTES, 'public key')).bytes(fixed(f.mac, MAC_BYTES, 'mac'));
      break;
    case 'helloReply':
      header(w, FRAME_TYPE.helloReply).u32(f.sessionId).bytes(fixed(f.publicKey, PUBLIC_KEY_BYTES, 'public key')).u16(f.idleTimeoutS).u16(f.maxSessionS).bytes(fixed(f.confirm, MAC_BYTES, 'confirm'));
      break;
    case 'data':
      header(w, FRAME_TYPE.data).u32(f.sessionId).u64(f.counter).bytes(f.sealed);
      break;
    case 'error':
      header(w, FRAME_TYPE.error).u8(ERROR_CODE[f.code]).u8(f.minVersion).u8(f.maxVersion);
      break;
  }
  const out = w.finish();
  if (out.length > MAX_FRAME_BYTES) throw new RangeError(`frame of ${out.length} bytes is above the ${MAX_FRAME_BYTES}-byte maximum`);
  return out;
}

/** The frame's version byte without decoding the rest (to answer a wrong version precisely). */
export function peekVersion(bytes: Uint8Array): number | null {
  return bytes.length === 0 ? null : (bytes[0] ?? null);
}

/**
 * Decode one frame. Throws ProtocolError saying what is wrong; never returns a partly valid frame.
 * Whether the frame is authentic is not known here: that is the session's job.
 */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (bytes.length > MAX_FRAME_BYTES) throw new ProtocolError('too-long', `frame of ${bytes.length} bytes is above the ${MAX_FRAME_BYTES}-byte maximum`);
  const r = new ByteReader(bytes, 'frame');
  const version = r.u8('version');
  if (version !== PROTOCOL_VERSION) {
    throw new ProtocolError('unsupported-version', `frame version ${version} is not supported (only ${MIN_SUPPORTED_VERSION}..${MAX_SUPPORTED_VERSION}; no downgrade)`);
  }
  const type = r.u8('frame type');
  let f: Frame;
  switch (type) {
    case FRAME_TYPE.pairRequest: {
      const role = roleFromByte(r.u8('role'), 'PAIR_REQUEST');
      const publicKey = r.bytes(PUBLIC_KEY_BYTES, 'public key');
      const len = r.u8('device name length');
      if (len > MAX_DEVICE_NAME_BYTES) throw new ProtocolError('bad-field', `PAIR_REQUEST: device name of ${len} bytes, at most ${MAX_DEVICE_NAME_BYTES}`);
      const deviceName = decodeUtf8(r.bytes(len, 'device name'), 'PAIR_REQUEST device name');
      // Control characters in a name that will be printed on a console and stored: refused.
      if (/[\u0000-\u001f\u007f]/.test(deviceName)) throw new ProtocolError('bad-field', 'PAIR_REQUEST: device name contains control characters');
      f = { type: 'pairRequest', role, publicKey, deviceName };
      break;
    }
    case FRAME_TYPE.pairResponse: {
      const publicKey = r.bytes(PUBLIC_KEY_BYTES, 'public key');
      const sealed = r.rest();
      if (sealed.length < TAG_BYTES + CREDENTIAL_ID_BYTES + 1 + 32 + 1) throw new ProtocolError('truncated', `PAIR_RESPONSE: sealed grant of ${sealed.length} bytes is too short`);
      f = { type: 'pairResponse', publicKey, sealed };
      break;
    }
    case FRAME_TYPE.hello:
      f = { type: 'hello', credentialId: r.bytes(CREDENTIAL_ID_BYTES, 'credential id'), publicKey: r.bytes(PUBLIC_KEY_BYTES, 'public key'), mac: r.bytes(MAC_BYTES, 'mac') };
      break;
    case FRAME_TYPE.helloReply:
      f = {
        type: 'helloReply',
        sessionId: r.u32('session id'),
        publicKey: r.bytes(PUBLIC_KEY_BYTES, 'public key'),
        idleTimeoutS: r.u16('idle timeout'),
        maxSessionS: r.u16('session lifetime'),
        confirm: r.bytes(MAC_BYTES, 'confirm'),
      };
      break;
    case FRAME_TYPE.data: {
      const sessionId = r.u32('session id');
      const counter = r.u64('counter');
      if (counter === 0) throw new ProtocolError('bad-field', 'DATA: counter 0 is never used (counters start at 1)');
      const sealed = r.rest();
      if (sealed.length < TAG_BYTES) throw new ProtocolError('truncated', `DATA: ${sealed.length} bytes after the header, the tag alone is ${TAG_BYTES}`);
      f = { type: 'data', sessionId, counter, sealed };
      break;
    }
    case FRAME_TYPE.error: {
      const c = r.u8('error code');
      const code = ERROR_NAMES.get(c);
      if (code === undefined) throw new ProtocolError('bad-field', `ERROR: unknown error code ${c}`);
      f = { type: 'error', code, minVersion: r.u8('min version'), maxVersion: r.u8('max version') };
      break;
    }
    default:
      throw new ProtocolError('unknown-frame-type', `frame type 0x${type.toString(16).padStart(2, '0')} is not defined in version ${PROTOCOL_VERSION}`);
  }
  r.end();
  return f;
}

/** Bytes of a DATA frame's header: the AEAD's associated data, so header and body are bound. */
export function dataHeader(sessionId: number, counter: number): Uint8Array {
  return new ByteWriter(DATA_HEADER_BYTES).u8(PROTOCOL_VERSION).u8(FRAME_TYPE.data).u32(sessionId).u64(counter).finish();
}

export function encodeGrant(g: PairingGrant): Uint8Array {
  const serial = utf8.encode(g.serial);
  if (serial.length > MAX_SERIAL_BYTES) throw new RangeError(`serial of ${serial.length} bytes, at most ${MAX_SERIAL_BYTES}`);
  return new ByteWriter(80).bytes(fixed(g.credentialId, CREDENTIAL_ID_BYTES, 'credential id')).u8(ROLE_BYTE[g.role]).bytes(fixed(g.credentialKey, 32, 'credential key')).u8(serial.length).bytes(serial).finish();
}

export function decodeGrant(b: Uint8Array): PairingGrant {
  const r = new ByteReader(b, 'pairing grant');
  const credentialId = r.bytes(CREDENTIAL_ID_BYTES, 'credential id');
  const role = roleFromByte(r.u8('role'), 'pairing grant');
  const credentialKey = r.bytes(32, 'credential key');
  const len = r.u8('serial length');
  if (len > MAX_SERIAL_BYTES) throw new ProtocolError('bad-field', `pairing grant: serial of ${len} bytes`);
  const serial = decodeUtf8(r.bytes(len, 'serial'), 'serial');
  r.end();
  return { credentialId, role, credentialKey, serial };
}
