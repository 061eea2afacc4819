/**
 * Every way bytes from the radio can be wrong, as a machine-readable code plus a message that
 * says what and why. Decoders throw ProtocolError; the pump's radio turns it into a rejection and
 * a security-log entry, never a crash.
 */
export type ProtocolErrorCode =
  | 'truncated'
  | 'too-long'
  | 'trailing-bytes'
  | 'unsupported-version'
  | 'unknown-frame-type'
  | 'bad-varint'
  | 'bad-tag'
  | 'bad-utf8'
  | 'too-deep'
  | 'too-many-items'
  | 'unknown-dictionary-entry'
  | 'bad-field'
  | 'unknown-message-type';

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
}
