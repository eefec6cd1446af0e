/** A missing packet bounds check: `if ((void *)(ip + 1) > data_end) return …;` before the access. */
import type { Fix } from '../diagnosis';
import type { FixContext } from './context';
import { enclosingFunctionStart, guardStatement, neutralReturn } from './c-source';

/** A pointer named `…end` declared between the enclosing function's start and `at`. */
function declaredEnd(lines: readonly string[], at: number): string | null {
  const from = enclosingFunctionStart(lines, at);
  if (from < 0) return null;
  for (let i = at; i >= from; i--) {
    const m = /\*\s*([A-Za-z_]\w*end)\b/.exec(lines[i]);
    if (m) return m[1];
  }
  return null;
}

export function packetBoundsFix(ctx: FixContext): Fix | null {
  const { error, map } = ctx;
  if (error.insn === null) return null;
  const src = map.at(error.insn);
  if (!src?.location || src.location.column === null) return null;
  // Only packet pointers: the failing register's state names `pkt` in the message or the path.
  if (!/\bpkt\b|packet/.test(error.message + error.causalPath.map((s) => s.text).join(' '))) return null;
  const file = ctx.resolve(src.location.file);
  const text = ctx.read(file);
  if (text === null) return null;
  const lines = text.split('\n');
  const at = src.location.line - 1;
  // The pointer dereferenced at the DWARF column: `ip->protocol` → `ip`.
  const before = lines[at].slice(0, src.location.column - 1);
  const ptr = /([A-Za-z_]\w*)\s*(?:->|\[)\s*$/.exec(before)?.[1] ?? /([A-Za-z_]\w*)\s*$/.exec(before.replace(/[(*\s]+$/, ''))?.[1];
  const vars = src.vars;
  const ptrVar = vars.find((v) => v.name === ptr && (v.type ?? '').endsWith('*'));
  // The packet end is often no longer in a register at the access: then take the pointer the
  // enclosing function declares for it (`void *data_end`).
  const endName = vars.find((v) => /(?:^|_)end$/.test(v.name) && (v.type ?? '').endsWith('*'))?.name ?? declaredEnd(lines, at);
  if (!ptrVar || !endName) return null;
  const end = { name: endName };
  const ret = neutralReturn(lines, at, src.inlineChain.length <= 1, ctx.section);
  return {
    title: `Check that ${ptrVar.name} (${ptrVar.type}) fits before data_end: if ((void *)(${ptrVar.name} + 1) > ${end.name}) ${ret}`,
    edits: [{ file, ...guardStatement(lines, at, [`if ((void *)(${ptrVar.name} + 1) > ${end.name})`, `\t${ret}`]) }],
  };
}
