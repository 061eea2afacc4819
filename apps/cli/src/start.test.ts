import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/thecal.mjs', import.meta.url));

describe('thecal start (npm start)', () => {
  it('seeds the demo clinic, serves the clinic API and a virtual pump, and stops cleanly on SIGTERM', async () => {
    const data = mkdtempSync(join(tmpdir(), 'thecal-start-'));
    const child = spawn(process.execPath, [bin, 'start', '--data', data, '--clinic-port', '0', '--pump-port', '0', '--patients', '2', '--no-build'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    try {
      const deadline = Date.now() + 60_000;
      while (!out.includes('ready.') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      assert.ok(out.includes('ready.'), `no ready line; stdout: ${out}\nstderr: ${err}`);
      const clinicUrl = /clinic server\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      const controlUrl = /control (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      assert.ok(clinicUrl !== undefined && controlUrl !== undefined, out);
      const docs = await fetch(`${clinicUrl}/docs/json`);
      assert.equal(docs.status, 200);
      const login = await fetch(`${clinicUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'clinician', password: 'thecal-demo-password' }) });
      const loginText = await login.text();
      assert.equal(login.status, 200, loginText);
      const info = await fetch(`${controlUrl}/info`);
      assert.equal(info.status, 200);
      assert.match(await info.text(), /TH-DEMO-0001/);
      // The live pump is the demo patient's: programmed (morphine with patient boluses) and known to the clinic.
      const status = (await (await fetch(`${controlUrl}/status`)).json()) as { status: { prescription?: { drugId: string; patientBolus: unknown } } };
      assert.equal(status.status.prescription?.drugId, 'morphine');
      assert.ok(status.status.prescription?.patientBolus);
      const token = (JSON.parse(loginText) as { token: string }).token;
      const patients = (await (await fetch(`${clinicUrl}/api/patients?q=`, { headers: { authorization: `Bearer ${token}` } })).json()) as unknown;
      assert.match(JSON.stringify(patients), /DEMO-00001/);
      // Every browser app gets a line with its address and the pump to connect to.
      assert.match(out, /programmer\s+http:\/\/127\.0\.0\.1:\d+\/programmer\/\?pump=ws%3A%2F%2F127\.0\.0\.1/);
      assert.match(out, /patient app\s+http:\/\/127\.0\.0\.1:\d+\/ptm\/\?pump=/);
    } finally {
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (c) => resolve(c))));
      rmSync(data, { recursive: true, force: true });
      assert.equal(code, 0, `exit code ${code}; stderr: ${err}`);
      assert.ok(out.includes('stopped.'));
    }
  });
});
