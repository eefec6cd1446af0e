/** A return value outside the program type's range: normalise the returned expression. */
import type { Fix } from '../diagnosis';
import { returnStatement, type FixContext } from './context';

export function returnRangeFix(ctx: FixContext): Fix | null {
  const range = /should have been in \[(-?\d+), (-?\d+)\]/.exec(ctx.error.message);
  const ret = range ? returnStatement(ctx) : null;
  if (!range || !ret) return null;
  const [lo, hi] = [Number(range[1]), Number(range[2])];
  const { expr, line, column } = ret;
  const normalised = lo === 0 && hi === 1 ? `!!(${expr})` : `(${expr}) < ${lo} ? ${lo} : (${expr}) > ${hi} ? ${hi} : (${expr})`;
  return {
    title: `Return a value in [${lo}, ${hi}]: return ${normalised};`,
    edits: [{ file: ret.file, range: { start: { line, column }, end: { line, column: column + expr.length } }, newText: normalised }],
  };
}
