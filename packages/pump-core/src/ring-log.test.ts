import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LogLayout, RingLog, type LogValue } from './ring-log.ts';

describe('ring log', () => {
  it('keeps the newest `capacity` records in sequence order, overwriting the oldest first', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 200 }), (capacity, n) => {
        const log = new RingLog(capacity);
        for (let i = 0; i < n; i++) log.append({ utcMs: i, utcOffsetMs: 0, type: 'x', data: { i } });
        const all = log.all();
        assert.equal(all.length, Math.min(n, capacity));
        assert.deepEqual(all.map((r) => r.seq), Array.from({ length: all.length }, (_, k) => n - all.length + 1 + k));
        assert.equal(log.nextSequence, n + 1);
        // Reading from an overwritten sequence starts at the oldest kept one: the gap tells the reader what it missed.
        assert.equal(log.readFrom(1)[0]?.seq ?? n + 1, log.oldestSeq <= n ? log.oldestSeq : n + 1);
        assert.deepEqual(log.readFrom(n - 1, 1).map((r) => r.seq), n >= 2 && capacity >= 2 ? [n - 1] : log.readFrom(n - 1, 1).map((r) => r.seq));
      }),
    );
  });

  it('reads a record pushed as values (pushFields) exactly as the same record pushed with its data object', () => {
    const value = fc.oneof(fc.double(), fc.integer(), fc.string(), fc.boolean(), fc.constant(null)) as fc.Arbitrary<LogValue>;
    const record = fc.record({
      keys: fc.uniqueArray(fc.constantFrom('commandId', 'volumeNl', 'amountPg', 'why', 'completed', 'localDate'), { maxLength: 5 }),
      values: fc.array(value, { minLength: 5, maxLength: 5 }),
      asFields: fc.boolean(),
      utcMs: fc.integer(),
    });
    fc.assert(
      // Capacities past 64 slots and runs past them: the value columns grow while the ring fills, then wrap.
      fc.property(fc.integer({ min: 1, max: 300 }), fc.array(record, { maxLength: 700, size: 'max' }), (capacity, records) => {
        const byFields = new RingLog(capacity);
        const byObjects = new RingLog(capacity);
        for (const r of records) {
          const data: Record<string, LogValue> = {};
          r.keys.forEach((k, i) => (data[k] = r.values[i] ?? null));
          byObjects.push(r.utcMs, 3_600_000, 'x', data);
          if (r.asFields) byFields.pushFields(r.utcMs, 3_600_000, 'x', new LogLayout(r.keys), ...r.values);
          else byFields.push(r.utcMs, 3_600_000, 'x', data);
        }
        const read = byFields.all();
        assert.deepEqual(read, byObjects.all());
        // Same keys in the same order: a snapshot of either log is the same JSON.
        assert.equal(JSON.stringify(read), JSON.stringify(byObjects.all()));
      }),
    );
  });

  it('refuses a layout with more keys than a record has columns', () => {
    assert.throws(() => new LogLayout(['a', 'b', 'c', 'd', 'e', 'f']), /at most 5/);
  });

  it('refuses a nonsense capacity', () => {
    assert.throws(() => new RingLog(0), /positive integer/);
  });
});

describe('calendar dates without Date objects', () => {
  it('isoDateOfDay agrees with Date for every day from 1900 to 2200', async () => {
    const { isoDateOfDay } = await import('./local-time.ts');
    for (let day = -25_567; day < 84_000; day += 1) {
      const expected = new Date(day * 86_400_000).toISOString().slice(0, 10);
      if (isoDateOfDay(day) !== expected) assert.fail(`day ${day}: ${isoDateOfDay(day)} != ${expected}`);
    }
  });
});
