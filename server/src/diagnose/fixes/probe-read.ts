/** A plain number (kernel address) dereferenced: read the kernel memory with bpf_probe_read_kernel(). */
import type { Fix } from '../diagnosis';
import type { FixContext } from './index';
import { guardStatement } from './c-source';

export function probeReadFix(ctx: FixContext): Fix | null {
  const { error, map } = ctx;
  const reg = /\bR(\d+) invalid mem access '(?:scalar|inv)'/.exec(error.message);
  if (error.insn === null || !reg) return null;
  const src = map.at(error.insn);
  const v = map.variablesIn(error.insn, Number(reg[1])).find((x) => (x.type ?? '').endsWith('*'));
  if (!src?.location || !v?.type) return null;
  const file = ctx.resolve(src.location.file);
  const lines = ctx.read(file)?.split('\n');
  if (!lines) return null;
  const at = src.location.line - 1;
  const deref = new RegExp(`\\*\\s*${v.name}\\b`);
  const m = deref.exec(lines[at]);
  if (!m) return null;
  const pointee = v.type.replace(/\s*\*$/, '');
  const copy = `${v.name}_val`;
  const guard = guardStatement(lines, at, [
    `${pointee} ${copy};`,
    `bpf_probe_read_kernel(&${copy}, sizeof(${copy}), ${v.name});`,
  ]);
  const original = lines[at];
  const replaced = original.slice(0, m.index) + copy + original.slice(m.index + m[0].length);
  const inserted = guard.range.start.line === guard.range.end.line && guard.range.start.column === guard.range.end.column;
  // The statement itself now reads the copy.
  const edit = inserted
    ? { range: { start: { line: at, column: 0 }, end: { line: at, column: original.length } }, newText: guard.newText + replaced }
    : { range: guard.range, newText: guard.newText.replace(original, replaced) };
  return {
    title: `${v.name} points into the kernel: read it with bpf_probe_read_kernel(&${copy}, sizeof(${copy}), ${v.name}) and use ${copy}`,
    edits: [{ file, ...edit }],
  };
}
