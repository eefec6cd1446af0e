/** A GPL-only helper in a non-GPL program: declare a GPL-compatible license. */
import type { Fix } from '../diagnosis';
import type { FixContext } from './context';

export function gplLicenseFix(ctx: FixContext): Fix | null {
  const files = ctx.map.match.object.dwarf?.files.filter((f) => f.endsWith('.c')) ?? [];
  for (const f of files) {
    const file = ctx.resolve(f);
    const lines = ctx.read(file)?.split('\n');
    if (!lines) continue;
    const i = lines.findIndex((l) => /SEC\(\s*"license"\s*\)/.test(l));
    if (i < 0) continue;
    const m = /=\s*"([^"]*)"/.exec(lines[i]);
    if (!m) continue;
    const start = m.index + m[0].indexOf('"') + 1;
    return {
      title: `Declare a GPL-compatible license: "${m[1]}" → "GPL" (the helper is GPL-only)`,
      edits: [{ file, range: { start: { line: i, column: start }, end: { line: i, column: start + m[1].length } }, newText: 'GPL' }],
    };
  }
  return null;
}
