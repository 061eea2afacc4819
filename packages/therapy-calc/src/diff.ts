/**
 * Old and new settings side by side for the Finish screen: both flattened to rows keyed by JSON
 * path, every row marked when it differs. Shows everything, changed or not, so nothing changes
 * unseen.
 */
export interface DiffRow {
  path: string;
  before: string | number | boolean | null | undefined;
  after: string | number | boolean | null | undefined;
  changed: boolean;
}

type Leaf = string | number | boolean | null;

function flatten(value: unknown, path: string, out: Map<string, Leaf>): void {
  if (value === null || typeof value !== 'object') {
    if (value !== undefined) out.set(path, value as Leaf);
    return;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(path, '(none)');
    value.forEach((v, i) => flatten(v, `${path}[${i}]`, out));
    return;
  }
  for (const [k, v] of Object.entries(value)) flatten(v, path === '' ? k : `${path}.${k}`, out);
}

export function settingsDiff(before: unknown, after: unknown): DiffRow[] {
  const a = new Map<string, Leaf>();
  const b = new Map<string, Leaf>();
  flatten(before, '', a);
  flatten(after, '', b);
  const paths = [...a.keys()];
  for (const p of b.keys()) if (!a.has(p)) paths.push(p);
  return paths.map((path) => {
    const x = a.get(path);
    const y = b.get(path);
    return { path, before: x, after: y, changed: x !== y };
  });
}
