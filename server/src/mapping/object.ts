/**
 * One call to read everything the mapping layer needs from a BPF object: its ELF structure, its
 * programs and functions, and its BTF and BTF.ext when present.
 *
 * The ELF and the programs are required (a failure there throws {@link ObjectReadError}); BTF and
 * BTF.ext are optional extras, so a missing or malformed one becomes `null` plus a warning.
 */
import { readBtfExt, BtfExt } from './btf-ext';
import { readBtf, Btf } from './btf';
import { readElf, ElfFile, SHT_NOBITS, STB_LOCAL } from './elf';
import { programsOf, BpfProgram } from './programs';
import { ObjectReadError, guarded } from './read-error';

export interface BpfObject {
  elf: ElfFile;
  programs: BpfProgram[];
  readonly btf: Btf | null;
  readonly btfExt: BtfExt | null;
  readonly warnings: string[];
}

/** A warning line for an error that was downgraded: `file: <what was skipped>: <why> (at byte N)`. */
function skipped(file: string, part: string, e: ObjectReadError): string {
  return `${file}: ${part}: ${e.what}${e.offset !== null ? ` (at byte ${e.offset})` : ''}`;
}

export function readObject(bytes: Uint8Array, file: string): BpfObject {
  return guarded(file, () => {
    const elf = readElf(bytes, file);
    const programs = programsOf(elf);
    const warnings: string[] = [];
    for (const p of programs) {
      if (!p.isSubprog && p.bind === STB_LOCAL) warnings.push(`${file}: program ${p.name} in ${p.section} is static; libbpf 1.x refuses to load static programs`);
      if (p.bind === -1) warnings.push(`${file}: section ${p.section} has code but no function symbol; it is shown as one program named after the section, which libbpf would not load`);
    }
    // BTF and BTF.ext are read on first use: mapping through DWARF never needs them, and on
    // objects with a thousand programs they cost as much as the ELF itself.
    let types: { btf: Btf | null; btfExt: BtfExt | null; warnings: string[] } | null = null;
    const typesOf = () => (types ??= guarded(file, () => readTypes(elf, file)));
    return {
      elf,
      programs,
      get btf() { return typesOf().btf; },
      get btfExt() { return typesOf().btfExt; },
      get warnings() { return [...warnings, ...typesOf().warnings]; },
    };
  });
}

function readTypes(elf: ElfFile, file: string): { btf: Btf | null; btfExt: BtfExt | null; warnings: string[] } {
  const warnings: string[] = [];
  let btf: Btf | null = null;
  let btfExt: BtfExt | null = null;

  const btfSec = elf.section('.BTF');
  if (!btfSec) warnings.push(`${file}: no .BTF section (compile with -g): no type names, source lines or function info`);
  else if (btfSec.type === SHT_NOBITS) warnings.push(`${file}: .BTF has no bytes in the file`);
  else {
    try {
      btf = readBtf(btfSec.data(), file, { fileOffset: btfSec.offset });
    } catch (e) {
      if (!(e instanceof ObjectReadError)) throw e;
      warnings.push(skipped(file, '.BTF ignored', e));
    }
  }

  const extSec = elf.section('.BTF.ext');
  if (extSec && btf) {
    if (extSec.type === SHT_NOBITS) warnings.push(`${file}: .BTF.ext has no bytes in the file`);
    else {
      try {
        btfExt = readBtfExt(extSec.data(), btf, file, { fileOffset: extSec.offset });
        for (const w of btfExt.warnings) warnings.push(w);
        const known = new Set(elf.sections.map((s) => s.name));
        const missing = new Set([...btfExt.funcInfo, ...btfExt.lineInfo].map((r) => r.section).filter((s) => !known.has(s)));
        for (const s of missing) warnings.push(`${file}: .BTF.ext has records for section ${s}, which the object does not have`);
      } catch (e) {
        if (!(e instanceof ObjectReadError)) throw e;
        warnings.push(skipped(file, '.BTF.ext ignored', e));
      }
    }
  } else if (extSec && !btf) {
    warnings.push(`${file}: .BTF.ext ignored because .BTF could not be read`);
  }
  return { btf, btfExt, warnings };
}
