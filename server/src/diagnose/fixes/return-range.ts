/** A return value outside the program type's range: normalise the returned expression. */
import type { Fix } from '../diagnosis';
import type { FixContext } from './context';

export function returnRangeFix(ctx: FixContext): Fix | null {
  const { error, map } = ctx;
  const range = /should have been in \[(-?\d+), (-?\d+)\]/.exec(error.message);
  if (error.insn === null || !range) return null;
  const [lo, hi] = [Number(range[1]), Number(range[2])];
  // The value is computed before the exit; the `return` statement is on the line of the last
  // step that wrote R0 (the exit itself is often attributed to the function's closing line).
  const steps = error.causalPath.filter((s) => s.kind !== 'fail').reverse();
  for (const st of [...steps, { insn: error.insn }]) {
    const loc = map.at(st.insn)?.location;
    if (!loc) continue;
    const file = ctx.resolve(loc.file);
    const lines = ctx.read(file)?.split('\n');
    const line = lines?.[loc.line - 1];
    const m = line ? /\breturn\s+(.+?);/.exec(line) : null;
    if (!m || !line) continue;
    const expr = m[1];
    const normalised = lo === 0 && hi === 1 ? `!!(${expr})` : `(${expr}) < ${lo} ? ${lo} : (${expr}) > ${hi} ? ${hi} : (${expr})`;
    const start = m.index + m[0].indexOf(expr);
    return {
      title: `Return a value in [${lo}, ${hi}]: return ${normalised};`,
      edits: [{ file, range: { start: { line: loc.line - 1, column: start }, end: { line: loc.line - 1, column: start + expr.length } }, newText: normalised }],
    };
  }
  return null;
}
