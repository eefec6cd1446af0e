/**
 * ELF64 reader for BPF objects (`clang -target bpf`), little- or big-endian.
 *
 * A zero-copy view: `readElf` validates the header, the section table, the section name table
 * and the symbol table up front, so that every `ElfSection.data()` is a `subarray` that is known
 * to be inside the file. Relocations are decoded on demand. Every failure is an
 * {@link ObjectReadError} naming the file, the byte offset and what was expected.
 */
import { ByteView, ObjectReadError, StringTable, guarded } from './read-error';

export const EM_BPF = 247;

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_SYMTAB_SHNDX = 18;

export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;

export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;

export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;

export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

/** BPF relocation types (`R_BPF_*`). */
export const R_BPF_NONE = 0;
export const R_BPF_64_64 = 1;
export const R_BPF_64_ABS64 = 2;
export const R_BPF_64_ABS32 = 3;
export const R_BPF_64_NODYLD32 = 4;
export const R_BPF_64_32 = 10;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  /** `sh_flags`; exact for every flag bit below 2^53. */
  flags: number;
  /** File offset of the section's bytes. */
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
  /** The section's bytes: a `subarray` view of the file (empty for SHT_NOBITS, e.g. `.bss`). */
  data(): Uint8Array;
}

export interface ElfSymbol {
  /** Index in `.symtab` (0 is the null symbol), the number relocations refer to. */
  index: number;
  /** Name from the string table; '' for section symbols (use `sections[shndx].name`). */
  name: string;
  value: number;
  size: number;
  /** STT_* */
  type: number;
  /** STB_* */
  bind: number;
  /** Section index, or SHN_UNDEF / SHN_ABS / SHN_COMMON (extended indexes are resolved). */
  shndx: number;
}

export interface ElfRelocation {
  /** Byte offset in the target section. */
  offset: number;
  /** Index into `ElfFile.symbols`. */
  symbol: number;
  /** R_BPF_* */
  type: number;
  /** Explicit addend for RELA; null for REL (the addend is the value stored at `offset`). */
  addend: number | null;
}

export interface ElfFile {
  file: string;
  littleEndian: boolean;
  machine: number;
  /** `e_type` (1 = ET_REL for every clang-built BPF object). */
  elfType: number;
  sections: ElfSection[];
  symbols: ElfSymbol[];
  /** The first section with that name. */
  section(name: string): ElfSection | undefined;
  /** The relocations that apply to `target`, from every SHT_REL/SHT_RELA section whose `sh_info` is its index. */
  relocations(target: ElfSection): ElfRelocation[];
}

const MACHINES: Record<number, string> = {
  2: 'SPARC',
  3: 'x86',
  8: 'MIPS',
  20: 'PowerPC',
  21: 'PowerPC64',
  22: 'S390',
  40: 'ARM',
  43: 'SPARC V9',
  62: 'x86-64',
  183: 'AArch64',
  243: 'RISC-V',
  258: 'LoongArch',
};

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;
const RELA_SIZE = 24;

export function readElf(bytes: Uint8Array, file: string): ElfFile {
  return guarded(file, () => parseElf(bytes, file));
}

function parseElf(bytes: Uint8Array, file: string): ElfFile {
  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    const got = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new ObjectReadError(
      file,
      0,
      bytes.length === 0 ? 'not an ELF file (empty)' : `not an ELF file: magic ${got || '(none)'}, expected 7f 45 4c 46`,
    );
  }
  if (bytes.length < 6) throw new ObjectReadError(file, bytes.length, `truncated ELF header: ${EHDR_SIZE} bytes expected, ${bytes.length} present`);
  const cls = bytes[4];
  if (cls !== 2) {
    throw new ObjectReadError(file, 4, `not a 64-bit ELF (EI_CLASS ${cls}${cls === 1 ? ', 32-bit' : ''}); BPF objects are ELFCLASS64`);
  }
  const data = bytes[5];
  if (data !== 1 && data !== 2) throw new ObjectReadError(file, 5, `unknown ELF byte order (EI_DATA ${data}), expected 1 (little) or 2 (big endian)`);
  const littleEndian = data === 1;
  if (bytes.length < EHDR_SIZE) {
    throw new ObjectReadError(file, bytes.length, `truncated ELF header: ${EHDR_SIZE} bytes expected, ${bytes.length} present`);
  }
  const v = new ByteView(bytes, file, littleEndian, 0, 'ELF file');
  const elfType = v.u16(16, 'e_type');
  const machine = v.u16(18, 'e_machine');
  if (machine !== EM_BPF) {
    const name = MACHINES[machine];
    throw new ObjectReadError(file, 18, `not a BPF object (machine ${machine}${name ? `, ${name}` : ''}; expected ${EM_BPF}, EM_BPF)`);
  }
  const shoff = v.u64n(40, 'e_shoff');
  const shentsize = v.u16(58, 'e_shentsize');
  let shnum = v.u16(60, 'e_shnum');
  let shstrndx = v.u16(62, 'e_shstrndx');

  // Section header table (with the extended numbering of section 0 when e_shnum/e_shstrndx overflow).
  if (shoff !== 0 && shentsize !== SHDR_SIZE) v.fail(58, `e_shentsize is ${shentsize}, expected ${SHDR_SIZE}`);
  if (shoff !== 0 && (shnum === 0 || shstrndx === SHN_XINDEX)) {
    v.need(shoff, SHDR_SIZE, 'section header 0');
    if (shnum === 0) shnum = v.u64n(shoff + 32, 'section 0 sh_size (extended section count)');
    if (shstrndx === SHN_XINDEX) shstrndx = v.u32(shoff + 40, 'section 0 sh_link (extended e_shstrndx)');
  }
  if (shoff === 0) shnum = 0;
  if (shnum > 0) {
    if (shnum > Math.floor((bytes.length - Math.min(shoff, bytes.length)) / SHDR_SIZE)) {
      v.fail(
        shoff <= bytes.length ? shoff : 40,
        `truncated section header table: ${shnum} headers of ${SHDR_SIZE} bytes at offset ${shoff}, file has ${bytes.length} bytes`,
      );
    }
  }

  interface RawSection {
    nameOff: number;
    type: number;
    flags: number;
    offset: number;
    size: number;
    link: number;
    info: number;
    entsize: number;
    hdr: number;
  }
  const raw: RawSection[] = [];
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * SHDR_SIZE;
    const flagsBig = v.u64(h + 8, `section ${i} sh_flags`);
    raw.push({
      nameOff: v.u32(h, `section ${i} sh_name`),
      type: v.u32(h + 4, `section ${i} sh_type`),
      flags: Number(flagsBig >> 32n) * 2 ** 32 + Number(flagsBig & 0xffffffffn),
      offset: v.u64n(h + 24, `section ${i} sh_offset`),
      size: v.u64n(h + 32, `section ${i} sh_size`),
      link: v.u32(h + 40, `section ${i} sh_link`),
      info: v.u32(h + 44, `section ${i} sh_info`),
      entsize: v.u64n(h + 56, `section ${i} sh_entsize`),
      hdr: h,
    });
  }
  for (let i = 0; i < raw.length; i++) {
    const s = raw[i];
    if (s.type === SHT_NOBITS || s.type === SHT_NULL || s.size === 0) continue;
    if (s.offset > bytes.length || s.size > bytes.length - s.offset) {
      v.fail(s.hdr + 24, `section ${i} [${s.offset}, ${s.offset + s.size}) is outside the file (${bytes.length} bytes)`);
    }
  }

  // Section names.
  let shstr: StringTable | null = null;
  if (raw.length > 0 && shstrndx !== SHN_UNDEF) {
    if (shstrndx >= raw.length) v.fail(62, `e_shstrndx ${shstrndx} is not a section (there are ${raw.length})`);
    const s = raw[shstrndx];
    if (s.type === SHT_NOBITS) v.fail(s.hdr + 4, `section name table (section ${shstrndx}) has no bytes in the file`);
    shstr = new StringTable(v.sub(s.offset, s.size, `section name table (section ${shstrndx})`, 'section name table'));
  }
  const sections: ElfSection[] = raw.map((s, index) => {
    const name = shstr ? shstr.get(s.nameOff, `name of section ${index}`) : '';
    const view = s.type === SHT_NOBITS || s.size === 0 ? new Uint8Array(0) : bytes.subarray(s.offset, s.offset + s.size);
    return {
      index,
      name,
      type: s.type,
      flags: s.flags,
      offset: s.offset,
      size: s.size,
      link: s.link,
      info: s.info,
      entsize: s.entsize,
      data: () => view,
    };
  });

  const sectionView = (s: ElfSection, label: string): ByteView =>
    s.type === SHT_NOBITS || s.size === 0
      ? new ByteView(new Uint8Array(0), file, littleEndian, s.offset, label)
      : new ByteView(s.data(), file, littleEndian, s.offset, label);

  // Symbols (the first SHT_SYMTAB).
  const symbols: ElfSymbol[] = [];
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  if (symtab) {
    const hdr = raw[symtab.index].hdr;
    if (symtab.entsize !== SYM_SIZE && symtab.entsize !== 0) v.fail(hdr + 56, `symbol table entry size is ${symtab.entsize}, expected ${SYM_SIZE}`);
    if (symtab.size % SYM_SIZE !== 0) v.fail(hdr + 32, `symbol table size ${symtab.size} is not a multiple of ${SYM_SIZE}`);
    if (symtab.link === 0 || symtab.link >= sections.length) {
      v.fail(hdr + 40, `symbol table sh_link ${symtab.link} is not a string table section (there are ${sections.length} sections)`);
    }
    const strSec = sections[symtab.link];
    const strtab = new StringTable(sectionView(strSec, `string table ${strSec.name}`));
    const sv = sectionView(symtab, `symbol table ${symtab.name}`);
    const xindex = sections.find((s) => s.type === SHT_SYMTAB_SHNDX && s.link === symtab.index);
    const xv = xindex ? sectionView(xindex, 'extended section index table') : null;
    const count = symtab.size / SYM_SIZE;
    for (let i = 0; i < count; i++) {
      const o = i * SYM_SIZE;
      const info = sv.u8(o + 4, `symbol ${i} st_info`);
      let shndx = sv.u16(o + 6, `symbol ${i} st_shndx`);
      if (shndx === SHN_XINDEX) {
        if (!xv) throw sv.error(o + 6, `symbol ${i} has an extended section index but there is no SHT_SYMTAB_SHNDX table`);
        shndx = xv.u32(i * 4, `extended section index of symbol ${i}`);
      }
      const nameOff = sv.u32(o, `symbol ${i} st_name`);
      symbols.push({
        index: i,
        name: nameOff === 0 ? '' : strtab.get(nameOff, `name of symbol ${i}`),
        value: Number(sv.u64(o + 8, `symbol ${i} st_value`)),
        size: Number(sv.u64(o + 16, `symbol ${i} st_size`)),
        type: info & 0xf,
        bind: info >> 4,
        shndx,
      });
    }
  }

  const byName = new Map<string, ElfSection>();
  for (const s of sections) if (!byName.has(s.name)) byName.set(s.name, s);

  const relocCache = new Map<number, ElfRelocation[]>();
  // Relocation sections by the section they apply to: objects with a thousand programs have a
  // thousand .rel sections, and scanning them all per program is quadratic.
  let relByTarget: Map<number, ElfSection[]> | null = null;
  const relSectionsOf = (index: number): ElfSection[] => {
    if (!relByTarget) {
      relByTarget = new Map();
      for (const rs of sections) {
        if (rs.type !== SHT_REL && rs.type !== SHT_RELA) continue;
        const list = relByTarget.get(rs.info);
        if (list) list.push(rs);
        else relByTarget.set(rs.info, [rs]);
      }
    }
    return relByTarget.get(index) ?? [];
  };
  const relocations = (target: ElfSection): ElfRelocation[] =>
    guarded(file, () => {
      const cached = relocCache.get(target.index);
      if (cached) return cached;
      const out: ElfRelocation[] = [];
      for (const rs of relSectionsOf(target.index)) {
        const hdr = raw[rs.index].hdr;
        const rela = rs.type === SHT_RELA;
        const esize = rela ? RELA_SIZE : REL_SIZE;
        if (rs.entsize !== esize && rs.entsize !== 0) v.fail(hdr + 56, `relocation section ${rs.name} entry size is ${rs.entsize}, expected ${esize}`);
        if (rs.size % esize !== 0) v.fail(hdr + 32, `relocation section ${rs.name} size ${rs.size} is not a multiple of ${esize}`);
        const rv = sectionView(rs, `relocation section ${rs.name}`);
        const n = rs.size / esize;
        for (let i = 0; i < n; i++) {
          const o = i * esize;
          const offset = rv.u64n(o, `relocation ${i} of ${rs.name} r_offset`);
          const symbol = rv.u32(o + (littleEndian ? 12 : 8), `relocation ${i} of ${rs.name} symbol`);
          const type = rv.u32(o + (littleEndian ? 8 : 12), `relocation ${i} of ${rs.name} type`);
          if (symbol >= symbols.length) {
            rv.fail(o + 8, `relocation ${i} of ${rs.name} refers to symbol ${symbol}, but there are ${symbols.length} symbols`);
          }
          const addend = rela ? Number(rv.i64(o + 16, `relocation ${i} of ${rs.name} r_addend`)) : null;
          out.push({ offset, symbol, type, addend });
        }
      }
      relocCache.set(target.index, out);
      return out;
    });

  return {
    file,
    littleEndian,
    machine,
    elfType,
    sections,
    symbols,
    section: (name) => byName.get(name),
    relocations,
  };
}
