/** Starting and stopping the clinic server: open the database, build the app, listen. */
import type { FastifyInstance } from 'fastify';
import { openDatabase, type ClinicDb, type DatabaseOptions } from './db/connect.ts';
import { buildApp, type BuildOptions } from './http/app.ts';

export interface ServerOptions extends DatabaseOptions, BuildOptions {
  port: number;
  host?: string;
}

export interface RunningServer {
  app: FastifyInstance;
  clinic: ClinicDb;
  url: string;
  close(): Promise<void>;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const clinic = await openDatabase(opts);
  const { app } = await buildApp(clinic, opts);
  try {
    await app.listen({ port: opts.port, host: opts.host ?? '127.0.0.1' });
  } catch (e) {
    await app.close();
    await clinic.close();
    throw e;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : opts.port;
  return {
    app,
    clinic,
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    async close() {
      await app.close();
      await clinic.close();
    },
  };
}
