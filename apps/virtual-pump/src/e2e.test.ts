/**
 * End to end over a real WebSocket, the virtual pump a separate process: pair, interrogate,
 * change a program, lose the link mid-commit (after the pump acted, and before it heard), reconnect
 * and find the pump in a defined state; then restart the process and find it where it was.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { PumpClient, toValue, webSocketConnector, type Credential, type WebSocketConstructor } from '@thecal/protocol';
import { FIRST_FILL, MORPHINE_RX } from '@thecal/protocol/testkit';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'thecal-e2e-'));
const children = new Set<ChildProcess>();

after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Ready {
  child: ChildProcess;
  radio: string;
  control: string;
}

async function startPump(extra: string[] = []): Promise<Ready> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--serial', 'TH-E2E', '--data-dir', dir, '--port', '0', '--speed', '60', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`virtual pump did not start: ${stderr}`)), 15_000);
    createInterface({ input: child.stdout! }).once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`virtual pump exited with ${code}: ${stderr}`)));
  });
  const ready = JSON.parse(line) as { radio: string; control: string };
  return { child, radio: ready.radio, control: ready.control };
}

async function stopPump(p: Ready): Promise<void> {
  const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill('SIGTERM');
  await exited;
}

const client = (p: Ready) => new PumpClient({ connect: webSocketConnector(p.radio, WebSocket as unknown as WebSocketConstructor), timeoutMs: 1_500 });
const post = async (p: Ready, path: string, body?: unknown) => {
  const r = await fetch(`${p.control}${path}`, { method: 'POST', body: body === undefined ? null : JSON.stringify(body) });
  assert.equal(r.status, 200, await r.clone().text());
  return r.json();
};
const inspect = async (p: Ready) => (await (await fetch(`${p.control}/status`)).json()) as { status: { therapy: { currentRateNlPerDay: number; running: boolean }; staged: unknown; prescription: { basal: { rateNlPerDay: number } } } };

describe('virtual pump end to end (separate process, real WebSocket)', () => {
  let credential: Credential;

  it('pairs only after the magnet, interrogates, changes a program, survives losing the link mid-commit, and resumes after a restart', async () => {
    const pump = await startPump();
    const c = client(pump);
    await assert.rejects(c.pair('clinician', 'E2E programmer'), /pairing-not-allowed/);
    c.close();
    await post(pump, '/magnet?seconds=20');
    const c1 = client(pump);
    ({ credential } = await c1.pair('clinician', 'E2E programmer'));
    c1.close();

    const prog = client(pump);
    await prog.connect(credential);
    const first = await prog.changeProgram(FIRST_FILL, 'all');
    assert.equal(first.commit?.status, 'ok', JSON.stringify(first.commit?.body));
    const i = await prog.interrogate();
    assert.equal(i.device.serial, 'TH-E2E');
    assert.equal(i.status.therapy.running, true);
    assert.ok(i.events.some((e) => e.type === 'program-committed'));

    // 1. The link dies after the pump committed but before the answer left: the client asks, learns "committed".
    const staged = await prog.request('stage-program', toValue({ changes: { prescription: { ...MORPHINE_RX, basal: { kind: 'continuous', rateNlPerDay: 550_000 } } } }));
    assert.equal(staged.status, 'ok');
    const stagedId = (staged.body as { detail: { stagedId: number } }).detail.stagedId;
    await post(pump, '/link', { cut: 'after-next-frame' });
    const commit = await prog.request('commit', { stagedId, acknowledgedSoftLimits: [] });
    assert.equal(commit.status, 'ok', JSON.stringify(commit.body));
    assert.equal(prog.stats.outcomeQueries, 1);
    assert.equal(prog.stats.handshakes, 2);
    let seen = await inspect(pump);
    assert.equal(seen.status.therapy.currentRateNlPerDay, 550_000);
    assert.equal(seen.status.staged, null);

    // 2. The link dies before the pump heard the commit: outcome unknown, so the client sends it again, once.
    const staged2 = await prog.request('stage-program', toValue({ changes: { prescription: { ...MORPHINE_RX, basal: { kind: 'continuous', rateNlPerDay: 600_000 } } } }));
    assert.equal(staged2.status, 'ok', JSON.stringify(staged2.body));
    const stagedId2 = (staged2.body as { detail: { stagedId: number } }).detail.stagedId;
    await post(pump, '/link', { cut: 'before-next-frame' });
    const commit2 = await prog.request('commit', { stagedId: stagedId2, acknowledgedSoftLimits: [] });
    assert.equal(commit2.status, 'ok', JSON.stringify(commit2.body));
    assert.equal(prog.stats.outcomeQueries, 2);
    seen = await inspect(pump);
    assert.equal(seen.status.therapy.currentRateNlPerDay, 600_000);

    // 3. A staged change and then the link is gone for good: the pump keeps its last committed program.
    await prog.request('stage-program', toValue({ changes: { prescription: { ...MORPHINE_RX, basal: { kind: 'continuous', rateNlPerDay: 450_000 } } } }));
    await post(pump, '/link', { cut: 'now' });
    prog.close();
    seen = await inspect(pump);
    assert.equal(seen.status.therapy.currentRateNlPerDay, 600_000);
    assert.equal(seen.status.therapy.running, true);

    // 4. Restart the process: memory and keys come back from the files; the same credential still works.
    await stopPump(pump);
    const again = await startPump();
    const after = client(again);
    await after.connect(credential);
    const st = await after.status();
    assert.equal((st as unknown as { prescription: { basal: { rateNlPerDay: number } } }).prescription.basal.rateNlPerDay, 600_000);
    assert.equal(st.therapy.running, true);
    const events = await after.readLog('events');
    assert.ok(events.some((e) => e.type === 'power-restored'), 'the restart is in the log');
    assert.equal(events.filter((e) => e.type === 'program-committed').length, 3);
    await after.end();
    after.close();
    await stopPump(again);
  });
});
