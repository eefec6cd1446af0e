/** A possibly-NULL pointer dereferenced: `if (!val) return …;` right after the lookup that made it. */
import type { Fix } from '../diagnosis';
import type { FixContext } from './context';
import { guardStatement, neutralReturn, statementEnd } from './c-source';

export function nullCheckFix(ctx: FixContext): Fix | null {
  const { error, map } = ctx;
  const reg = /\bR(\d+) invalid mem access/.exec(error.message);
  if (error.insn === null || !reg) return null;
  const failing = map.at(error.insn);
  const v = map.variablesIn(error.insn, Number(reg[1])).find((x) => x.kind === 'reg' && (x.type ?? '').endsWith('*'));
  if (!failing?.location || !v) return null;
  const origin = error.causalPath.find((s) => s.kind === 'origin');
  const originLoc = origin ? map.at(origin.insn)?.location : null;
  const file = ctx.resolve(failing.location.file);
  const text = ctx.read(file);
  if (text === null) return null;
  const lines = text.split('\n');
  // After the statement that produced the pointer (the lookup), else before the dereference.
  const sameFile = originLoc && ctx.resolve(originLoc.file) === file;
  const at = sameFile ? statementEnd(lines, originLoc.line - 1) + 1 : failing.location.line - 1;
  const ret = neutralReturn(lines, failing.location.line - 1, failing.inlineChain.length <= 1, ctx.section);
  return {
    title: `Check ${v.name} (${v.type}) against NULL before use: if (!${v.name}) ${ret}`,
    edits: [{ file, ...guardStatement(lines, at, [`if (!${v.name})`, `\t${ret}`]) }],
  };
}
