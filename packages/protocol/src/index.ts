/** Thecal's secure telemetry: frames, messages, pairing, sessions, roles; the pump's radio and the client. */
export * from './errors.ts';
export * from './bytes.ts';
export * from './crypto.ts';
export * from './dictionary.ts';
export * from './value-codec.ts';
export * from './frame.ts';
export * from './messages.ts';
export * from './log-codec.ts';
export * from './roles.ts';
export * from './keystore.ts';
export * from './security-log.ts';
export * from './handlers.ts';
export * from './pump-radio.ts';
export * from './transport.ts';
export * from './client.ts';
