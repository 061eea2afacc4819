/** @thecal/clinic-server: the clinic's records, forecasts, worklist, FHIR API and exports. */
export { startServer, type ServerOptions, type RunningServer } from './server.ts';
export { openDatabase, SQLITE_FILE, type ClinicDb, type DatabaseOptions } from './db/connect.ts';
export { buildApp, type ClinicApp, type BuildOptions } from './http/app.ts';
export { DEFAULT_CONFIG, type ClinicConfig } from './http/context.ts';
export { seedDemoClinic, DEMO_PASSWORD, type SeedOptions, type SeedResult } from './seed/demo-clinic.ts';
export { uploadFromPump, type UploadBody } from './programmer-upload.ts';
export { ingestUpload } from './domain/ingest.ts';
export { UploadInput } from './domain/upload-schema.ts';
export { recomputeAllForecasts } from './domain/recompute.ts';
export { buildWorklist } from './domain/worklist.ts';
export { createUser } from './routes/users.ts';
export { addUser } from './cli-support.ts';
export type { Database } from './db/schema.ts';
