import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sessionReportPdf, toBase64 } from './report-pdf.ts';

const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');

test('the session report is a well-formed PDF: every xref offset points at its object', () => {
  const lines = Array.from({ length: 120 }, (_, i) => `line ${i}: 0.8 mL/day (400 mcg/day) (brackets) and a back\\slash`);
  const pdf = latin1(sessionReportPdf('Programming session: pump TH-1', [{ heading: 'Settings', lines }]));
  assert.ok(pdf.startsWith('%PDF-1.4\n'));
  assert.ok(pdf.endsWith('%%EOF\n'));
  const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(pdf)?.[1]);
  assert.ok(pdf.slice(startxref).startsWith('xref\n'));
  const offsets = [...pdf.slice(startxref).matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]));
  offsets.forEach((o, i) => assert.ok(pdf.slice(o).startsWith(`${i + 1} 0 obj\n`), `object ${i + 1} at ${o}`));
  // 120 lines + headings do not fit one A4 page of 52 lines: several pages, all counted.
  const count = Number(/\/Count (\d+)/.exec(pdf)?.[1]);
  assert.ok(count >= 3);
  assert.equal((pdf.match(/\/Type \/Page /g) ?? []).length, count);
  // Stream lengths are exact.
  for (const m of pdf.matchAll(/<< \/Length (\d+) >>\nstream\n/g)) {
    const start = (m.index ?? 0) + m[0].length;
    assert.equal(pdf.slice(start + Number(m[1]), start + Number(m[1]) + 10), '\nendstream');
  }
  // Brackets and backslashes are escaped inside PDF strings.
  assert.match(pdf, /\\\(brackets\\\) and a back\\\\slash/);
});

test('text outside Latin-1 cannot break the file, and base64 round-trips', () => {
  const bytes = sessionReportPdf('µ → ✓', [{ heading: 'x', lines: ['日本'] }]);
  assert.ok(latin1(bytes).includes('(\xb5 ? ?) Tj'));
  assert.ok(latin1(bytes).includes('(??) Tj'));
  assert.deepEqual(new Uint8Array(Buffer.from(toBase64(bytes), 'base64')), bytes);
});
