//! The DWARF side: line tables, concrete functions with their inlined subroutines (to any depth),
//! and variables with their locations and C type names.
//!
//! Every address here is an encoded `(section index << 32) + offset` (see elf.rs). A unit,
//! function or variable that cannot be read is skipped with a warning; only an object none of
//! whose units can be read is an error.

use std::collections::HashMap;

use gimli::{constants, AttributeValue, EndianSlice, RunTimeEndian, UnitOffset};

use crate::elf::Object;
use crate::expr::{self, Decoded};

type R<'a> = EndianSlice<'a, RunTimeEndian>;
type Die<'abbrev, 'unit, 'a> = gimli::DebuggingInformationEntry<'abbrev, 'unit, R<'a>>;

/// Deepest nesting of inlined subroutines / lexical blocks followed.
const MAX_SCOPE_DEPTH: usize = 64;
/// Deepest chain of abstract_origin / specification references followed.
const MAX_ORIGIN_DEPTH: usize = 8;
/// Deepest type chain rendered (pointer to const to typedef ...).
const MAX_TYPE_DEPTH: usize = 16;
/// Most warnings kept (corrupt input can produce one per DIE).
const MAX_WARNINGS: usize = 200;
/// Most range-list / location-list entries read for one DIE.
const MAX_LIST_ENTRIES: usize = 100_000;

pub const FLAG_STMT: u64 = 1;
pub const FLAG_END_SEQUENCE: u64 = 2;
pub const FLAG_PROLOGUE_END: u64 = 4;

pub struct Loc {
    pub sec: u64,
    pub lo: u64,
    pub hi: u64,
    pub d: Decoded,
}

pub struct Var {
    pub name: Option<String>,
    pub param: bool,
    pub ty: Option<String>,
    pub locs: Vec<Loc>,
}

/// A concrete function (`inlined == false`: file/line are its declaration) or an inlined
/// subroutine (`inlined == true`: file/line/column are its call site).
pub struct Scope {
    pub inlined: bool,
    pub name: Option<String>,
    pub ranges: Vec<(u64, u64, u64)>,
    pub file: Option<usize>,
    pub line: Option<u64>,
    pub column: Option<u64>,
    pub vars: Vec<Var>,
    pub inl: Vec<Scope>,
}

pub struct Sequence {
    pub sec: u64,
    /// offset, file index (u64::MAX: none), line, column, flags
    pub rows: Vec<[u64; 5]>,
}

#[derive(Default)]
pub struct Model {
    pub files: Vec<String>,
    file_ids: HashMap<String, usize>,
    pub lines: Vec<Sequence>,
    pub funcs: Vec<Scope>,
    pub warnings: Vec<String>,
    dropped_warnings: usize,
}

impl Model {
    fn warn(&mut self, w: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(w);
        } else {
            self.dropped_warnings += 1;
        }
    }

    pub fn finish(&mut self) {
        if self.dropped_warnings > 0 {
            let n = self.dropped_warnings;
            self.warnings.push(format!("... and {} more warnings", n));
            self.dropped_warnings = 0;
        }
    }

    fn file_id(&mut self, path: String) -> usize {
        if let Some(&id) = self.file_ids.get(&path) {
            return id;
        }
        let id = self.files.len();
        self.files.push(path.clone());
        self.file_ids.insert(path, id);
        id
    }
}

/// Split an encoded range into (section, lo, hi).
fn split(begin: u64, end: u64) -> (u64, u64, u64) {
    let sec = begin >> 32;
    (sec, begin & 0xffff_ffff, end.wrapping_sub(sec << 32))
}

pub fn read(obj: &Object, model: &mut Model) -> Result<(), String> {
    for w in &obj.warnings {
        model.warn(w.clone());
    }
    let endian = if obj.big_endian { RunTimeEndian::Big } else { RunTimeEndian::Little };
    let loaded: Result<gimli::Dwarf<R>, ()> =
        gimli::Dwarf::load(|id| Ok(EndianSlice::new(obj.debug_section(id.name()), endian)));
    let dwarf = match loaded {
        Ok(d) => d,
        Err(()) => return Err("cannot load the DWARF sections".into()),
    };
    // The same sections without .debug_line: a unit whose line-table header is unreadable can
    // still give its functions and variables.
    let no_lines: Result<gimli::Dwarf<R>, ()> = gimli::Dwarf::load(|id| {
        let data = if id == gimli::SectionId::DebugLine { &[][..] } else { obj.debug_section(id.name()) };
        Ok(EndianSlice::new(data, endian))
    });
    let no_lines = match no_lines {
        Ok(d) => d,
        Err(()) => return Err("cannot load the DWARF sections".into()),
    };

    let mut units = dwarf.units();
    let mut read_units = 0usize;
    let mut first_error: Option<String> = None;
    loop {
        let header = match units.next() {
            Ok(Some(h)) => h,
            Ok(None) => break,
            Err(e) => {
                let msg = format!("stopped reading .debug_info after {} unit(s): {}", read_units, e);
                first_error.get_or_insert_with(|| msg.clone());
                model.warn(msg);
                break;
            }
        };
        let offset = header.offset().as_debug_info_offset().map(|o| o.0).unwrap_or(0);
        let (unit, which) = match dwarf.unit(header) {
            Ok(u) => (u, &dwarf),
            Err(e) => match no_lines.unit(header) {
                Ok(u) => {
                    model.warn(format!(
                        "the line table of the unit at .debug_info+0x{:x} is unreadable ({}); its functions were read without it",
                        offset, e
                    ));
                    (u, &no_lines)
                }
                Err(_) => {
                    let msg = format!("skipped the unit at .debug_info+0x{:x}: {}", offset, e);
                    first_error.get_or_insert_with(|| msg.clone());
                    model.warn(msg);
                    continue;
                }
            },
        };
        read_units += 1;
        let mut ur = UnitReader {
            dwarf: which,
            unit: &unit,
            obj,
            model: &mut *model,
            unit_offset: offset,
            files: HashMap::new(),
            types: HashMap::new(),
        };
        ur.lines();
        if let Err(e) = ur.entries() {
            ur.model.warn(format!(
                "stopped reading the unit at .debug_info+0x{:x} (its remaining functions are skipped): {}",
                offset, e
            ));
        }
    }
    if read_units == 0 {
        return Err(match first_error {
            Some(e) => format!("no readable DWARF unit: {}", e),
            None => "no DWARF unit in .debug_info".into(),
        });
    }
    Ok(())
}

struct UnitReader<'u, 'a: 'u> {
    dwarf: &'u gimli::Dwarf<R<'a>>,
    unit: &'u gimli::Unit<R<'a>>,
    obj: &'u Object,
    model: &'u mut Model,
    unit_offset: usize,
    /// line-table file index -> model file id
    files: HashMap<u64, Option<usize>>,
    /// type DIE offset -> rendered name
    types: HashMap<usize, String>,
}

impl<'u, 'a: 'u> expr::Context for UnitReader<'u, 'a> {
    fn addr_index(&self, index: usize) -> Option<u64> {
        self.dwarf.address(self.unit, gimli::DebugAddrIndex(index)).ok()
    }

    fn addr_text(&self, addr: u64) -> String {
        let sec = addr >> 32;
        if sec != 0 {
            if let Some(name) = self.obj.section_name(sec) {
                return format!("{}+0x{:x}", name, addr & 0xffff_ffff);
            }
        }
        format!("0x{:x}", addr)
    }
}

fn lossy(r: R) -> String {
    r.to_string_lossy().into_owned()
}

fn push_path(path: &mut String, part: &str) {
    if part.is_empty() {
        return;
    }
    if part.starts_with('/') || path.is_empty() {
        path.clear();
        path.push_str(part);
    } else {
        if !path.ends_with('/') {
            path.push('/');
        }
        path.push_str(part);
    }
}

/// Drops empty and `.` components (`././src/x.c` -> `src/x.c`, as with `-fdebug-prefix-map=DIR=.`);
/// `..` is kept, since it cannot be resolved without the file system.
fn clean_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    if path.starts_with('/') {
        out.push('/');
    }
    let mut first = true;
    for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
        if !first {
            out.push('/');
        }
        out.push_str(part);
        first = false;
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

impl<'u, 'a: 'u> UnitReader<'u, 'a> {
    fn warn(&mut self, w: String) {
        self.model.warn(w);
    }

    fn attr_str(&self, v: AttributeValue<R<'a>>) -> Option<String> {
        self.dwarf.attr_string(self.unit, v).ok().map(lossy)
    }

    // --- files and line table ----------------------------------------------------------------

    fn file(&mut self, header: &gimli::LineProgramHeader<R<'a>>, index: u64) -> Option<usize> {
        if let Some(id) = self.files.get(&index) {
            return *id;
        }
        let id = self.file_path(header, index).map(|p| self.model.file_id(p));
        self.files.insert(index, id);
        id
    }

    fn file_path(&self, header: &gimli::LineProgramHeader<R<'a>>, index: u64) -> Option<String> {
        let entry = header.file(index)?;
        let name = self.attr_str(entry.path_name())?;
        let mut path = String::new();
        if let Some(dir) = &self.unit.comp_dir {
            path.push_str(&lossy(*dir));
        }
        if let Some(dir) = entry.directory(header) {
            if let Some(dir) = self.attr_str(dir) {
                push_path(&mut path, &dir);
            }
        }
        push_path(&mut path, &name);
        Some(clean_path(&path))
    }

    /// The file index an attribute (DW_AT_decl_file / DW_AT_call_file) names, as a model file id.
    fn file_attr(&mut self, v: Option<AttributeValue<R<'a>>>) -> Option<usize> {
        let index = match v? {
            AttributeValue::FileIndex(i) => i,
            other => other.udata_value()?,
        };
        if let Some(id) = self.files.get(&index) {
            return *id;
        }
        let unit = self.unit;
        let header = unit.line_program.as_ref()?.header();
        self.file(header, index)
    }

    fn lines(&mut self) {
        let program = match self.unit.line_program.clone() {
            Some(p) => p,
            None => return,
        };
        let mut rows = program.rows();
        let mut seq: Vec<[u64; 5]> = Vec::new();
        let mut sec = 0u64;
        loop {
            match rows.next_row() {
                Ok(Some((header, row))) => {
                    let addr = row.address();
                    if seq.is_empty() {
                        sec = addr >> 32;
                    }
                    let file = self.file(header, row.file_index()).map(|f| f as u64).unwrap_or(u64::MAX);
                    let line = row.line().map(|l| l.get()).unwrap_or(0);
                    let column = match row.column() {
                        gimli::ColumnType::LeftEdge => 0,
                        gimli::ColumnType::Column(c) => c.get(),
                    };
                    let mut flags = 0;
                    if row.is_stmt() {
                        flags |= FLAG_STMT;
                    }
                    if row.end_sequence() {
                        flags |= FLAG_END_SEQUENCE;
                    }
                    if row.prologue_end() {
                        flags |= FLAG_PROLOGUE_END;
                    }
                    seq.push([addr.wrapping_sub(sec << 32), file, line, column, flags]);
                    if row.end_sequence() {
                        self.model.lines.push(Sequence { sec, rows: std::mem::take(&mut seq) });
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let w = format!("line table of the unit at .debug_info+0x{:x} stops early: {}", self.unit_offset, e);
                    self.warn(w);
                    break;
                }
            }
        }
        if !seq.is_empty() {
            let w = format!("line table of the unit at .debug_info+0x{:x} ends without end_sequence", self.unit_offset);
            self.warn(w);
        }
    }

    // --- DIE helpers -------------------------------------------------------------------------

    fn origin(entry: &Die<'_, '_, 'a>) -> Option<UnitOffset> {
        for at in [constants::DW_AT_abstract_origin, constants::DW_AT_specification] {
            if let Ok(Some(AttributeValue::UnitRef(o))) = entry.attr_value(at) {
                return Some(o);
            }
        }
        None
    }

    /// An attribute of `entry`, or of the DIE its abstract_origin / specification names.
    fn attr_follow(&self, entry: &Die<'_, '_, 'a>, at: constants::DwAt) -> Option<AttributeValue<R<'a>>> {
        if let Ok(Some(v)) = entry.attr_value(at) {
            return Some(v);
        }
        let mut next = Self::origin(entry);
        let mut depth = 0;
        while let Some(off) = next {
            depth += 1;
            if depth > MAX_ORIGIN_DEPTH {
                return None;
            }
            let e = self.unit.entry(off).ok()?;
            if let Ok(Some(v)) = e.attr_value(at) {
                return Some(v);
            }
            next = Self::origin(&e);
        }
        None
    }

    fn name(&self, entry: &Die<'_, '_, 'a>) -> Option<String> {
        let v = self.attr_follow(entry, constants::DW_AT_name)?;
        self.attr_str(v)
    }

    /// The encoded address ranges of a DIE (low_pc/high_pc or DW_AT_ranges).
    fn ranges(&self, entry: &Die<'_, '_, 'a>) -> Result<Vec<(u64, u64)>, gimli::Error> {
        let mut out = Vec::new();
        let mut iter = self.dwarf.die_ranges(self.unit, entry)?;
        while let Some(r) = iter.next()? {
            if r.end > r.begin {
                out.push((r.begin, r.end));
            }
            if out.len() >= MAX_LIST_ENTRIES {
                break;
            }
        }
        Ok(out)
    }

    fn frame_base(entry: &Die<'_, '_, 'a>) -> Option<u16> {
        let v = entry.attr_value(constants::DW_AT_frame_base).ok()??;
        let e = v.exprloc_value()?;
        let b = e.0.slice();
        if b.len() == 1 && (constants::DW_OP_reg0.0..=constants::DW_OP_reg31.0).contains(&b[0]) {
            Some(u16::from(b[0] - constants::DW_OP_reg0.0))
        } else {
            None
        }
    }

    // --- functions, inlined subroutines, variables -----------------------------------------------

    fn entries(&mut self) -> Result<(), gimli::Error> {
        let unit = self.unit;
        let mut tree = unit.entries_tree(None)?;
        let root = tree.root()?;
        self.top_level(root.children(), 0)
    }

    fn top_level(&mut self, mut iter: gimli::EntriesTreeIter<'_, '_, '_, R<'a>>, depth: usize) -> Result<(), gimli::Error> {
        while let Some(child) = iter.next()? {
            let tag = child.entry().tag();
            if tag == constants::DW_TAG_subprogram {
                self.function(child)?;
            } else if (tag == constants::DW_TAG_namespace || tag == constants::DW_TAG_module) && depth < 8 {
                self.top_level(child.children(), depth + 1)?;
            }
        }
        Ok(())
    }

    fn function(&mut self, node: gimli::EntriesTreeNode<'_, '_, '_, R<'a>>) -> Result<(), gimli::Error> {
        let entry = node.entry();
        let offset = entry.offset().0;
        let ranges = match self.ranges(entry) {
            Ok(r) => r,
            Err(e) => {
                let w = format!("skipped the function at .debug_info+0x{:x}: bad address ranges: {}", self.unit_offset + offset, e);
                self.warn(w);
                return Ok(());
            }
        };
        if ranges.is_empty() {
            return Ok(()); // a declaration or an abstract instance: no code of its own
        }
        let name = self.name(entry);
        let file = self.file_attr(self.attr_follow(entry, constants::DW_AT_decl_file));
        let line = self.attr_follow(entry, constants::DW_AT_decl_line).and_then(|v| v.udata_value());
        let frame_base = Self::frame_base(entry);
        let mut scope = Scope {
            inlined: false,
            name,
            ranges: ranges.iter().map(|&(b, e)| split(b, e)).collect(),
            file,
            line,
            column: None,
            vars: Vec::new(),
            inl: Vec::new(),
        };
        self.scope_children(node.children(), &mut scope, &ranges, frame_base, 1)?;
        self.model.funcs.push(scope);
        Ok(())
    }

    fn scope_children(
        &mut self,
        mut iter: gimli::EntriesTreeIter<'_, '_, '_, R<'a>>,
        scope: &mut Scope,
        var_ranges: &[(u64, u64)],
        frame_base: Option<u16>,
        depth: usize,
    ) -> Result<(), gimli::Error> {
        while let Some(child) = iter.next()? {
            let entry = child.entry();
            let tag = entry.tag();
            if tag == constants::DW_TAG_formal_parameter || tag == constants::DW_TAG_variable {
                let v = self.var(entry, var_ranges, frame_base);
                scope.vars.push(v);
            } else if tag == constants::DW_TAG_lexical_block || tag == constants::DW_TAG_inlined_subroutine {
                if depth >= MAX_SCOPE_DEPTH {
                    let w = format!(
                        "scopes nested deeper than {} at .debug_info+0x{:x} were skipped",
                        MAX_SCOPE_DEPTH,
                        self.unit_offset + entry.offset().0
                    );
                    self.warn(w);
                    continue;
                }
                let ranges = match self.ranges(entry) {
                    Ok(r) => r,
                    Err(e) => {
                        let w = format!("bad address ranges at .debug_info+0x{:x}: {}", self.unit_offset + entry.offset().0, e);
                        self.warn(w);
                        Vec::new()
                    }
                };
                if tag == constants::DW_TAG_lexical_block {
                    // Flattened into the enclosing scope; its variables live within its ranges.
                    let r = if ranges.is_empty() { var_ranges.to_vec() } else { ranges };
                    self.scope_children(child.children(), scope, &r, frame_base, depth + 1)?;
                } else {
                    let mut inl = Scope {
                        inlined: true,
                        name: self.name(entry),
                        ranges: ranges.iter().map(|&(b, e)| split(b, e)).collect(),
                        file: self.file_attr(entry.attr_value(constants::DW_AT_call_file).ok().flatten()),
                        line: entry.attr_value(constants::DW_AT_call_line).ok().flatten().and_then(|v| v.udata_value()),
                        column: entry.attr_value(constants::DW_AT_call_column).ok().flatten().and_then(|v| v.udata_value()),
                        vars: Vec::new(),
                        inl: Vec::new(),
                    };
                    self.scope_children(child.children(), &mut inl, &ranges, frame_base, depth + 1)?;
                    scope.inl.push(inl);
                }
            }
        }
        Ok(())
    }

    fn var(&mut self, entry: &Die<'_, '_, 'a>, ranges: &[(u64, u64)], frame_base: Option<u16>) -> Var {
        let name = self.name(entry);
        let param = entry.tag() == constants::DW_TAG_formal_parameter;
        let ty = match self.attr_follow(entry, constants::DW_AT_type) {
            Some(AttributeValue::UnitRef(off)) => Some(self.type_name(off, 0)),
            Some(_) => Some("?".to_string()),
            None => None,
        };
        let mut locs = Vec::new();
        let encoding = self.unit.encoding();
        let at = self.unit_offset + entry.offset().0;
        match entry.attr_value(constants::DW_AT_location) {
            Ok(Some(v)) => {
                if let Some(e) = v.exprloc_value() {
                    if let Some(d) = expr::decode(&e, encoding, frame_base, &*self) {
                        for &(b, end) in ranges {
                            let (sec, lo, hi) = split(b, end);
                            locs.push(Loc { sec, lo, hi, d: clone_decoded(&d) });
                        }
                    }
                } else {
                    match self.dwarf.attr_locations(self.unit, v) {
                        Ok(Some(mut list)) => loop {
                            match list.next() {
                                Ok(Some(le)) => {
                                    if le.range.end <= le.range.begin {
                                        continue;
                                    }
                                    if let Some(d) = expr::decode(&le.data, encoding, frame_base, &*self) {
                                        let (sec, lo, hi) = split(le.range.begin, le.range.end);
                                        locs.push(Loc { sec, lo, hi, d });
                                    }
                                    if locs.len() >= MAX_LIST_ENTRIES {
                                        break;
                                    }
                                }
                                Ok(None) => break,
                                Err(e) => {
                                    self.warn(format!("bad location list at .debug_info+0x{:x}: {}", at, e));
                                    break;
                                }
                            }
                        },
                        Ok(None) => self.warn(format!("unsupported DW_AT_location form at .debug_info+0x{:x}", at)),
                        Err(e) => self.warn(format!("bad location list at .debug_info+0x{:x}: {}", at, e)),
                    }
                }
            }
            Ok(None) => {
                if let Ok(Some(v)) = entry.attr_value(constants::DW_AT_const_value) {
                    let value = match v {
                        AttributeValue::Sdata(s) => Some(s),
                        ref other => other.udata_value().map(|u| u as i64),
                    };
                    let text = match value {
                        Some(x) => format!("DW_AT_const_value {}", x),
                        None => "DW_AT_const_value <block>".to_string(),
                    };
                    for &(b, end) in ranges {
                        let (sec, lo, hi) = split(b, end);
                        locs.push(Loc {
                            sec,
                            lo,
                            hi,
                            d: Decoded { kind: "const", reg: None, offset: value, text: text.clone() },
                        });
                    }
                }
            }
            Err(e) => self.warn(format!("bad DW_AT_location at .debug_info+0x{:x}: {}", at, e)),
        }
        Var { name, param, ty, locs }
    }

    // --- C type names ------------------------------------------------------------------------------

    fn type_name(&mut self, off: UnitOffset, depth: usize) -> String {
        if let Some(s) = self.types.get(&off.0) {
            return s.clone();
        }
        if depth > MAX_TYPE_DEPTH {
            return "?".into();
        }
        let s = self.render_type(off, depth);
        self.types.insert(off.0, s.clone());
        s
    }

    /// The type `entry`'s DW_AT_type names: None = void, Some("?") = unreadable.
    fn inner_type(&mut self, entry: &Die<'_, '_, 'a>, depth: usize) -> Option<(String, Option<constants::DwTag>, UnitOffset)> {
        match entry.attr_value(constants::DW_AT_type) {
            Ok(Some(AttributeValue::UnitRef(o))) => {
                let tag = self.unit.entry(o).ok().map(|e| e.tag());
                Some((self.type_name(o, depth + 1), tag, o))
            }
            Ok(None) => None,
            _ => Some(("?".into(), None, UnitOffset(0))),
        }
    }

    fn render_type(&mut self, off: UnitOffset, depth: usize) -> String {
        let unit = self.unit;
        let entry = match unit.entry(off) {
            Ok(e) => e,
            Err(_) => return "?".into(),
        };
        let tag = entry.tag();
        let name = self.name(&entry);
        let tagged = |kw: &str, name: Option<String>| match name {
            Some(n) => format!("{} {}", kw, n),
            None => format!("{} {{...}}", kw),
        };
        match tag {
            constants::DW_TAG_base_type | constants::DW_TAG_typedef | constants::DW_TAG_unspecified_type => {
                name.unwrap_or_else(|| "?".into())
            }
            constants::DW_TAG_structure_type => tagged("struct", name),
            constants::DW_TAG_union_type => tagged("union", name),
            constants::DW_TAG_enumeration_type => tagged("enum", name),
            constants::DW_TAG_class_type => tagged("class", name),
            constants::DW_TAG_pointer_type | constants::DW_TAG_reference_type | constants::DW_TAG_rvalue_reference_type => {
                let sigil = match tag {
                    constants::DW_TAG_pointer_type => "*",
                    constants::DW_TAG_reference_type => "&",
                    _ => "&&",
                };
                match self.inner_type(&entry, depth) {
                    Some((_, Some(constants::DW_TAG_subroutine_type), o)) => {
                        let (ret, params) = self.subroutine(o, depth + 1);
                        format!("{} ({})({})", ret, sigil, params)
                    }
                    Some((t, _, _)) => {
                        if t.ends_with('*') || t.ends_with('&') {
                            format!("{}{}", t, sigil)
                        } else {
                            format!("{} {}", t, sigil)
                        }
                    }
                    None => format!("void {}", sigil),
                }
            }
            constants::DW_TAG_const_type
            | constants::DW_TAG_volatile_type
            | constants::DW_TAG_restrict_type
            | constants::DW_TAG_atomic_type => {
                let q = match tag {
                    constants::DW_TAG_const_type => "const",
                    constants::DW_TAG_volatile_type => "volatile",
                    constants::DW_TAG_restrict_type => "restrict",
                    _ => "_Atomic",
                };
                let t = self.inner_type(&entry, depth).map(|x| x.0).unwrap_or_else(|| "void".into());
                if t.ends_with('*') {
                    format!("{}{}", t, q)
                } else {
                    format!("{} {}", q, t)
                }
            }
            constants::DW_TAG_array_type => {
                let elem = self.inner_type(&entry, depth).map(|x| x.0).unwrap_or_else(|| "void".into());
                format!("{}{}", elem, self.array_dims(off))
            }
            constants::DW_TAG_subroutine_type => {
                let (ret, params) = self.subroutine(off, depth);
                format!("{} ({})", ret, params)
            }
            _ => name.unwrap_or_else(|| "?".into()),
        }
    }

    fn array_dims(&self, off: UnitOffset) -> String {
        let mut dims = String::new();
        let mut tree = match self.unit.entries_tree(Some(off)) {
            Ok(t) => t,
            Err(_) => return "[]".into(),
        };
        let root = match tree.root() {
            Ok(r) => r,
            Err(_) => return "[]".into(),
        };
        let mut children = root.children();
        let mut n = 0;
        while let Ok(Some(child)) = children.next() {
            let e = child.entry();
            if e.tag() != constants::DW_TAG_subrange_type {
                continue;
            }
            n += 1;
            if n > 8 {
                break;
            }
            let count = match e.attr_value(constants::DW_AT_count) {
                Ok(Some(v)) => v.udata_value(),
                _ => match e.attr_value(constants::DW_AT_upper_bound) {
                    Ok(Some(v)) => v.udata_value().map(|u| u.wrapping_add(1)),
                    _ => None,
                },
            };
            match count {
                Some(c) => dims.push_str(&format!("[{}]", c)),
                None => dims.push_str("[]"),
            }
        }
        if dims.is_empty() {
            dims.push_str("[]");
        }
        dims
    }

    /// (return type, parameter list) of a DW_TAG_subroutine_type.
    fn subroutine(&mut self, off: UnitOffset, depth: usize) -> (String, String) {
        if depth > MAX_TYPE_DEPTH {
            return ("?".into(), "?".into());
        }
        let entry = match self.unit.entry(off) {
            Ok(e) => e,
            Err(_) => return ("?".into(), "?".into()),
        };
        let ret = self.inner_type(&entry, depth).map(|x| x.0).unwrap_or_else(|| "void".into());
        let mut params: Vec<String> = Vec::new();
        let mut param_types: Vec<Option<UnitOffset>> = Vec::new();
        let mut variadic = false;
        if let Ok(mut tree) = self.unit.entries_tree(Some(off)) {
            if let Ok(root) = tree.root() {
                let mut children = root.children();
                while let Ok(Some(child)) = children.next() {
                    let e = child.entry();
                    if e.tag() == constants::DW_TAG_formal_parameter {
                        param_types.push(match e.attr_value(constants::DW_AT_type) {
                            Ok(Some(AttributeValue::UnitRef(o))) => Some(o),
                            _ => None,
                        });
                    } else if e.tag() == constants::DW_TAG_unspecified_parameters {
                        variadic = true;
                    }
                    if param_types.len() > 32 {
                        break;
                    }
                }
            }
        }
        for t in param_types {
            params.push(match t {
                Some(o) => self.type_name(o, depth + 1),
                None => "?".into(),
            });
        }
        if variadic {
            params.push("...".into());
        }
        if params.is_empty() {
            params.push("void".into());
        }
        (ret, params.join(", "))
    }
}

fn clone_decoded(d: &Decoded) -> Decoded {
    Decoded { kind: d.kind, reg: d.reg, offset: d.offset, text: d.text.clone() }
}
