/** What a quick-fix generator gets, and the lookup most of them start with. */
import type { InsnSource, ProgramSourceMap } from '../../mapping/source-map';
import type { DiagnosedError } from '../diagnosis';

export interface FixContext {
  error: DiagnosedError;
  map: ProgramSourceMap;
  /** DWARF file name → path on disk. */
  resolve(dwarfPath: string): string;
  /** Source text of a file, or null when it cannot be read. */
  read(file: string): string | null;
  /** ELF section of the program (its type: `xdp`, `tc`, `cgroup_skb/ingress`…). */
  section: string;
}

export interface FailingSource {
  src: InsnSource;
  /** The C file on disk and its lines. */
  file: string;
  lines: string[];
  /** 0-based line of the failing instruction. */
  at: number;
}

/** The failing instruction's C line with the file's text, or null when any of it is unknown. */
export function failingSource(ctx: FixContext): FailingSource | null {
  if (ctx.error.insn === null) return null;
  const src = ctx.map.at(ctx.error.insn);
  if (!src?.location) return null;
  const file = ctx.resolve(src.location.file);
  const lines = ctx.read(file)?.split('\n');
  if (!lines) return null;
  return { src, file, lines, at: src.location.line - 1 };
}

export interface ReturnStatement {
  file: string;
  /** The file as DWARF names it (for lookups in the source map). */
  dwarfFile: string;
  lines: string[];
  /** 0-based line of the `return …;`, the returned expression and the column it starts at. */
  line: number;
  expr: string;
  column: number;
}

/**
 * The `return …;` statement a failing exit returns. The value is computed before the exit, so the
 * statement is on the line of the last step that wrote R0 (the exit itself is often attributed to
 * the function's closing line); the exit's own line is the last resort.
 */
export function returnStatement(ctx: FixContext): ReturnStatement | null {
  const { error, map } = ctx;
  if (error.insn === null) return null;
  const steps = error.causalPath.filter((s) => s.kind !== 'fail').reverse();
  for (const st of [...steps, { insn: error.insn }]) {
    const loc = map.at(st.insn)?.location;
    if (!loc) continue;
    const file = ctx.resolve(loc.file);
    const lines = ctx.read(file)?.split('\n');
    const m = lines ? /\breturn\s+(.+?);/.exec(lines[loc.line - 1] ?? '') : null;
    if (!lines || !m) continue;
    // The expression ends right before the `;` (searching for its text could land inside `return`).
    return { file, dwarfFile: loc.file, lines, line: loc.line - 1, expr: m[1], column: m.index + m[0].length - 1 - m[1].length };
  }
  return null;
}
