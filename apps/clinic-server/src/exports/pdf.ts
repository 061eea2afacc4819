/** The PDF session / refill report: what the programmer prints at the end of a visit. */
import PDFDocument from 'pdfkit';
import type { patientPage } from '../routes/patients.ts';

type Page = Awaited<ReturnType<typeof patientPage>>;
const day = (ms: number | null | undefined) => (ms === null || ms === undefined ? '-' : new Date(ms).toISOString().slice(0, 10));
const ml = (nl: number) => `${(nl / 1e6).toFixed(2)} mL`;

export function sessionReportPdf(page: Page, generatedAtMs: number): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: `Thecal session report ${page.patient.mrn}`, Producer: 'Thecal clinic server' } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const p = page.patient;
  doc.fontSize(16).text('Intrathecal pump: session and refill report');
  doc.fontSize(8).fillColor('#a00').text('Thecal is a simulator and reference implementation, not a medical device.').fillColor('#000');
  doc.moveDown().fontSize(11).text(`${p.familyName}, ${p.givenName}   MRN ${p.mrn}   born ${p.birthDate}   ${p.indication}`);
  doc.fontSize(9).text(`Generated ${new Date(generatedAtMs).toISOString()}`);
  const section = (title: string, lines: string[]) => {
    doc.moveDown().fontSize(12).text(title, { underline: true });
    doc.fontSize(10);
    for (const l of lines) doc.text(l);
  };
  const i = page.implant;
  section('Implant', i === null ? ['none recorded'] : [`Pump ${i.pumpModel} serial ${i.pumpSerial}, reservoir ${ml(i.reservoirCapacityNl)}, implanted ${day(i.implantedAtMs)}`, `Catheter ${i.catheterModel}, ${i.catheterLengthMm} mm, ${(i.catheterVolumeNl / 1000).toFixed(0)} uL`]);
  const rx = page.prescription;
  section('Prescription', rx === null ? ['none recorded'] : [`Version ${rx.version} of ${day(rx.createdAtMs)}: ${rx.reason}`, JSON.stringify(rx.prescription).slice(0, 600)]);
  const f = page.forecast;
  section(
    'Forecast (pump core, from the last interrogation)',
    f === null
      ? ['no interrogation uploaded']
      : [`Recommended next refill by ${day(f.nextRefillByMs)} (reservoir at 3.0 mL with every allowed bolus used; drug stability)`, `Low-reservoir alarm ${day(f.lowReservoirAtMs)}, empty ${day(f.emptyAtMs)}`, `ERI ${day(f.eriAtMs)}, replace by ${day(f.replaceByMs)}`],
  );
  const r = page.lastRefill;
  section(
    'Last refill',
    r === null
      ? ['none recorded']
      : [
          `${day(r.refilledAtMs)}: ${r.drugId} ${r.concentrationMcgPerMl} mcg/mL, filled ${ml(r.filledNl)}`,
          `Expected residual ${ml(r.expectedResidualNl)}, withdrawn ${ml(r.withdrawnNl)}, difference ${ml(r.discrepancyNl)}${r.discrepancyFlagged ? '  ** DISCREPANCY: REVIEW **' : ''}`,
        ],
  );
  section('Open alarms', page.openAlarms.length === 0 ? ['none'] : page.openAlarms.map((a) => `${a.critical ? 'CRITICAL ' : ''}${a.code} since ${day(a.raisedAtMs)}`));
  const s = page.lastSession;
  section('Last session', s === null ? ['none'] : [`Interrogated ${new Date(s.interrogatedAtMs).toISOString()}, ${s.recordsReceived} log records${s.recordsMissed > 0 ? `, ${s.recordsMissed} overwritten before upload` : ''}`]);
  section('Planned absences', page.upcomingAbsences.length === 0 ? ['none'] : page.upcomingAbsences.map((a) => `${a.kind} ${day(a.fromMs)} to ${day(a.untilMs)}`));
  doc.end();
  return done;
}
