import { it } from 'node:test';
import assert from 'node:assert/strict';
import { MS_PER_DAY } from '@thecal/pump-core';
import { seedDemoClinic } from './seed/demo-clinic.ts';
import { buildWorklist } from './domain/worklist.ts';
import { onBothDatabases, openTestDatabase } from './testing/databases.ts';

const NOW = Date.UTC(2026, 5, 1);

onBothDatabases('demo clinic seed', (kind) => {
  it('creates patients with years of pump-core history, forecasts for all, and a worklist', async () => {
    const { clinic, test } = await openTestDatabase(kind);
    try {
      let progress = 0;
      const r = await seedDemoClinic(clinic.db, { patients: 6, nowMs: NOW, seed: 7, scryptLog2N: 12, onProgress: (done) => (progress = done) });
      assert.equal(progress, 6);
      assert.equal(r.demoPump, null, 'no live pump unless asked');
      assert.equal(r.patients, 6);
      assert.ok(r.sessions >= 12, `sessions ${r.sessions}`);
      assert.ok(r.logRecords > 1000, `records ${r.logRecords}`);
      const forecasts = await clinic.db.selectFrom('forecasts').selectAll().execute();
      assert.equal(forecasts.length, 6);
      for (const f of forecasts) assert.ok(f.eri_at_ms > f.from_ms && f.replace_by_ms === f.eri_at_ms + 90 * MS_PER_DAY);
      const refills = await clinic.db.selectFrom('refills').select('id').execute();
      assert.ok(refills.length >= 6);
      const items = await buildWorklist(clinic.db, { nowMs: NOW, refillHorizonMs: 30 * MS_PER_DAY, replacementHorizonMs: 3650 * MS_PER_DAY });
      assert.ok(items.length > 0);
      // A page that reads only the groups it needs is exactly the head of the whole list.
      for (let take = 1; take <= items.length; take++) {
        const page = await buildWorklist(clinic.db, { nowMs: NOW, refillHorizonMs: 30 * MS_PER_DAY, replacementHorizonMs: 3650 * MS_PER_DAY, take });
        assert.deepEqual(page, items.slice(0, take), `page of ${take}`);
      }
      const rxVersions = await clinic.db.selectFrom('prescriptions').select('patient_id').execute();
      assert.ok(rxVersions.length >= 6);
    } finally {
      await clinic.close();
      await test.destroy();
    }
  });

  it('makes the demo user\'s pump the live one: known serial, patient boluses, refilled recently, at now', async () => {
    const { clinic, test } = await openTestDatabase(kind);
    try {
      const r = await seedDemoClinic(clinic.db, { patients: 2, nowMs: NOW, seed: 11, scryptLog2N: 12, demoPumpSerial: 'TH-DEMO-0001' });
      const pump = r.demoPump;
      assert.ok(pump !== null);
      const status = pump.status();
      assert.equal(status.serial, 'TH-DEMO-0001');
      assert.equal(status.nowMs, NOW);
      assert.ok(status.prescription?.patientBolus, 'patient boluses enabled');
      assert.equal(pump.forecast().lowReservoirAtMs !== null && pump.forecast().lowReservoirAtMs! < NOW, false);
      const user = await clinic.db.selectFrom('users').select('patient_id').where('username', '=', 'patient').executeTakeFirstOrThrow();
      const implant = await clinic.db.selectFrom('implants').select('pump_serial').where('patient_id', '=', user.patient_id as string).executeTakeFirstOrThrow();
      assert.equal(implant.pump_serial, 'TH-DEMO-0001');
    } finally {
      await clinic.close();
      await test.destroy();
    }
  });
});

