/** An index that may run past an array in a map value: stop when it is not below the array's length. */
import type { Fix } from '../diagnosis';
import { failingSource, type FixContext } from './context';
import { guardStatement, neutralReturn } from './c-source';

export function clampIndexFix(ctx: FixContext): Fix | null {
  const { error } = ctx;
  if (error.insn === null || !/map value|memory range/.test(error.message)) return null;
  const found = failingSource(ctx);
  if (!found) return null;
  const { src, file, lines, at } = found;
  // `c->slot[idx]`: the array expression and the index, as written.
  const m = /([A-Za-z_][\w]*(?:\s*(?:->|\.)\s*[A-Za-z_]\w*)*)\s*\[\s*([A-Za-z_]\w*)\s*\]/.exec(lines[at]);
  if (!m) return null;
  const [, array, index] = m;
  const ret = neutralReturn(lines, at, src.inlineChain.length <= 1, ctx.section);
  const bound = `sizeof(${array}) / sizeof(${array}[0])`;
  return {
    title: `Keep ${index} below the length of ${array}: if (${index} >= ${bound}) ${ret}`,
    edits: [{ file, ...guardStatement(lines, at, [`if (${index} >= ${bound})`, `\t${ret}`]) }],
  };
}
