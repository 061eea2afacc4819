export { crc32 } from './crc32.ts';
export { ERASED_BYTE, NvmDevice, PowerLossError } from './device.ts';
export {
  LOG_RECORD_HEADER_BYTES,
  LOG_RECORD_MAGIC,
  SETTINGS_FORMAT_VERSION,
  SETTINGS_HEADER_BYTES,
  SETTINGS_MAGIC,
} from './format.ts';
export {
  defaultLayout,
  logRegion,
  validateLayout,
  type LayoutSpec,
  type LogRegion,
  type LogSpec,
  type NvmLayout,
  type NvmRegion,
  type SettingsRegion,
} from './layout.ts';
export {
  appendRecord,
  maxRecordPayloadBytes,
  recoverRecords,
  slotIndexForSeq,
  type LogRecovery,
  type StoredLogRecord,
} from './log-store.ts';
export {
  maxSettingsPayloadBytes,
  readSettings,
  writeSettings,
  type BankFault,
  type BankId,
  type BankInvalidReason,
  type SettingsReadResult,
  type SettingsWriteResult,
} from './settings-bank.ts';
