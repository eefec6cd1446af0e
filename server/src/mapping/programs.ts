/**
 * BPF programs and functions of an object, and the instruction layout libbpf gives a program.
 *
 * Vocabulary (libbpf's): a *function* is an STT_FUNC symbol in an executable section. Functions in
 * `.text` are *subprograms* (bpf-to-bpf callees, static or global); functions in any other
 * executable section are *programs*, which libbpf loads one by one. When libbpf loads a program it
 * appends a copy of every `.text` subprogram the program reaches, so the verifier's instruction
 * index `i` is an index into that assembled layout, not into any one ELF section:
 * {@link libbpfLayout} rebuilds it.
 */
import { ElfFile, ElfRelocation, ElfSection, SHF_EXECINSTR, SHN_UNDEF, SHT_PROGBITS, STB_GLOBAL, STB_LOCAL, STT_FUNC, STT_SECTION } from './elf';
import { ByteView, ObjectReadError, guarded } from './read-error';

export interface BpfInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

export interface BpfCallRef {
  /** Instruction slot of the reference, relative to the function's start. */
  insn: number;
  /** Where the callee starts (`sectionIndex` tells apart sections that share a name). */
  target: { section: string; offset: number; sectionIndex: number };
}

export interface BpfProgram {
  name: string;
  section: string;
  sectionIndex: number;
  /** Byte offset of the function in its section. */
  offset: number;
  /** 8-byte instruction slots (a 16-byte `ld_imm64` counts 2). */
  insnCount: number;
  /** Lives in `.text`: a bpf-to-bpf callee, never loaded on its own by libbpf. */
  isSubprog: boolean;
  /** STT_FUNC binding (STB_LOCAL = static, STB_GLOBAL); -1 for a section without function symbols. */
  bind: number;
  /** One entry per 8-byte slot: `insns()[i]` is slot `i` (the second half of an `ld_imm64` is its own entry, code 0). */
  insns(): BpfInsn[];
  /** bpf-to-bpf calls (`call` with src_reg = 1, BPF_PSEUDO_CALL), resolved through relocations. Calls to extern kfuncs are not listed. */
  calls: BpfCallRef[];
  /**
   * Callback references (e.g. a bpf_loop callback): `ld_imm64` of a function's address, which clang
   * emits with src_reg 0 and a relocation against `.text`, and libbpf turns into src_reg = 4
   * (BPF_PSEUDO_FUNC) before it relocates calls. Resolved the same way as calls.
   */
  callbacks: BpfCallRef[];
}

export interface LayoutSlot {
  /** Verifier instruction index. */
  insn: number;
  /** Section the slot comes from. */
  section: string;
  sectionIndex: number;
  /** Byte offset of the slot in that section. */
  offset: number;
  /** Function (program or subprogram) the slot belongs to. */
  function: string;
}

export const BPF_PSEUDO_CALL = 1;
export const BPF_PSEUDO_FUNC = 4;
const CALL_OPCODE = 0x85; // BPF_JMP | BPF_CALL | BPF_K
const LD_IMM64_OPCODE = 0x18; // BPF_LD | BPF_IMM | BPF_DW

function decodeInsns(view: ByteView, count: number, littleEndian: boolean): BpfInsn[] {
  const out: BpfInsn[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = decodeInsn(view, i * 8, littleEndian);
  return out;
}

function decodeInsn(view: ByteView, o: number, littleEndian: boolean): BpfInsn {
  const regs = view.u8(o + 1, 'instruction registers');
  return {
    code: view.u8(o, 'instruction opcode'),
    dst: littleEndian ? regs & 0xf : regs >> 4,
    src: littleEndian ? regs >> 4 : regs & 0xf,
    off: view.i16(o + 2, 'instruction offset'),
    imm: view.i32(o + 4, 'instruction immediate'),
  };
}

/** libbpf's `insn_is_subprog_call`. */
export function isSubprogCall(insn: BpfInsn): boolean {
  return insn.code === CALL_OPCODE && insn.src === BPF_PSEUDO_CALL && insn.dst === 0 && insn.off === 0;
}

/** libbpf's `insn_is_pseudo_func`. */
export function isPseudoFunc(insn: BpfInsn): boolean {
  return insn.code === LD_IMM64_OPCODE && insn.src === BPF_PSEUDO_FUNC;
}

/** libbpf's `sym_is_subprog`: the section symbol of `.text`, or a global function in it. */
function isSubprogSymbol(elf: ElfFile, index: number): boolean {
  const sym = elf.symbols[index];
  if (!sym || sym.shndx >= elf.sections.length || elf.sections[sym.shndx].name !== '.text') return false;
  return (sym.bind === STB_LOCAL && sym.type === STT_SECTION) || (sym.bind === STB_GLOBAL && sym.type === STT_FUNC);
}

interface FuncRange {
  name: string;
  offset: number;
  size: number;
  bind: number;
}

/**
 * Every function of every executable section, in section order and then by offset. A section
 * with code but no STT_FUNC symbol gives one program named after the section.
 */
export function programsOf(elf: ElfFile): BpfProgram[] {
  return guarded(elf.file, () => collectPrograms(elf));
}

function collectPrograms(elf: ElfFile): BpfProgram[] {
  const out: BpfProgram[] = [];
  const funcsBySection = new Map<number, FuncRange[]>();
  for (const sym of elf.symbols) {
    if (sym.type !== STT_FUNC || sym.shndx === SHN_UNDEF || sym.shndx >= elf.sections.length) continue;
    let list = funcsBySection.get(sym.shndx);
    if (!list) funcsBySection.set(sym.shndx, (list = []));
    list.push({ name: sym.name, offset: sym.value, size: sym.size, bind: sym.bind });
  }
  for (const sec of elf.sections) {
    if ((sec.flags & SHF_EXECINSTR) === 0 || sec.type !== SHT_PROGBITS || sec.size === 0) continue;
    const view = new ByteView(sec.data(), elf.file, elf.littleEndian, sec.offset, `section ${sec.name}`);
    if (sec.size % 8 !== 0) view.fail(null, `code section ${sec.name} is ${sec.size} bytes, not a whole number of 8-byte instructions`);
    const funcs = (funcsBySection.get(sec.index) ?? []).slice().sort((a, b) => a.offset - b.offset);
    const ranges: FuncRange[] =
      funcs.length > 0 ? funcs : [{ name: sec.name, offset: 0, size: sec.size, bind: -1 }];
    for (let k = 0; k < ranges.length; k++) {
      const f = ranges[k];
      let size = f.size;
      if (size === 0) {
        // No st_size: the function runs to the next function or the end of the section.
        const next = ranges.slice(k + 1).find((g) => g.offset > f.offset);
        size = (next ? next.offset : sec.size) - f.offset;
      }
      if (!Number.isSafeInteger(f.offset) || f.offset % 8 !== 0 || f.offset >= sec.size) {
        view.fail(null, `function ${f.name} starts at offset ${f.offset} of ${sec.name} (${sec.size} bytes), not at an instruction`);
      }
      if (!Number.isSafeInteger(size) || size % 8 !== 0 || size > sec.size - f.offset) {
        view.fail(f.offset, `function ${f.name} (${size} bytes at offset ${f.offset}) does not fit in whole instructions inside ${sec.name} (${sec.size} bytes)`);
      }
      out.push(makeProgram(elf, sec, view, f.name, f.offset, size / 8, f.bind));
    }
  }
  return out;
}

function makeProgram(elf: ElfFile, sec: ElfSection, view: ByteView, name: string, offset: number, insnCount: number, bind: number): BpfProgram {
  const fview = view.sub(offset, insnCount * 8, `function ${name}`);
  let cache: BpfInsn[] | null = null;
  const insns = (): BpfInsn[] => (cache ??= decodeInsns(fview, insnCount, elf.littleEndian));
  const relocs = new Map<number, ElfRelocation>();
  for (const r of elf.relocations(sec)) if (r.offset >= offset && r.offset < offset + insnCount * 8) relocs.set(r.offset, r);
  const calls: BpfCallRef[] = [];
  const callbacks: BpfCallRef[] = [];
  for (let i = 0; i < insnCount; i++) {
    // Only calls and ld_imm64 can reference a subprogram: decode just those (objects with a
    // thousand programs have tens of thousands of instructions).
    const code = fview.u8(i * 8, 'instruction opcode');
    if (code !== CALL_OPCODE && code !== LD_IMM64_OPCODE) continue;
    const insn = decodeInsn(fview, i * 8, elf.littleEndian);
    const call = isSubprogCall(insn);
    const rel = relocs.get(offset + i * 8);
    // libbpf marks an ld_imm64 relocated against a .text function (a static one through the
    // section symbol, a global one through its own) as BPF_PSEUDO_FUNC before it relocates calls.
    if (!call && !isPseudoFunc(insn) && !(insn.code === LD_IMM64_OPCODE && rel && isSubprogSymbol(elf, rel.symbol))) continue;
    let target: BpfCallRef['target'];
    if (rel) {
      const sym = elf.symbols[rel.symbol];
      if (sym.shndx === SHN_UNDEF) continue; // extern (a kfunc or an unresolved global): not bpf-to-bpf
      if (sym.shndx >= elf.sections.length) {
        fview.fail(i * 8, `call at instruction ${i} of ${name} is relocated against symbol ${sym.index}, whose section ${sym.shndx} does not exist`);
      }
      // libbpf: a call's target slot is sym_off / 8 + imm + 1; a pseudo-func's byte offset is sym_off + imm.
      const at = call ? sym.value + (insn.imm + 1) * 8 : sym.value + insn.imm;
      target = { section: elf.sections[sym.shndx].name, offset: at, sectionIndex: sym.shndx };
    } else {
      // No relocation: the target is in the same section, pc-relative.
      target = { section: sec.name, offset: offset + (i + insn.imm + 1) * 8, sectionIndex: sec.index };
    }
    (call ? calls : callbacks).push({ insn: i, target });
  }
  return {
    name,
    section: sec.name,
    sectionIndex: sec.index,
    offset,
    insnCount,
    isSubprog: sec.name === '.text',
    bind,
    insns,
    calls,
    callbacks,
  };
}

/**
 * The instruction layout of `program` as libbpf 1.x loads it (`bpf_object__relocate_calls` →
 * `bpf_object__reloc_code`): the program's own instructions, then each `.text` subprogram it
 * reaches, appended the first time a call or callback reference to it is met while scanning
 * instructions in order, and scanned at once (depth first) before the caller's scan resumes.
 * One entry per 8-byte slot; entry `i` is what the verifier calls instruction `i`.
 *
 * `program` is a program (function) name, or a section name when that section holds one program.
 */
export function libbpfLayout(elf: ElfFile, program: string, programs?: BpfProgram[]): LayoutSlot[] {
  return guarded(elf.file, () => layout(elf, program, programs ?? programsOf(elf)));
}

function layout(elf: ElfFile, program: string, progs: BpfProgram[]): LayoutSlot[] {
  let main = progs.find((p) => !p.isSubprog && p.name === program);
  if (!main) {
    const inSection = progs.filter((p) => !p.isSubprog && p.section === program);
    if (inSection.length === 1) main = inSection[0];
  }
  if (!main) {
    const sub = progs.find((p) => p.isSubprog && p.name === program);
    throw new ObjectReadError(
      elf.file,
      null,
      sub ? `${program} is a .text subprogram, which libbpf never loads on its own` : `no program named ${program}`,
    );
  }
  const subprogs = progs.filter((p) => p.isSubprog).sort((a, b) => a.offset - b.offset);
  const out: LayoutSlot[] = [];
  const appended = new Set<BpfProgram>();
  const append = (p: BpfProgram): void => {
    const start = out.length;
    for (let i = 0; i < p.insnCount; i++) out.push({ insn: start + i, section: p.section, sectionIndex: p.sectionIndex, offset: p.offset + i * 8, function: p.name });
  };
  const refsOf = (p: BpfProgram): BpfCallRef[] => [...p.calls, ...p.callbacks].sort((a, b) => a.insn - b.insn);
  const findSubprog = (from: BpfProgram, ref: BpfCallRef): BpfProgram => {
    const { section, offset, sectionIndex } = ref.target;
    const sub = section === '.text' ? subprogs.find((s) => s.sectionIndex === sectionIndex && offset >= s.offset && offset < s.offset + s.insnCount * 8) : undefined;
    if (!sub) {
      throw new ObjectReadError(
        elf.file,
        null,
        `instruction ${ref.insn} of ${from.name} refers to ${section}+${offset}, which is no .text subprogram (libbpf: "no .text section found yet sub-program call exists")`,
      );
    }
    return sub;
  };

  append(main);
  // Depth-first, as libbpf recurses into a subprogram as soon as it appends it.
  const stack: { prog: BpfProgram; refs: BpfCallRef[]; next: number }[] = [{ prog: main, refs: refsOf(main), next: 0 }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    if (frame.next >= frame.refs.length) {
      stack.pop();
      continue;
    }
    const ref = frame.refs[frame.next++];
    const sub = findSubprog(frame.prog, ref);
    if (appended.has(sub)) continue;
    appended.add(sub);
    append(sub);
    stack.push({ prog: sub, refs: refsOf(sub), next: 0 });
  }
  return out;
}
