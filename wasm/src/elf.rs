//! The ELF side: validate a BPF relocatable object, list its sections, and hand out the `.debug_*`
//! sections: a copy with the REL/RELA relocations applied for each section that has any, the
//! file's bytes as they are for the others (in clang's BPF objects, `.debug_loclists` and
//! `.debug_rnglists`, the largest, have none).
//!
//! BPF objects are relocatable (`ET_REL`) and every program section starts at address 0, so a
//! DWARF address alone cannot say which section it is in. While applying `R_BPF_64_ABS64`
//! relocations we therefore give each symbol in an allocated section the value
//! `(section index << 32) + st_value`: every relocated address then carries its section in the
//! high 32 bits, and gimli's range/location/line arithmetic keeps it there.
//!
//! object 0.30's generic relocation API does not know `R_BPF_64_ABS64`/`R_BPF_64_ABS32` (they
//! come back with size 0), so the relocations are decoded here with the low-level ELF API.

use object::elf;
use object::read::elf::{FileHeader, Rel, Rela, SectionHeader, SectionTable, Sym};
use object::{Endianness, SectionIndex};
use std::borrow::Cow;

/// `R_BPF_64_ABS64`: 64-bit absolute address (DWARF addresses).
const R_BPF_64_ABS64: u32 = 2;
/// `R_BPF_64_ABS32`: 32-bit absolute value (DWARF section offsets).
const R_BPF_64_ABS32: u32 = 3;

/// The DWARF sections the reader uses (gimli's `SectionId` names).
pub const DEBUG_SECTIONS: &[&str] = &[
    ".debug_abbrev",
    ".debug_addr",
    ".debug_aranges",
    ".debug_info",
    ".debug_line",
    ".debug_line_str",
    ".debug_str",
    ".debug_str_offsets",
    ".debug_types",
    ".debug_loc",
    ".debug_loclists",
    ".debug_ranges",
    ".debug_rnglists",
];

pub struct SectionInfo {
    pub index: usize,
    pub name: String,
    pub size: u64,
    pub alloc: bool,
    pub exec: bool,
}

pub struct Object<'d> {
    pub big_endian: bool,
    pub sections: Vec<SectionInfo>,
    /// The DWARF sections present, by name: relocated copies, or the file's bytes when no
    /// relocation section targets them.
    pub debug: Vec<(&'static str, Cow<'d, [u8]>)>,
    pub warnings: Vec<String>,
}

impl<'d> Object<'d> {
    pub fn debug_section(&self, name: &str) -> &[u8] {
        for (n, data) in &self.debug {
            if *n == name {
                return data;
            }
        }
        &[]
    }

    pub fn section_name(&self, index: u64) -> Option<&str> {
        self.sections.iter().find(|s| s.index as u64 == index).map(|s| s.name.as_str())
    }
}

fn machine_name(m: u16) -> &'static str {
    match m {
        elf::EM_386 => " (x86)",
        elf::EM_ARM => " (ARM)",
        elf::EM_X86_64 => " (x86-64)",
        elf::EM_AARCH64 => " (AArch64)",
        elf::EM_RISCV => " (RISC-V)",
        elf::EM_PPC64 => " (PowerPC64)",
        elf::EM_S390 => " (s390)",
        _ => "",
    }
}

pub fn parse(data: &[u8]) -> Result<Object<'_>, String> {
    if data.len() < 4 || data[0..4] != elf::ELFMAG {
        return Err(format!("not an ELF file ({} bytes, no ELF magic)", data.len()));
    }
    if data.len() < 64 {
        return Err(format!("truncated ELF header ({} bytes, need 64)", data.len()));
    }
    if data[4] == elf::ELFCLASS32 {
        return Err("32-bit ELF file: not a BPF object (BPF objects are ELF64, machine EM_BPF 247)".into());
    }
    let header = elf::FileHeader64::<Endianness>::parse(data)
        .map_err(|e| format!("bad ELF header: {}", e))?;
    let endian = header.endian().map_err(|e| format!("bad ELF header: {}", e))?;
    let machine = header.e_machine(endian);
    if machine != elf::EM_BPF {
        return Err(format!(
            "not a BPF object: ELF machine is {}{}, expected EM_BPF (247)",
            machine,
            machine_name(machine)
        ));
    }
    let table = header
        .sections(endian, data)
        .map_err(|e| format!("bad ELF section headers: {}", e))?;
    if table.is_empty() {
        return Err("ELF file has no section headers".into());
    }

    let mut warnings = Vec::new();
    let mut sections = Vec::with_capacity(table.len());
    for (index, sh) in table.iter().enumerate() {
        let name = match table.section_name(endian, sh) {
            Ok(n) => String::from_utf8_lossy(n).into_owned(),
            Err(_) => {
                warnings.push(format!("section {} has a bad name offset", index));
                String::new()
            }
        };
        let flags = sh.sh_flags(endian);
        sections.push(SectionInfo {
            index,
            name,
            size: sh.sh_size(endian),
            alloc: flags & u64::from(elf::SHF_ALLOC) != 0,
            exec: flags & u64::from(elf::SHF_EXECINSTR) != 0,
        });
    }

    // Compressed debug sections (clang -gz) would need zlib; say which one instead.
    for (index, sh) in table.iter().enumerate() {
        let name = &sections[index].name;
        let compressed = sh.sh_flags(endian) & u64::from(elf::SHF_COMPRESSED) != 0;
        if name.starts_with(".zdebug_") || (compressed && name.starts_with(".debug_")) {
            return Err(format!(
                "compressed debug section {} is not supported (built with -gz?): rebuild without -gz or decompress with `llvm-objcopy --decompress-debug-sections`",
                name
            ));
        }
    }

    let info_present = sections.iter().any(|s| s.name == ".debug_info" && s.size > 0);
    if !info_present {
        return Err("object has no DWARF (no .debug_info section): compile with -g".into());
    }

    let mut reloc = Relocator::new(endian, data, &table, &sections);
    let mut debug = Vec::new();
    for &want in DEBUG_SECTIONS {
        let index = match sections.iter().position(|s| s.name == want) {
            Some(i) => i,
            None => continue,
        };
        let sh = match table.section(SectionIndex(index)) {
            Ok(sh) => sh,
            Err(_) => continue,
        };
        if sh.sh_type(endian) == elf::SHT_NOBITS {
            continue;
        }
        let bytes = match sh.data(endian, data) {
            Ok(b) => b,
            Err(_) if want != ".debug_info" => {
                warnings.push(format!("section {} lies outside the file and was ignored (truncated object?)", want));
                continue;
            }
            Err(_) => return Err(format!("section {} lies outside the file (truncated object?)", want)),
        };
        if reloc.targeted(index) {
            let mut copy = bytes.to_vec();
            reloc.apply(index, want, &mut copy, &mut warnings);
            debug.push((want, Cow::Owned(copy)));
        } else {
            debug.push((want, Cow::Borrowed(bytes)));
        }
    }

    Ok(Object { big_endian: endian == Endianness::Big, sections, debug, warnings })
}

struct Relocator<'a> {
    endian: Endianness,
    data: &'a [u8],
    table: &'a SectionTable<'a, elf::FileHeader64<Endianness>>,
    sections: &'a [SectionInfo],
}

impl<'a> Relocator<'a> {
    fn new(
        endian: Endianness,
        data: &'a [u8],
        table: &'a SectionTable<'a, elf::FileHeader64<Endianness>>,
        sections: &'a [SectionInfo],
    ) -> Self {
        Relocator { endian, data, table, sections }
    }

    /// Whether a REL/RELA section targets section `target`.
    fn targeted(&self, target: usize) -> bool {
        let endian = self.endian;
        self.table.iter().any(|sh| {
            let ty = sh.sh_type(endian);
            (ty == elf::SHT_REL || ty == elf::SHT_RELA) && sh.sh_info(endian) as usize == target
        })
    }

    /// Apply every REL/RELA section that targets section `target` to `buf` (a copy of it).
    fn apply(&mut self, target: usize, name: &str, buf: &mut [u8], warnings: &mut Vec<String>) {
        let endian = self.endian;
        for (rel_index, sh) in self.table.iter().enumerate() {
            let ty = sh.sh_type(endian);
            if (ty != elf::SHT_REL && ty != elf::SHT_RELA) || sh.sh_info(endian) as usize != target {
                continue;
            }
            let symtab = match self.table.symbol_table_by_index(endian, self.data, SectionIndex(sh.sh_link(endian) as usize)) {
                Ok(s) => s,
                Err(e) => {
                    warnings.push(format!("relocations for {} not applied: bad symbol table ({})", name, e));
                    continue;
                }
            };
            let mut stats = Stats::default();
            if ty == elf::SHT_REL {
                match sh.rel(endian, self.data) {
                    Ok(Some((rels, _))) => {
                        for r in rels {
                            let sym = r.r_sym(endian);
                            let value = self.symbol_value(&symtab, sym as usize);
                            patch(buf, r.r_offset(endian), r.r_type(endian), value, None, endian, &mut stats);
                        }
                    }
                    _ => warnings.push(format!("relocation section {} for {} is unreadable", rel_index, name)),
                }
            } else {
                match sh.rela(endian, self.data) {
                    Ok(Some((relas, _))) => {
                        for r in relas {
                            let sym = r.r_sym(endian, false);
                            let value = self.symbol_value(&symtab, sym as usize);
                            patch(buf, r.r_offset(endian), r.r_type(endian, false), value, Some(r.r_addend(endian)), endian, &mut stats);
                        }
                    }
                    _ => warnings.push(format!("relocation section {} for {} is unreadable", rel_index, name)),
                }
            }
            if stats.unsupported > 0 {
                warnings.push(format!(
                    "{} relocation(s) of unsupported type {} in {} were ignored",
                    stats.unsupported, stats.unsupported_type, name
                ));
            }
            if stats.out_of_range > 0 {
                warnings.push(format!("{} relocation(s) outside {} were ignored", stats.out_of_range, name));
            }
            if stats.bad_symbol > 0 {
                warnings.push(format!("{} relocation(s) in {} name a missing symbol", stats.bad_symbol, name));
            }
        }
    }

    /// S for a relocation: the symbol's value, with its section index in the high 32 bits when the
    /// symbol lives in an allocated section (code, maps, license).
    fn symbol_value(
        &self,
        symtab: &object::read::elf::SymbolTable<'a, elf::FileHeader64<Endianness>>,
        index: usize,
    ) -> Option<u64> {
        if index == 0 {
            return Some(0);
        }
        let sym = symtab.symbols().get(index)?;
        let value: u64 = sym.st_value(self.endian);
        let shndx = match sym.st_shndx(self.endian) {
            elf::SHN_XINDEX => symtab.shndx(self.endian, index).map(|x| x as usize).unwrap_or(0),
            s if s == elf::SHN_UNDEF || s >= elf::SHN_LORESERVE => 0,
            s => s as usize,
        };
        if shndx != 0 && self.sections.get(shndx).map(|s| s.alloc).unwrap_or(false) {
            Some(((shndx as u64) << 32).wrapping_add(value))
        } else {
            Some(value)
        }
    }
}

#[derive(Default)]
struct Stats {
    unsupported: usize,
    unsupported_type: u32,
    out_of_range: usize,
    bad_symbol: usize,
}

fn patch(
    buf: &mut [u8],
    offset: u64,
    r_type: u32,
    value: Option<u64>,
    addend: Option<i64>,
    endian: Endianness,
    stats: &mut Stats,
) {
    let size = match r_type {
        0 => return, // R_BPF_NONE
        R_BPF_64_ABS64 => 8usize,
        R_BPF_64_ABS32 => 4usize,
        other => {
            stats.unsupported += 1;
            stats.unsupported_type = other;
            return;
        }
    };
    let s = match value {
        Some(v) => v,
        None => {
            stats.bad_symbol += 1;
            return;
        }
    };
    let start = offset as usize;
    if offset > buf.len() as u64 || buf.len() - start < size {
        stats.out_of_range += 1;
        return;
    }
    let field = &mut buf[start..start + size];
    let big = endian == Endianness::Big;
    if size == 8 {
        let mut b = [0u8; 8];
        b.copy_from_slice(field);
        let implicit = if big { u64::from_be_bytes(b) } else { u64::from_le_bytes(b) };
        let a = match addend {
            Some(a) => a as u64,
            None => implicit,
        };
        let v = s.wrapping_add(a);
        field.copy_from_slice(&if big { v.to_be_bytes() } else { v.to_le_bytes() });
    } else {
        let mut b = [0u8; 4];
        b.copy_from_slice(field);
        let implicit = if big { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) };
        let a = match addend {
            Some(a) => a as u64,
            None => u64::from(implicit),
        };
        let v = s.wrapping_add(a) as u32;
        field.copy_from_slice(&if big { v.to_be_bytes() } else { v.to_le_bytes() });
    }
}
