/** The literal names of it()/describe() calls in a test file's source (comments removed first). */
export function testNamesIn(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const names: string[] = [];
  for (const m of code.matchAll(/\b(?:it|describe)\(\s*(['"])((?:\\.|(?!\1)[^\\])*)\1/g)) {
    names.push((m[2] ?? '').replace(/\\(.)/g, '$1'));
  }
  return names;
}
