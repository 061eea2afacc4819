/**
 * The session report as a PDF, written by hand (text only, Helvetica, A4 pages): a few kilobytes
 * of code instead of a PDF library, and loaded only when a session ends (dynamic import).
 */
export interface ReportSection {
  heading: string;
  lines: string[];
}

const PAGE_W = 595;
const PAGE_H = 842;
const MARGIN = 50;
const LINE = 14;
const MAX_CHARS = 95;

/** PDF strings are Latin-1 here; anything outside it becomes '?', and \ ( ) are escaped. */
function pdfText(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 63;
    const safe = c >= 32 && c <= 255 ? ch : '?';
    out += safe === '\\' || safe === '(' || safe === ')' ? `\\${safe}` : safe;
  }
  return out;
}

function wrap(line: string): string[] {
  if (line.length <= MAX_CHARS) return [line];
  const out: string[] = [];
  let rest = line;
  while (rest.length > MAX_CHARS) {
    const cut = rest.lastIndexOf(' ', MAX_CHARS);
    const at = cut > 20 ? cut : MAX_CHARS;
    out.push(rest.slice(0, at));
    rest = `    ${rest.slice(at).trimStart()}`;
  }
  out.push(rest);
  return out;
}

export function sessionReportPdf(title: string, sections: ReportSection[]): Uint8Array {
  type Row = { text: string; bold: boolean; size: number };
  const rows: Row[] = [{ text: title, bold: true, size: 15 }, { text: 'Thecal is a simulator and reference implementation, not a medical device.', bold: false, size: 9 }];
  for (const s of sections) {
    rows.push({ text: '', bold: false, size: 10 }, { text: s.heading, bold: true, size: 12 });
    for (const l of s.lines) for (const w of wrap(l)) rows.push({ text: w, bold: false, size: 10 });
  }
  const perPage = Math.floor((PAGE_H - 2 * MARGIN) / LINE);
  const pages: Row[][] = [];
  for (let i = 0; i < rows.length; i += perPage) pages.push(rows.slice(i, i + perPage));

  const objects: string[] = [];
  const add = (body: string) => {
    objects.push(body);
    return objects.length;
  };
  const catalog = add('');
  const pagesObj = add('');
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const bold = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>');
  const kids: number[] = [];
  pages.forEach((page, n) => {
    let y = PAGE_H - MARGIN;
    let stream = 'BT\n';
    for (const r of page) {
      stream += `/${r.bold ? 'F2' : 'F1'} ${r.size} Tf 1 0 0 1 ${MARGIN} ${y} Tm (${pdfText(r.text)}) Tj\n`;
      y -= LINE;
    }
    stream += `/F1 8 Tf 1 0 0 1 ${MARGIN} 30 Tm (${pdfText(`page ${n + 1} of ${pages.length}`)}) Tj\nET`;
    const content = add(`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`);
    kids.push(add(`<< /Type /Page /Parent ${pagesObj} 0 R /MediaBox [0 0 ${PAGE_W} ${PAGE_H}] /Resources << /Font << /F1 ${font} 0 R /F2 ${bold} 0 R >> >> /Contents ${content} 0 R >>`));
  });
  objects[catalog - 1] = `<< /Type /Catalog /Pages ${pagesObj} 0 R >>`;
  objects[pagesObj - 1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`;

  // Latin-1 bytes: one byte per character, so string lengths are byte offsets.
  let pdf = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  const bytes = new Uint8Array(pdf.length);
  for (let i = 0; i < pdf.length; i++) bytes[i] = pdf.charCodeAt(i) & 0xff;
  return bytes;
}

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
