/**
 * Verifier instruction index → C, for one matched program: the DWARF line (BTF.ext line info
 * when there is no DWARF), the inline call chain, and the variables in registers and on the stack.
 * And the reverse: a C line → the instruction indices it compiled to.
 */
import * as path from 'path';
import type { InlineFrame, LiveVar } from './dwarf';
import type { MappedObject } from './mapped-object';
import type { ProgramMatch } from './match';

export interface CLocation {
  file: string;
  line: number;
  column: number | null;
}

export interface InsnSource {
  insn: number;
  function: string;
  section: string;
  /** Byte offset in the section. */
  offset: number;
  /** Where the instruction's code is, from the line table; null for compiler-generated code. */
  location: CLocation | null;
  /** Innermost first: the inlined helper, then each caller up to the program. */
  inlineChain: InlineFrame[];
  vars: LiveVar[];
  /** `dwarf` or `btf` (BTF.ext line info: line and column, no inline chain or variables). */
  via: 'dwarf' | 'btf';
}

/** BTF.ext line records of an object by `section:offset`, built once and only when DWARF is missing. */
const btfLineIndex = new WeakMap<MappedObject, Map<string, CLocation>>();

function btfLinesOf(o: MappedObject): Map<string, CLocation> {
  let m = btfLineIndex.get(o);
  if (!m) {
    m = new Map();
    for (const li of o.object.btfExt?.lineInfo ?? []) {
      if (li.line > 0) m.set(`${li.section}:${li.insnOffset}`, { file: li.file, line: li.line, column: li.column || null });
    }
    btfLineIndex.set(o, m);
  }
  return m;
}

export class ProgramSourceMap {
  constructor(readonly match: ProgramMatch) {}

  get program(): string {
    return this.match.program;
  }

  at(insn: number): InsnSource | null {
    const slot = this.match.layout[insn];
    if (!slot) return null;
    const index = this.match.object.index;
    if (index) {
      const { line: row, chain, vars } = index.describe(slot.sectionIndex, slot.offset);
      return {
        insn, function: slot.function, section: slot.section, offset: slot.offset,
        location: row && row.line > 0 ? { file: row.file, line: row.line, column: row.column || null } : null,
        inlineChain: chain,
        vars,
        via: 'dwarf',
      };
    }
    // BTF.ext records a line only where it changes: the nearest record at or before the offset.
    const lines = btfLinesOf(this.match.object);
    let location: CLocation | null = null;
    for (let off = slot.offset; off >= 0 && !location; off -= 8) location = lines.get(`${slot.section}:${off}`) ?? null;
    return { insn, function: slot.function, section: slot.section, offset: slot.offset, location, inlineChain: [], vars: [], via: 'btf' };
  }

  /** Only the C line of an instruction: what `at` gives as `location`, without chain and variables. */
  locationOf(insn: number): CLocation | null {
    const slot = this.match.layout[insn];
    const index = this.match.object.index;
    if (!slot || !index) return this.at(insn)?.location ?? null;
    const row = index.lineAt(slot.sectionIndex, slot.offset);
    return row && row.line > 0 ? { file: row.file, line: row.line, column: row.column || null } : null;
  }

  /** Instruction indices whose line-table line is `line` of a file with this path or basename. */
  insnsAt(file: string, line: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.match.layout.length; i++) {
      const loc = this.locationOf(i);
      if (loc && loc.line === line && sameFile(loc.file, file)) out.push(i);
    }
    return out;
  }

  /**
   * The variables a register holds at an instruction (several C names often share a register:
   * `data` and `eth`), then those computed from it (`ip = R1+14`), innermost scope first.
   */
  variablesIn(insn: number, reg: number): LiveVar[] {
    const vars = this.at(insn)?.vars ?? [];
    return [
      ...vars.filter((v) => v.kind === 'reg' && v.reg === reg),
      ...vars.filter((v) => v.kind === 'val' && v.reg === reg),
    ];
  }

  /** The variable stored in the stack slot at fp-N (DWARF `mem` location based on R10). */
  variableAtStack(insn: number, fpOffset: number): LiveVar | null {
    const src = this.at(insn);
    return src?.vars.find((v) => v.kind === 'mem' && v.reg === 10 && v.offset !== null && v.offset <= -fpOffset && -fpOffset < v.offset + 8) ?? null;
  }
}

/**
 * Whether a DWARF file name (absolute, relative to the compile directory, or bare) names the
 * same file as `b`: equal, or one is a path suffix of the other.
 */
export function sameFile(a: string, b: string): boolean {
  const na = path.normalize(a).replace(/^\.\//, '');
  const nb = path.normalize(b).replace(/^\.\//, '');
  if (na === nb) return true;
  if (path.basename(na) !== path.basename(nb)) return false;
  return na.endsWith('/' + nb) || nb.endsWith('/' + na);
}
