import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { OffsetTimeline } from './local-clock.ts';
import { formatDuration, formatUtcOffset, parseDuration, parseInstant, parseTimeOfDay, parseTimeRef, parseUtcOffset } from './time-syntax.ts';

const ok = <T>(r: { ok: true; value: T } | { ok: false; message: string }): T | string => (r.ok ? r.value : `error: ${r.message}`);
const H = 3_600_000;

describe('time syntax', () => {
  it('parses ISO-8601 durations exactly', () => {
    assert.equal(ok(parseDuration('P2DT3H')), 2 * 24 * H + 3 * H);
    assert.equal(ok(parseDuration('PT90M')), 90 * 60_000);
    assert.equal(ok(parseDuration('PT0.5S')), 500);
    assert.equal(ok(parseDuration('P1W')), 7 * 24 * H);
    assert.equal(ok(parseDuration('PT1.5H')), 1.5 * H);
    assert.equal(ok(parseDuration('-PT5M', { allowNegative: true })), -300_000);
  });

  it('refuses months, years, fractions of a millisecond, negative and empty durations', () => {
    assert.match(String(ok(parseDuration('P1M'))), /years and months have no fixed length/);
    assert.match(String(ok(parseDuration('P1Y'))), /years and months/);
    assert.match(String(ok(parseDuration('PT0.0001S'))), /not a whole number of milliseconds/);
    assert.match(String(ok(parseDuration('-PT5M'))), /negative/);
    assert.match(String(ok(parseDuration('P'))), /not an ISO-8601 duration/);
    assert.match(String(ok(parseDuration('PT'))), /not an ISO-8601 duration/);
    assert.match(String(ok(parseDuration('2 days'))), /not an ISO-8601 duration/);
  });

  it('parses instants with their zone and refuses impossible dates', () => {
    assert.equal(ok(parseInstant('2026-03-02T08:00:00Z')), Date.UTC(2026, 2, 2, 8));
    assert.equal(ok(parseInstant('2026-03-02T09:00:00+01:00')), Date.UTC(2026, 2, 2, 8));
    assert.equal(ok(parseInstant('2026-03-02T08:00Z')), Date.UTC(2026, 2, 2, 8));
    assert.equal(ok(parseInstant('2026-03-02T08:00:00.250Z')), Date.UTC(2026, 2, 2, 8) + 250);
    assert.match(String(ok(parseInstant('2026-02-30T08:00:00Z'))), /there is no 2026-02-30/);
    assert.match(String(ok(parseInstant('2026-03-02T08:00:00'))), /with a zone/);
    assert.match(String(ok(parseInstant('2026-03-02T08:00:00.0001Z'))), /fraction of a millisecond/);
  });

  it('tells times relative to the start from absolute ones', () => {
    assert.deepEqual(ok(parseTimeRef('P2D')), { kind: 'relative', ms: 48 * H, text: 'P2D' });
    assert.equal((ok(parseTimeRef('2026-01-01T00:00:00Z')) as { kind: string }).kind, 'absolute');
    assert.match(String(ok(parseTimeRef('+2d3h'))), /neither an ISO-8601 date-time/);
  });

  it('parses UTC offsets in quarter hours within the pump range', () => {
    assert.equal(ok(parseUtcOffset('+01:00')), H);
    assert.equal(ok(parseUtcOffset('-05:30')), -5.5 * H);
    assert.equal(ok(parseUtcOffset('Z')), 0);
    assert.match(String(ok(parseUtcOffset('+01:10'))), /quarter hours/);
    assert.match(String(ok(parseUtcOffset('+15:00'))), /quarter hours/);
    assert.equal(formatUtcOffset(-5.5 * H), '-05:30');
  });

  it('parses local times of day', () => {
    assert.equal(ok(parseTimeOfDay('08:30')), 510);
    assert.match(String(ok(parseTimeOfDay('24:00'))), /not a local time/);
  });

  it('property: formatDuration and parseDuration are inverse', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 * 365 * 24 * H }), (ms) => {
        assert.equal(ok(parseDuration(formatDuration(ms))), ms);
      }),
    );
  });
});

describe("the patient's wall clock across offset changes", () => {
  // Europe 2026: +01:00 until 2026-03-29T01:00Z, then +02:00 until 2026-10-25T01:00Z, then +01:00.
  const spring = Date.UTC(2026, 2, 29, 1);
  const autumn = Date.UTC(2026, 9, 25, 1);
  const clock = new OffsetTimeline(H, [
    { atMs: spring, utcOffsetMs: 2 * H },
    { atMs: autumn, utcOffsetMs: H },
  ]);
  const local = (iso: string) => Date.parse(`${iso}Z`);

  it('maps ordinary local times with the offset in force', () => {
    assert.equal(clock.utcOfLocal(local('2026-03-28T08:00:00')), Date.UTC(2026, 2, 28, 7));
    assert.equal(clock.utcOfLocal(local('2026-03-29T08:00:00')), Date.UTC(2026, 2, 29, 6));
  });

  it('moves a local time in the spring gap forward by the jump', () => {
    assert.equal(clock.utcOfLocal(local('2026-03-29T02:30:00')), Date.UTC(2026, 2, 29, 1, 30));
  });

  it('takes the first of a local time that happens twice in autumn', () => {
    assert.equal(clock.utcOfLocal(local('2026-10-25T02:30:00')), Date.UTC(2026, 9, 25, 0, 30));
  });

  it('property: every instant maps to a local time that maps back to it, outside the repeated hour', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 1) }), (utc) => {
        fc.pre(!(utc >= autumn && utc < autumn + H));
        assert.equal(clock.utcOfLocal(clock.localMs(utc)), utc);
      }),
    );
  });
});
