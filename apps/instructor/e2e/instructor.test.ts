/**
 * The instructor page in headless Chromium, served by a real clinic server, reading a real virtual
 * pump: ground truth shows live, a fault injected from the page reaches the pump, the debrief lists it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '@thecal/clinic-server';
import { startVirtualPump } from '@thecal/virtual-pump';
import { NL_PER_ML, type Pump } from '@thecal/pump-core';
import { DebriefSchema, TruthAnswerSchema, checkAnswer } from '@thecal/control-port';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function setUp(pump: Pump): void {
  const at = pump.nowMs;
  const changes = {
    refill: { withdrawnNl: 0, filledNl: 20 * NL_PER_ML, drugId: 'baclofen' as const, concentrationMcgPerMl: 500 },
    prescription: { drugId: 'baclofen' as const, concentrationMcgPerMl: 500, basal: { kind: 'continuous' as const, rateNlPerDay: 600_000 }, maxRateNlPerDay: 2 * NL_PER_ML, maxDailyDosePg: 400_000_000, patientBolus: null },
  };
  const st = pump.execute(at, 'e2e-stage', { type: 'stage', changes });
  if (!st.ok) throw new Error(st.message);
  const soft = ((st.detail['softLimits'] as { code: string }[] | undefined) ?? []).map((s) => s.code);
  const c = pump.execute(at, 'e2e-commit', { type: 'commit', stagedId: st.detail['stagedId'] as number, acknowledgedSoftLimits: soft });
  if (!c.ok) throw new Error(c.message);
}

describe('instructor page (headless Chromium)', () => {
  it('shows the ground truth live, injects a fault from the page, and lists it in the debrief', async () => {
    const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-web.mjs'), 'instructor'], { cwd: root, encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
    const dir = mkdtempSync(join(tmpdir(), 'thecal-instructor-'));
    const clinic = await startServer({ port: 0, dataDir: join(dir, 'clinic') });
    const pump = await startVirtualPump({
      serial: 'TH-INSTR-1',
      dataDir: join(dir, 'pumps'),
      speed: 600,
      setUp,
      training: { title: 'E2E run', briefing: 'brief', instructorNotes: 'notes', expected: [{ action: 'interrogation', byMs: 3_600_000, why: 'always' }] },
    });
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${clinic.url}/instructor/?pump=${encodeURIComponent(pump.controlUrl)}`);
      await page.getByRole('heading', { name: 'E2E run: instructor view' }).waitFor({ timeout: 30_000 });
      assert.equal(await page.getByTestId('catheter').textContent(), 'intact');
      // The answers the page reads are exactly what the shared schemas describe.
      for (const [path, schema] of [['/truth', TruthAnswerSchema], ['/debrief', DebriefSchema]] as const) {
        const answer = checkAnswer(schema, await (await fetch(`${pump.controlUrl}${path}`)).json());
        assert.ok(answer.ok, `${path}: ${answer.ok ? '' : answer.errors.join('; ')}`);
      }
      // A malformed fault is named on the page and never sent: the pump's truth lists no fault.
      await page.getByLabel('fault JSON').fill('{"kind":"leak","fractionPercent":150}');
      await page.getByRole('button', { name: 'Inject now' }).click();
      await page.getByRole('status').filter({ hasText: 'not sent: fractionPercent' }).waitFor({ timeout: 30_000 });
      const truth = checkAnswer(TruthAnswerSchema, await (await fetch(`${pump.controlUrl}/truth`)).json());
      assert.ok(truth.ok && truth.value.faults.length === 0, 'the malformed fault reached the pump');
      await page.getByLabel('fault example').selectOption('mri');
      await page.getByLabel('fault example').selectOption('occlusion');
      await page.getByRole('button', { name: 'Inject now' }).click();
      await page.getByRole('status').filter({ hasText: 'injected' }).waitFor({ timeout: 30_000 });
      await page.getByTestId('catheter').filter({ hasText: 'occluded' }).waitFor({ timeout: 30_000 });
      // The pump keeps pumping against the blocked catheter: the true reservoir pulls ahead of the pump's.
      await page.getByTestId('true-reservoir').filter({ hasText: 'vs the pump' }).waitFor({ timeout: 30_000 });
      await page.getByRole('button', { name: 'Debrief' }).click();
      const row = page.getByTestId('fault-detections').getByRole('row').filter({ hasText: 'occlusion' });
      await row.waitFor({ timeout: 30_000 });
      assert.match((await page.getByTestId('expected').textContent()) ?? '', /interrogation/);
    } finally {
      await browser.close();
      await pump.close();
      await clinic.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
