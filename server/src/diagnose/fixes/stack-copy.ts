/**
 * A map value passed where the helper wants a stack pointer (`R2 type=map_value expected=fp`):
 * kernels before 4.18 take only stack memory for a map helper's key and value. Copy the value into
 * a stack local of its own type (from DWARF) and pass the local's address. Only arguments the
 * helper reads: a helper that writes into the memory would write into the copy.
 */
import type { Fix } from '../diagnosis';
import { callArguments, rewriteStatement } from './c-source';
import { failingSource, type FixContext } from './context';

/** Helper → the registers it reads memory from, and what each one is. */
const READ_ARGS: Record<string, Record<number, string>> = {
  bpf_map_lookup_elem: { 2: 'key' },
  bpf_map_update_elem: { 2: 'key', 3: 'value' },
  bpf_map_delete_elem: { 2: 'key' },
  bpf_map_push_elem: { 2: 'value' },
  bpf_perf_event_output: { 4: 'data' },
};

export function stackCopyFix(ctx: FixContext): Fix | null {
  const { error } = ctx;
  const reg = /\bR([1-5]) type=map_value expected=fp$/m.exec(error.message);
  const found = failingSource(ctx);
  if (!reg || !found) return null;
  const { file, lines, at } = found;
  const n = Number(reg[1]);
  const call = /\b(bpf_\w+)\s*\(/.exec(lines[at]);
  const what = call ? READ_ARGS[call[1]]?.[n] : undefined;
  const arg = what ? callArguments(lines[at], call!.index + call![0].length - 1)[n - 1] : undefined;
  if (!arg || !/^[A-Za-z_]\w*$/.test(arg.text)) return null;
  // By name: the argument register is often a copy of the one DWARF places the variable in.
  const v = found.src.vars.find((x) => x.name === arg.text && (x.type ?? '').endsWith('*'));
  if (!v?.type) return null;
  // The copy is a plain local: a pointer to const data still copies into writable stack.
  const type = v.type.replace(/\s*\*$/, '').replace(/^const\s+/, '');
  const copy = `${v.name}_copy`;
  return {
    title: `Kernels before 4.18 take only stack memory as ${call![1]}()'s ${what}: copy *${v.name} (${type}) to the stack and pass &${copy}`,
    edits: [{ file, ...rewriteStatement(lines, at, [`${type} ${copy} = *${v.name};`], arg.from, arg.to, `&${copy}`) }],
  };
}
