/**
 * Lookups over a {@link DwarfInfo} by (section, byte offset): the source line of an instruction,
 * its chain of inlined calls, and the variables live there. Built once per object; every lookup
 * is a binary search plus a walk down the (shallow) scope tree.
 */
import type { DwarfFunction, DwarfInfo, DwarfInlined, DwarfScope, LineRow, LineSequence, VarLocationKind } from './dwarf';

/**
 * A method of the sequences dwarf.ts builds, whose rows are only built when first read: the row
 * count and the first and last row offsets. The index needs only these up front.
 */
export const sequenceSpan: unique symbol = Symbol('bpflens.sequenceSpan');

interface SpanSource {
  [sequenceSpan]?: () => { count: number; lo: number; hi: number };
}

function spanOf(seq: LineSequence): { count: number; lo: number; hi: number } {
  const own = (seq as LineSequence & SpanSource)[sequenceSpan];
  if (own) return own.call(seq);
  const rows = seq.rows;
  return { count: rows.length, lo: rows[0]?.offset ?? 0, hi: rows[rows.length - 1]?.offset ?? 0 };
}

/** One frame of an inline chain. */
export interface InlineFrame {
  /** Function name (the inlined subroutine's, or the concrete function's for the last frame). */
  function: string;
  /**
   * Where this frame is executing: for the innermost frame the line-table row of the instruction,
   * for outer frames the call site of the frame inside them. Line and column are null when the
   * row has line 0 (compiler-generated code) or the DWARF gives no call site.
   */
  file: string | null;
  line: number | null;
  column: number | null;
  /** False only for the last (outermost, concrete) frame. */
  inlined: boolean;
}

/** A variable with a location at the instruction. */
export interface LiveVar {
  name: string;
  type: string | null;
  param: boolean;
  kind: VarLocationKind;
  reg: number | null;
  offset: number | null;
  /** The decoded DWARF operations. */
  text: string;
  /** Name of the function or inlined subroutine the variable belongs to. */
  scope: string;
}

interface SeqEntry {
  lo: number;
  hi: number;
  /** Its rows are read (and, for a lazy sequence, built) on the first lookup that lands in it. */
  seq: LineSequence;
}

interface FuncEntry {
  lo: number;
  hi: number;
  fn: DwarfFunction;
}

/** Index of the last element whose `lo` <= `off`, or -1 (`items` sorted by `lo`). */
function lastAtOrBefore<T extends { lo: number }>(items: T[], off: number): number {
  let a = 0;
  let b = items.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (items[m]!.lo <= off) a = m + 1;
    else b = m;
  }
  return a - 1;
}

/** Index of the last row whose offset <= `off` (rows in address order), or -1. */
function lastRowAtOrBefore(rows: LineRow[], off: number): number {
  let a = 0;
  let b = rows.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (rows[m]!.offset <= off) a = m + 1;
    else b = m;
  }
  return a - 1;
}

function inRanges(ranges: [number, number, number][], section: number, off: number): boolean {
  for (const [s, lo, hi] of ranges) if (s === section && lo <= off && off < hi) return true;
  return false;
}

export class DwarfIndex {
  private readonly seqs = new Map<number, SeqEntry[]>();
  private readonly funcs = new Map<number, FuncEntry[]>();

  constructor(readonly info: DwarfInfo) {
    for (const seq of info.lines) {
      const span = spanOf(seq);
      if (span.count < 2) continue;
      const entry = { lo: span.lo, hi: span.hi, seq };
      const list = this.seqs.get(seq.section);
      if (list) list.push(entry);
      else this.seqs.set(seq.section, [entry]);
    }
    for (const list of this.seqs.values()) list.sort((x, y) => x.lo - y.lo);
    for (const fn of info.functions) {
      for (const [s, lo, hi] of fn.ranges) {
        const list = this.funcs.get(s);
        const entry = { lo, hi, fn };
        if (list) list.push(entry);
        else this.funcs.set(s, [entry]);
      }
    }
    for (const list of this.funcs.values()) list.sort((x, y) => x.lo - y.lo);
  }

  /** The sequence covering (section, off) and the index of the row in effect there. */
  private locate(section: number, off: number): { rows: LineRow[]; index: number } | null {
    const list = this.seqs.get(section);
    if (!list) return null;
    // Sequences of one section do not overlap in valid DWARF; look back a little in case they do.
    for (let i = lastAtOrBefore(list, off), n = 0; i >= 0 && n < 8; i--, n++) {
      const seq = list[i]!;
      if (off >= seq.lo && off < seq.hi) {
        // The end_sequence row's offset is seq.hi, so it is never the answer here.
        const rows = seq.seq.rows;
        return { rows, index: lastRowAtOrBefore(rows, off) };
      }
    }
    return null;
  }

  /** The line-table row in effect at (section, off), exactly as the table says (line may be 0). */
  rowAt(section: number, byteOffset: number): LineRow | null {
    const at = this.locate(section, byteOffset);
    return at && at.index >= 0 ? at.rows[at.index]! : null;
  }

  /**
   * The source line of the instruction at (section, byteOffset). A line-0 row (compiler-generated
   * code) gives the previous row of the sequence with a real line, as `llvm-objdump -l` shows it;
   * null when there is none, or no line table covers the offset.
   */
  lineAt(section: number, byteOffset: number): LineRow | null {
    const at = this.locate(section, byteOffset);
    if (!at) return null;
    for (let i = at.index; i >= 0; i--) {
      const row = at.rows[i]!;
      if (row.line !== 0) return row;
    }
    return null;
  }

  /** Line, inline chain and variables of one instruction, sharing the lookups they have in common. */
  describe(section: number, byteOffset: number): { line: LineRow | null; chain: InlineFrame[]; vars: LiveVar[] } {
    const at = this.locate(section, byteOffset);
    const row = at && at.index >= 0 ? at.rows[at.index]! : null;
    let line: LineRow | null = null;
    if (at) {
      for (let i = at.index; i >= 0 && !line; i--) if (at.rows[i]!.line !== 0) line = at.rows[i]!;
    }
    const scopes = this.scopesAt(section, byteOffset);
    return { line, chain: this.inlineChainAt(section, byteOffset, scopes, row), vars: this.varsAt(section, byteOffset, scopes) };
  }

  /** The concrete function whose ranges contain (section, byteOffset). */
  functionAt(section: number, byteOffset: number): DwarfFunction | null {
    const list = this.funcs.get(section);
    if (!list) return null;
    for (let i = lastAtOrBefore(list, byteOffset), n = 0; i >= 0 && n < 8; i--, n++) {
      const e = list[i]!;
      if (byteOffset >= e.lo && byteOffset < e.hi) return e.fn;
    }
    return null;
  }

  /** The scopes containing (section, byteOffset): the function first, then each inlined level. */
  scopesAt(section: number, byteOffset: number): DwarfScope[] {
    const fn = this.functionAt(section, byteOffset);
    if (!fn) return [];
    const chain: DwarfScope[] = [fn];
    let scope: DwarfScope = fn;
    for (;;) {
      const inner: DwarfInlined | undefined = scope.inlined.find((s) => inRanges(s.ranges, section, byteOffset));
      if (!inner) break;
      chain.push(inner);
      scope = inner;
    }
    return chain;
  }

  /**
   * The inline chain at (section, byteOffset), innermost first: frame 0 is the innermost inlined
   * subroutine at the line-table row of the instruction; each next frame is the scope that inlined
   * the previous one, at its call site; the last frame is the concrete function. Empty when no
   * function covers the offset.
   */
  inlineChainAt(section: number, byteOffset: number, scopes = this.scopesAt(section, byteOffset), row = this.rowAt(section, byteOffset)): InlineFrame[] {
    if (scopes.length === 0) return [];
    const frames: InlineFrame[] = [];
    for (let i = scopes.length - 1; i >= 0; i--) {
      const scope = scopes[i]!;
      const inlined = i > 0;
      if (i === scopes.length - 1) {
        const real = row !== null && row.line !== 0;
        frames.push({
          function: scope.name,
          file: row && row.file !== '' ? row.file : null,
          line: real ? row.line : null,
          column: real && row.column !== 0 ? row.column : null,
          inlined,
        });
      } else {
        const callee = scopes[i + 1] as DwarfInlined;
        frames.push({
          function: scope.name,
          file: callee.callFile,
          line: callee.callLine,
          column: callee.callColumn,
          inlined,
        });
      }
    }
    return frames;
  }

  /** Variables with a location at (section, byteOffset), innermost scope first. */
  varsAt(section: number, byteOffset: number, scopes = this.scopesAt(section, byteOffset)): LiveVar[] {
    const out: LiveVar[] = [];
    for (let i = scopes.length - 1; i >= 0; i--) {
      const scope = scopes[i]!;
      for (const v of scope.vars) {
        for (const loc of v.locations) {
          if (loc.section === section && loc.lo <= byteOffset && byteOffset < loc.hi) {
            out.push({
              name: v.name,
              type: v.type,
              param: v.param,
              kind: loc.kind,
              reg: loc.reg,
              offset: loc.offset,
              text: loc.text,
              scope: scope.name,
            });
            break;
          }
        }
      }
    }
    return out;
  }
}
