/** Uninitialised stack bytes passed on: zero the variable right after its declaration. */
import type { Fix } from '../diagnosis';
import { failingSource, type FixContext } from './context';
import { enclosingFunctionStart, indentOf, insertBefore, statementEnd } from './c-source';

export function stackInitFix(ctx: FixContext): Fix | null {
  const { error, map } = ctx;
  const off = /read from stack (?:R\d+ )?off (-\d+)/.exec(error.message) ?? /stack R\d+ off=(-\d+)/.exec(error.message);
  const found = failingSource(ctx);
  if (!off || !found) return null;
  const { src, file, lines, at } = found;
  // Stack variables are located relative to the frame base, which clang does not always put at
  // R10: when the offset does not identify one, the only aggregate on the stack is the one passed.
  const onStack = src.vars.filter((x) => x.kind === 'mem' && x.reg === 10);
  const aggregates = onStack.filter((x) => /^(?:struct|union) |\]$/.test(x.type ?? ''));
  const v = map.variableAtStack(src.insn, -Number(off[1])) ?? (aggregates.length === 1 ? aggregates[0] : null);
  if (!v) return null;
  const from = enclosingFunctionStart(lines, at);
  const decl = new RegExp(`\\b${v.name}\\s*(?:;|\\[)`);
  for (let i = from + 1; i < at; i++) {
    if (!decl.test(lines[i]) || /=/.test(lines[i].split(v.name)[0])) continue;
    const end = statementEnd(lines, i);
    return {
      title: `Zero ${v.name} (${v.type ?? 'stack variable'}) after its declaration: __builtin_memset(&${v.name}, 0, sizeof(${v.name}));`,
      edits: [{ file, ...insertBefore(end + 1, `${indentOf(lines[i])}__builtin_memset(&${v.name}, 0, sizeof(${v.name}));\n`) }],
    };
  }
  return null;
}
