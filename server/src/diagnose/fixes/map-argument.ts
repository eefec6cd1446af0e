/**
 * A map value passed where a helper wants the map: pass the map the value was looked up in.
 * (Where an old kernel wants a stack pointer for a map value, see the catalogue's hint.)
 */
import type { Fix } from '../diagnosis';
import { failingSource, type FixContext } from './context';

export function mapArgumentFix(ctx: FixContext): Fix | null {
  const { error } = ctx;
  if (error.insn === null || !/type=map_value expected=map_ptr/.test(error.message)) return null;
  const found = failingSource(ctx);
  if (!found) return null;
  const { file, lines, at } = found;
  const call = /\b(bpf_\w+)\s*\(\s*([A-Za-z_]\w*)\s*,/.exec(lines[at]);
  if (!call) return null;
  const arg = call[2];
  // Where `arg` got its value: `arg = bpf_map_lookup_elem(&the_map, …)`.
  const lookup = new RegExp(`\\b${arg}\\s*=\\s*bpf_map_lookup_elem\\s*\\(\\s*&\\s*([A-Za-z_]\\w*)`);
  for (let l = at - 1; l >= 0 && l > at - 60; l--) {
    const m = lookup.exec(lines[l]);
    if (!m) continue;
    const col = call.index + call[0].indexOf(arg, call[1].length);
    return {
      title: `${call[1]}() takes the map, not a value from it: pass &${m[1]} instead of ${arg}`,
      edits: [{ file, range: { start: { line: at, column: col }, end: { line: at, column: col + arg.length } }, newText: `&${m[1]}` }],
    };
  }
  return null;
}
