/**
 * Run one virtual pump as a process (the end-to-end test starts it this way):
 *   node --import tsx apps/virtual-pump/src/main.ts --serial TH-0001 --data-dir DIR [--port 0] [--speed 1]
 *        [--magnet SECONDS] [--impair drop=0.1,seed=3] [--idle-timeout-ms N]
 * Prints one JSON line {"event":"ready",...} on stdout when it listens, then human lines on stderr.
 * Stops cleanly (memory saved) on SIGTERM / SIGINT.
 */
import { parseArgs } from 'node:util';
import { parseImpairment } from './impairment.ts';
import { startVirtualPump } from './virtual-pump.ts';

const { values } = parseArgs({
  options: {
    serial: { type: 'string', default: 'TH-0001' },
    'data-dir': { type: 'string', default: '.thecal/pumps' },
    port: { type: 'string', default: '0' },
    speed: { type: 'string', default: '1' },
    magnet: { type: 'string' },
    impair: { type: 'string', default: '' },
    'idle-timeout-ms': { type: 'string' },
  },
});
const running = await startVirtualPump({
  serial: values.serial,
  dataDir: values['data-dir'],
  port: Number(values.port),
  speed: Number(values.speed),
  impairment: parseImpairment(values.impair),
  ...(values.magnet === undefined ? {} : { magnetSeconds: Number(values.magnet) }),
  ...(values['idle-timeout-ms'] === undefined ? {} : { idleTimeoutMs: Number(values['idle-timeout-ms']) }),
  print: (line) => process.stderr.write(line + '\n'),
});
process.stdout.write(JSON.stringify({ event: 'ready', serial: running.serial, port: running.port, radio: running.radioUrl, control: running.controlUrl }) + '\n');
const stop = () => {
  void running.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
