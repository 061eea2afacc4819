import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LOG_RECORD_HEADER_BYTES, SETTINGS_HEADER_BYTES } from './format.ts';
import { defaultLayout, logRegion, validateLayout, type NvmLayout } from './layout.ts';

describe('defaultLayout', () => {
  it('packs banks then logs without gaps or overlap', () => {
    const layout = defaultLayout({
      settingsBankBytes: 256,
      logs: [
        { name: 'events', capacity: 10, slotBytes: 64 },
        { name: 'doses', capacity: 3, slotBytes: 32 },
      ],
    });
    assert.deepEqual(layout.settings.bankA, { offsetBytes: 0, sizeBytes: 256 });
    assert.deepEqual(layout.settings.bankB, { offsetBytes: 256, sizeBytes: 256 });
    const events = logRegion(layout, 'events');
    assert.deepEqual(events, { name: 'events', capacity: 10, slotBytes: 64, slotCount: 11, offsetBytes: 512, sizeBytes: 704 });
    const doses = logRegion(layout, 'doses');
    assert.equal(doses.offsetBytes, 512 + 704);
    assert.equal(doses.sizeBytes, 4 * 32);
    assert.equal(layout.sizeBytes, 512 + 704 + 128);
  });

  it('allows a layout with no logs', () => {
    assert.equal(defaultLayout({ settingsBankBytes: 32, logs: [] }).sizeBytes, 64);
  });

  it('rejects bad specs with clear errors', () => {
    assert.throws(
      () => defaultLayout({ settingsBankBytes: SETTINGS_HEADER_BYTES, logs: [] }),
      /settingsBankBytes must be an integer greater than the 17-byte bank header, got 17/,
    );
    assert.throws(() => defaultLayout({ settingsBankBytes: 1.5, logs: [] }), RangeError);
    const ok = { settingsBankBytes: 64 };
    assert.throws(() => defaultLayout({ ...ok, logs: [{ name: '', capacity: 1, slotBytes: 32 }] }), /non-empty/);
    assert.throws(
      () => defaultLayout({ ...ok, logs: [{ name: 'a', capacity: 1, slotBytes: 32 }, { name: 'a', capacity: 1, slotBytes: 32 }] }),
      /log name "a" is used twice/,
    );
    assert.throws(() => defaultLayout({ ...ok, logs: [{ name: 'a', capacity: 0, slotBytes: 32 }] }), /log "a": capacity must be a positive integer, got 0/);
    assert.throws(
      () => defaultLayout({ ...ok, logs: [{ name: 'a', capacity: 2, slotBytes: LOG_RECORD_HEADER_BYTES }] }),
      /log "a": slotBytes must be an integer greater than the 16-byte record header, got 16/,
    );
  });

  it('lookup of an unknown log names the ones that exist', () => {
    const layout = defaultLayout({ settingsBankBytes: 64, logs: [{ name: 'events', capacity: 1, slotBytes: 32 }] });
    assert.throws(() => logRegion(layout, 'nope'), /no log named "nope" in the NVM layout \(have: events\)/);
  });
});

describe('validateLayout', () => {
  const base = defaultLayout({ settingsBankBytes: 64, logs: [{ name: 'events', capacity: 2, slotBytes: 32 }] });

  it('accepts a computed layout', () => {
    validateLayout(base);
  });

  it('rejects overlapping regions', () => {
    const bad: NvmLayout = { ...base, settings: { ...base.settings, bankB: { offsetBytes: 32, sizeBytes: 64 } } };
    assert.throws(() => validateLayout(bad), /settings bank A overlaps settings bank B/);
  });

  it('rejects regions outside the layout and inconsistent slot maths', () => {
    assert.throws(() => validateLayout({ ...base, sizeBytes: base.sizeBytes - 1 }), /log "events" .* lies outside the/);
    const log = base.logs[0]!;
    assert.throws(() => validateLayout({ ...base, logs: [{ ...log, slotCount: log.capacity }] }), /slotCount must be capacity \+ 1 = 3, got 2/);
    assert.throws(() => validateLayout({ ...base, logs: [{ ...log, sizeBytes: 10 }] }), /sizeBytes must be slotCount \* slotBytes = 96, got 10/);
  });
});
