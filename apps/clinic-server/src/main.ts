/**
 * A bare server process: `node --import tsx apps/clinic-server/src/main.ts --port 0 --data DIR`.
 * Prints `listening <url>` once ready (the kill tests wait for it). `thecal clinic` is the
 * user-facing command; this entry exists so tests can start and SIGKILL a real process.
 */
import { parseArgs } from 'node:util';
import { startServer } from './server.ts';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, data: { type: 'string' }, 'pg-schema': { type: 'string' }, 'scrypt-log2n': { type: 'string' } } });
const server = await startServer({
  port: Number(values.port),
  ...(values.data === undefined ? {} : { dataDir: values.data }),
  ...(process.env['DATABASE_URL'] ? { databaseUrl: process.env['DATABASE_URL'] } : {}),
  ...(values['pg-schema'] === undefined ? {} : { pgSchema: values['pg-schema'] }),
  config: values['scrypt-log2n'] === undefined ? {} : { scryptLog2N: Number(values['scrypt-log2n']) },
});
process.stdout.write(`listening ${server.url}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
