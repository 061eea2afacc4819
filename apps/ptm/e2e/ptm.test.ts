/**
 * The patient app end to end, in real headless Chromium at a phone viewport, against a virtual
 * pump (its own clock at 120x, so a 15-minute lockout passes in 7.5 s) and a clinic server:
 * pair at the magnet, ask for a dose, be refused for the lockout with a live countdown, reach the
 * daily count, lose an answer and have the pump settle it, see an alarm explained, go offline and
 * come back (the shell opens from the service worker; the outbox sends what waited), share a usage
 * report. Every screen passes axe-core with no serious or critical violation; screenshots go to
 * test-artifacts/ptm/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { CLINICIAN_PASSWORD, CLINICIAN_USER, DEFAULT_PROGRAM, PATIENT_PASSWORD, PATIENT_USER, REPO, buildPtm, startRig, type Rig } from './rig.ts';

const ARTIFACTS = join(REPO, 'test-artifacts', 'ptm');
const AXE = join(REPO, 'node_modules', 'axe-core', 'axe.min.js');
const PHONE = { width: 360, height: 740 };
const WAIT = { timeout: 20_000 };

let rig: Rig;
let context: BrowserContext;
let page: Page;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  buildPtm();
  rig = await startRig(DEFAULT_PROGRAM);
  context = await rig.browser.newContext({ viewport: PHONE, deviceScaleFactor: 1, isMobile: true, hasTouch: true, locale: 'en-GB', serviceWorkers: 'allow' });
  page = await context.newPage();
});

after(async () => {
  await context?.close();
  await rig?.close();
});

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** axe-core in the page: no serious or critical violation on what is shown now. */
async function accessible(screen: string): Promise<void> {
  if ((await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe)) === 'undefined') await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown }[] }[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => JSON.stringify(n.target)).slice(0, 3) }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${screen}: ${JSON.stringify(bad, null, 1)}`);
}

const testId = (id: string) => page.getByTestId(id);
async function text(id: string): Promise<string> {
  return (await testId(id).textContent({ timeout: WAIT.timeout })) ?? '';
}

async function askForDose(): Promise<{ kind: string; reason: string | null }> {
  await testId('nav-dose').click();
  await testId('dose-start').click();
  await testId('dose-confirm-text').waitFor(WAIT);
  await testId('dose-ask').click();
  const answer = testId('dose-answer');
  await answer.waitFor(WAIT);
  return { kind: (await answer.getAttribute('data-kind')) ?? '', reason: await answer.getAttribute('data-reason') };
}

async function waitForCountdownEnd(): Promise<void> {
  await page.waitForFunction(() => document.querySelector('[data-testid="dose-countdown"].done') !== null, undefined, { timeout: 30_000 });
}

describe('the patient app in a phone browser', () => {
  it('pairs with the pump as a patient only after the (simulated) magnet', async () => {
    await page.goto(rig.appUrl(), { waitUntil: 'load' });
    await page.getByRole('heading', { name: 'Connect to your pump' }).waitFor(WAIT);
    await accessible('pair');
    await shot('01-pair');
    // Without the magnet the pump refuses: the signal of intent is at the pump, not in the app.
    await testId('pair-connect').click();
    await page.getByText('did not accept pairing').waitFor(WAIT);
    await testId('pair-magnet').click();
    await page.getByText('ready to pair').waitFor(WAIT);
    await testId('pair-connect').click();
    await page.getByText('Check that the pump shows the same code').waitFor(WAIT);
    assert.match(await text('pair-note'), /code: \d{6}/);
    await testId('pair-continue').click();
    const credential = await page.evaluate(() => JSON.parse(localStorage.getItem('thecal-ptm.credential') ?? 'null') as { role: string; pumpSerial: string });
    assert.equal(credential.role, 'patient');
    assert.equal(credential.pumpSerial, 'TH-PTM-0001');
    const listed = (await (await fetch(`${rig.pump.controlUrl}/info`)).json()) as { credentials: { role: string; name: string }[] };
    assert.ok(listed.credentials.some((c) => c.role === 'patient' && c.name === 'Thecal PTM'));
  });

  it('home answers at a glance: working, today, next refill, replace-by, alarms', async () => {
    await testId('pump-state').waitFor(WAIT);
    assert.match(await text('pump-state'), /The pump is working/);
    assert.match(await text('today-dose'), /mg$/);
    assert.match(await text('next-refill'), /\d{4}/);
    assert.match(await text('replace-by'), /\d{4}/);
    assert.match(await text('home-alarms'), /1 alarm/);
    await accessible('home');
    await shot('02-home');
  });

  it('asks for a dose: confirmation first, then the pump delivers it', async () => {
    await testId('nav-dose').click();
    await testId('dose-start').click();
    assert.match(await text('dose-confirm-text'), /0\.25 mg \(0\.01 mL\) of morphine over 1 minutes/);
    await accessible('dose-confirm');
    await shot('03-dose-confirm');
    await testId('dose-ask').click();
    await testId('dose-answer').waitFor(WAIT);
    assert.equal(await testId('dose-answer').getAttribute('data-kind'), 'accepted');
    assert.match(await text('dose-accepted'), /giving 0\.25 mg now/);
    // "Delivered" only once the pump says so (the bolus runs a pump minute: half a second here).
    await testId('dose-delivered').waitFor(WAIT);
    assert.match(await text('dose-delivered'), /Delivered: 0\.25 mg \(0\.01 mL\)/);
    await shot('04-dose-delivered');
  });

  it('is refused during the lockout, with the reason in plain words and a live countdown', async () => {
    const a = await askForDose();
    assert.deepEqual(a, { kind: 'denied', reason: 'lockout' });
    assert.match(await text('dose-reason'), /Too soon after your last dose/);
    const first = Number(await testId('dose-countdown').getAttribute('data-remaining-ms'));
    assert.ok(first > 0 && first <= 7_600, `countdown ${first} ms (a 15-minute lockout at 120x is 7.5 s)`);
    await page.waitForTimeout(1_200);
    const later = Number(await testId('dose-countdown').getAttribute('data-remaining-ms'));
    assert.ok(later < first, `the countdown moves: ${first} -> ${later}`);
    // The countdown's words are in a live region for screen readers.
    assert.equal(await page.locator('[data-testid="dose-countdown"] [aria-live="polite"]').count(), 1);
    assert.equal(await page.locator('[data-testid="dose-live"][aria-live="assertive"]').count(), 1);
    await accessible('dose-lockout');
    await shot('05-dose-lockout');
    await waitForCountdownEnd();
  });

  it('reaches the daily count, and a lost answer is settled by asking the pump', async () => {
    const second = await askForDose();
    assert.equal(second.kind, 'accepted');
    await testId('dose-delivered').waitFor(WAIT);
    await waitForCountdownEnd();
    // The link drops right after the pump acts on the next request: its answer never arrives.
    const cut = await fetch(`${rig.pump.controlUrl}/link`, { method: 'POST', body: JSON.stringify({ cut: 'after-next-frame' }) });
    assert.equal(cut.status, 200);
    const before = (await page.evaluate(() => (window as unknown as { thecalPtmStats: () => { outcomeQueries: number; retries: number } }).thecalPtmStats())) ?? { outcomeQueries: 0, retries: 0 };
    const third = await askForDose();
    const afterStats = await page.evaluate(() => (window as unknown as { thecalPtmStats: () => { outcomeQueries: number; retries: number } }).thecalPtmStats());
    assert.ok(afterStats.outcomeQueries > before.outcomeQueries && afterStats.retries > before.retries, `the lost answer was asked for, not guessed: ${JSON.stringify({ before, afterStats })}`);
    assert.deepEqual(third, { kind: 'denied', reason: 'count-24h-reached' });
    assert.match(await text('dose-reason'), /used all the doses allowed in 24 hours/);
    assert.match(await text('dose-used'), /2 of 2 doses used/);
    assert.equal(await page.evaluate(() => localStorage.getItem('thecal-ptm.pending-bolus')), 'null', 'no request is left unresolved');
    await shot('06-dose-count-reached');
  });

  it('an answer that never arrives is shown as unknown, kept across a restart, and settled by the pump', async () => {
    // Every frame from the pump is dropped from now on: the request reaches the pump, no answer comes back.
    let dropping = false;
    await page.routeWebSocket(/\/radio$/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => server.send(m));
      server.onMessage((m) => {
        if (!dropping) ws.send(m);
      });
    });
    await page.reload({ waitUntil: 'load' });
    await testId('nav-dose').click();
    await testId('dose-used').waitFor(WAIT);
    await testId('dose-start').click();
    dropping = true;
    await testId('dose-ask').click();
    await testId('dose-lost').waitFor({ timeout: 30_000 });
    assert.match(await text('dose-lost'), /may or may not have been given/);
    const pending = await page.evaluate(() => JSON.parse(localStorage.getItem('thecal-ptm.pending-bolus') ?? 'null') as { commandId: string } | null);
    assert.match(pending?.commandId ?? '', /^r:[0-9a-f]{16}$/);
    await accessible('dose-lost');
    await shot('06b-dose-lost');
    // The app is closed and opened again with the link back: it asks the pump about that very request.
    dropping = false;
    await page.reload({ waitUntil: 'load' });
    await testId('dose-answer').waitFor({ timeout: 30_000 });
    assert.equal(await testId('dose-answer').getAttribute('data-reason'), 'count-24h-reached');
    assert.equal(await page.evaluate(() => localStorage.getItem('thecal-ptm.pending-bolus')), 'null');
  });

  it('explains the alarm the pump reports, lets the patient silence it, and plays each tone', async () => {
    await testId('nav-alarms').click();
    await testId('alarm-reservoir-low').first().waitFor(WAIT);
    const explained = await page.locator('[data-testid="alarms-active"] [data-testid="alarm-reservoir-low"]').textContent();
    assert.match(explained ?? '', /running low/);
    assert.match(explained ?? '', /Not critical: one tone for 1 second/);
    assert.match(explained ?? '', /Sound/);
    assert.match(explained ?? '', /Call your clinic to book a refill/);
    await accessible('alarms');
    await shot('07-alarms');
    await testId('silence-reservoir-low').click();
    await page.getByText('Silenced on the pump').waitFor(WAIT);
    await testId('play-non-critical').click();
    await page.waitForFunction(() => !(document.querySelector('[data-testid="play-non-critical"]') as HTMLButtonElement).disabled, undefined, WAIT);
    assert.equal(await text('alarms-note'), 'Silenced on the pump. It will sound again if the problem comes back.', 'the tone played (no "cannot play" note)');
  });

  it('symptom check: never diagnoses, says whom to call', async () => {
    await testId('nav-symptoms').click();
    await testId('sym-itching').check();
    await testId('sym-check').click();
    assert.equal(await testId('sym-advice').getAttribute('data-advice'), 'call-clinic');
    await testId('sym-breathing').check();
    await testId('sym-check').click();
    assert.equal(await testId('sym-advice').getAttribute('data-advice'), 'emergency');
    assert.match(await text('sym-advice'), /Call emergency services now/);
    await accessible('symptoms');
    await shot('08-symptoms');
  });

  it('signs in to the clinic, and the report is made from the pump log', async () => {
    await testId('nav-settings').click();
    // A clinician's account is not for this app: refused, nothing stored.
    await testId('clinic-username').fill(CLINICIAN_USER);
    await testId('clinic-password').fill(CLINICIAN_PASSWORD);
    await testId('clinic-sign-in').click();
    await testId('settings-note').filter({ hasText: 'not a patient account' }).waitFor(WAIT);
    assert.equal(await page.evaluate(() => localStorage.getItem('thecal-ptm.clinic')), null);
    await testId('clinic-username').fill(PATIENT_USER);
    await testId('clinic-password').fill(PATIENT_PASSWORD);
    await testId('clinic-sign-in').click();
    await testId('clinic-signed-in').waitFor(WAIT);
    await accessible('settings');
    await testId('nav-report').click();
    await testId('report-make').click();
    await testId('report').waitFor(WAIT);
    // Five requests as the pump logged them: the one whose answer was lost counts once, not once per retry.
    assert.equal(await text('report-requested'), '5');
    assert.equal(await text('report-delivered'), '2');
    assert.equal(await text('report-denied'), '3');
    const reasons = await text('report-reasons');
    assert.match(reasons, /1 × Too soon/);
    assert.match(reasons, /2 × You have used all the doses/);
    assert.equal(await page.locator('[data-testid="report-chart"] rect.bar-delivered').count(), 24);
    // A 7-day period touches 7 or 8 calendar days: one bar each, empty days included.
    const dayBars = await page.locator('[data-testid="report-day-chart"] rect.bar-delivered').count();
    assert.ok(dayBars === 7 || dayBars === 8, `${dayBars} day bars`);
    await accessible('report');
    await shot('09-report');
  });

  it('goes offline and back: the shell opens from the service worker, the outbox sends what waited', async () => {
    const manifest = (await (await fetch(`${rig.clinicUrl}/ptm/manifest.webmanifest`)).json()) as { start_url: string; display: string; icons: { sizes: string }[] };
    assert.equal(manifest.start_url, '/ptm/');
    assert.equal(manifest.display, 'standalone');
    assert.ok(manifest.icons.some((i) => i.sizes === '512x512'));
    // The service worker's cache is named after this build, so a new build replaces the old cache.
    const indexHtml = Buffer.from(await (await fetch(`${rig.clinicUrl}/ptm/index.html`)).arrayBuffer());
    const sw = await (await fetch(`${rig.clinicUrl}/ptm/sw.js`)).text();
    assert.ok(sw.includes(`'thecal-ptm-shell-${createHash('sha256').update(indexHtml).digest('hex').slice(0, 12)}'`), 'sw.js names its cache after the built index.html');
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    await context.setOffline(true);
    await testId('network').filter({ hasText: 'You are offline' }).waitFor(WAIT);
    await testId('report-share').click();
    await testId('outbox').waitFor(WAIT);
    await testId('nav-travel').click();
    const day = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10);
    await testId('travel-hospital').check();
    await testId('travel-from').fill(day(3));
    await testId('travel-until').fill(day(20));
    await testId('travel-save').click();
    await testId('travel-warning').waitFor(WAIT);
    assert.match(await text('travel-warning'), /next refill is due on .*while you are away/);
    assert.match(await text('outbox'), /2 item\(s\) waiting/);
    await accessible('travel-offline');
    await shot('10-offline-travel');
    // Reload with no network: the service worker serves the app shell.
    await page.reload({ waitUntil: 'load' });
    await page.getByRole('heading', { name: 'Travel and hospital stays' }).waitFor(WAIT);
    assert.match(await text('network'), /You are offline/);
    assert.match(await text('outbox'), /2 item\(s\) waiting/);
    await shot('11-offline-reload');

    await context.setOffline(false);
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await testId('outbox').waitFor({ state: 'detached', timeout: 20_000 });
    const auth = { authorization: `Bearer ${rig.clinicianToken}` };
    const reports = (await rig.clinic.app.inject({ method: 'GET', url: `/api/patients/${rig.patientId}/usage-reports`, headers: auth })).json() as { report: { totals: { requested: number } } }[];
    assert.equal(reports.length, 1);
    assert.equal(reports[0]?.report.totals.requested, 5);
    const absences = (await rig.clinic.app.inject({ method: 'GET', url: `/api/patients/${rig.patientId}/absences`, headers: auth })).json() as { kind: string }[];
    assert.deepEqual(
      absences.map((a) => a.kind),
      ['hospital-stay'],
    );
    assert.match(await text('travel-list'), /sent/);
  });

  it('works at 320 px: no sideways scrolling, touch targets at least 48 px, and in Spanish', async () => {
    await page.setViewportSize({ width: 320, height: 640 });
    await page.locator('select').first().selectOption('es');
    await testId('nav-home').click();
    await testId('pump-state').waitFor(WAIT);
    assert.match(await text('pump-state'), /La bomba funciona/);
    // The hospital stay saved earlier covers the next refill: the first screen says so.
    assert.match(await text('home-refill-away'), /mientras está fuera/);
    const layout = await page.evaluate(() => {
      const small = [...document.querySelectorAll('main button, main a.button, main input, main select, nav a, main summary, header a, header select')]
        .map((el) => ({ el: (el as HTMLElement).outerHTML.slice(0, 80), r: el.getBoundingClientRect() }))
        .filter((x) => x.r.width > 0 && (x.r.height < 48 || x.r.width < 44))
        .map((x) => `${x.el} ${Math.round(x.r.width)}x${Math.round(x.r.height)}`);
      const tabs = document.querySelector('nav.tabs ul') as HTMLElement;
      return { scrollWidth: document.documentElement.scrollWidth, small, tabsOverflow: tabs.scrollWidth - tabs.clientWidth };
    });
    assert.ok(layout.scrollWidth <= 320, `page is ${layout.scrollWidth} px wide at a 320 px viewport`);
    assert.ok(layout.tabsOverflow <= 0, `every tab fits at 320 px (overflow ${layout.tabsOverflow} px)`);
    assert.deepEqual(layout.small, []);
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'es');
    await accessible('home-320-es');
    await shot('12-home-320-es');
  });
});
