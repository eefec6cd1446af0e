/** A plain number (kernel address) dereferenced: read the kernel memory with bpf_probe_read_kernel(). */
import type { Fix } from '../diagnosis';
import { failingSource, type FixContext } from './context';
import { rewriteStatement } from './c-source';

export function probeReadFix(ctx: FixContext): Fix | null {
  const { error, map } = ctx;
  const reg = /\bR(\d+) invalid mem access '(?:scalar|inv)'/.exec(error.message);
  const found = failingSource(ctx);
  if (!reg || !found) return null;
  const { file, lines, at } = found;
  const v = map.variablesIn(error.insn!, Number(reg[1])).find((x) => (x.type ?? '').endsWith('*'));
  if (!v?.type) return null;
  const deref = new RegExp(`\\*\\s*${v.name}\\b`);
  const m = deref.exec(lines[at]);
  if (!m) return null;
  const pointee = v.type.replace(/\s*\*$/, '');
  const copy = `${v.name}_val`;
  // The statement itself now reads the copy.
  const edit = rewriteStatement(lines, at, [
    `${pointee} ${copy};`,
    `bpf_probe_read_kernel(&${copy}, sizeof(${copy}), ${v.name});`,
  ], m.index, m.index + m[0].length, copy);
  return {
    title: `${v.name} points into the kernel: read it with bpf_probe_read_kernel(&${copy}, sizeof(${copy}), ${v.name}) and use ${copy}`,
    edits: [{ file, ...edit }],
  };
}
