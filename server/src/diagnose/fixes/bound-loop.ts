/**
 * A loop the verifier cannot see end: give it a counter it can bound (bounded loops load from
 * 5.3), at most as many iterations as the loop's own limit. Large trip counts belong in
 * bpf_loop() (5.17+), which the title says.
 */
import type { Fix } from '../diagnosis';
import type { FixContext } from './context';

export function boundLoopFix(ctx: FixContext): Fix | null {
  const { error, map } = ctx;
  const at = /infinite loop detected at insn (\d+)/.exec(error.message);
  const loc = at ? map.at(Number(at[1]))?.location : null;
  if (!loc) return null;
  const file = ctx.resolve(loc.file);
  const lines = ctx.read(file)?.split('\n');
  if (!lines) return null;
  for (let l = loc.line - 1; l >= 0 && l > loc.line - 40; l--) {
    const m = /^(\s*)while\s*\((.+)\)\s*(\{?)\s*$/.exec(lines[l]);
    if (!m) continue;
    const [, indent, cond, brace] = m;
    const v = /[A-Za-z_]\w*/.exec(cond)?.[0] ?? 'loop';
    const limit = /\b(\d+)\b/.exec(cond)?.[1] ?? '1024';
    const counter = `${v}_steps`;
    return {
      title: `Bound the loop: at most ${limit} iterations with ${counter} (the verifier cannot see ${v} advance on every path; for long loops use bpf_loop(), 5.17+)`,
      edits: [{
        file,
        range: { start: { line: l, column: 0 }, end: { line: l, column: lines[l].length } },
        newText: `${indent}for (__u32 ${counter} = 0; ${counter} < ${limit} && (${cond}); ${counter}++)${brace ? ' {' : ''}`,
      }],
    };
  }
  return null;
}
