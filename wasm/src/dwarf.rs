//! The DWARF side: line tables, concrete functions with their inlined subroutines (to any depth),
//! and variables with their locations and C type names.
//!
//! Every address here is an encoded `(section index << 32) + offset` (see elf.rs). A unit,
//! function or variable that cannot be read is skipped with a warning; only an object none of
//! whose units can be read is an error.
//!
//! Speed matters (a 1,000-program object has ~30,000 variables and ~40,000 locations), so:
//! - each DIE's attributes are parsed once ([`collect`]); gimli's `attr_value` re-parses them on
//!   every call,
//! - what an `abstract_origin` / `specification` chain gives (name, type, declaration) is cached
//!   per origin DIE: the variables of every inlined copy of a function share a handful of origins,
//! - C type names are rendered once per type DIE, and location expressions decoded once per
//!   distinct expression bytes,
//! - strings (names, types, decoded locations) are interned: the model holds `u32` string ids,
//!   and locations refer to a shared table of decoded expressions.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use gimli::{constants, AttributeValue, EndianSlice, RunTimeEndian, UnitOffset};

use crate::elf::Object;
use crate::expr;

type R<'a> = EndianSlice<'a, RunTimeEndian>;
type Die<'abbrev, 'unit, 'a> = gimli::DebuggingInformationEntry<'abbrev, 'unit, R<'a>>;
type Value<'a> = AttributeValue<R<'a>>;

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

// ---- hashing and strings ------------------------------------------------------------------------

/// A small multiplicative hasher for the reader's own maps (DIE offsets, expression bytes,
/// strings). Not DoS-resistant; the worst input can only make one read slower.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

const MIX: u64 = 0x517c_c1b7_2722_0a95;

impl FastHasher {
    #[inline(always)]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(MIX);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    #[inline(always)]
    fn write_u8(&mut self, v: u8) {
        self.add(u64::from(v));
    }
    #[inline(always)]
    fn write_u16(&mut self, v: u16) {
        self.add(u64::from(v));
    }
    #[inline(always)]
    fn write_u32(&mut self, v: u32) {
        self.add(u64::from(v));
    }
    #[inline(always)]
    fn write_u64(&mut self, v: u64) {
        self.add(v);
    }
    #[inline(always)]
    fn write_usize(&mut self, v: usize) {
        self.add(v as u64);
    }
    #[inline(always)]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Interned strings: every distinct string once, named by its index. The map holds the 64-bit
/// hash of each string (not a second copy); the rare string whose hash is taken by another
/// goes to `collided`.
#[derive(Default)]
pub struct Strings {
    pub list: Vec<String>,
    ids: FastMap<u64, u32>,
    collided: FastMap<String, u32>,
}

fn hash_str(s: &str) -> u64 {
    let mut h = FastHasher::default();
    h.write(s.as_bytes());
    h.write_usize(s.len());
    h.finish()
}

impl Strings {
    pub fn intern(&mut self, s: &str) -> u32 {
        let h = hash_str(s);
        match self.ids.get(&h) {
            Some(&id) if self.list[id as usize] == s => id,
            Some(_) => {
                if let Some(&id) = self.collided.get(s) {
                    return id;
                }
                let id = self.add(s);
                self.collided.insert(s.to_owned(), id);
                id
            }
            None => {
                let id = self.add(s);
                self.ids.insert(h, id);
                id
            }
        }
    }

    /// Adds a string without looking for an equal one (section names, paths, warnings).
    pub fn add(&mut self, s: &str) -> u32 {
        self.list.push(s.to_owned());
        (self.list.len() - 1) as u32
    }

    pub fn get(&self, id: u32) -> &str {
        self.list.get(id as usize).map(|s| s.as_str()).unwrap_or("?")
    }
}

// ---- the model ------------------------------------------------------------------------------------

/// A decoded location expression, shared by every location with the same expression bytes.
pub struct Decoded {
    /// One of the `expr::KIND_*` codes.
    pub kind: u8,
    pub reg: Option<u64>,
    pub offset: Option<i64>,
    /// String id of the decoded operations.
    pub text: u32,
}

pub struct Loc {
    pub sec: u64,
    pub lo: u64,
    pub hi: u64,
    /// Index into `Model::decoded`.
    pub d: u32,
}

pub struct Var {
    /// The scope (index into `Model::scopes`) the variable belongs to.
    pub scope: u32,
    /// String ids.
    pub name: Option<u32>,
    pub param: bool,
    pub ty: Option<u32>,
    /// `Model::locs[loc_start .. loc_start + loc_count]`.
    pub loc_start: usize,
    pub loc_count: usize,
}

/// No parent: a concrete function.
pub const NO_PARENT: u32 = u32::MAX;

/// A concrete function (`inlined == false`: file/line are its declaration) or an inlined
/// subroutine (`inlined == true`: file/line/column are its call site). Scopes are kept flat, in
/// the order their DIEs come (a scope before what it contains); out.rs regroups them.
pub struct Scope {
    pub inlined: bool,
    /// The enclosing scope, or `NO_PARENT`.
    pub parent: u32,
    pub name: Option<u32>,
    /// `Model::ranges[range_start .. range_start + range_count]`.
    pub range_start: usize,
    pub range_count: usize,
    pub file: Option<usize>,
    pub line: Option<u64>,
    pub column: Option<u64>,
}

pub struct Sequence {
    pub sec: u64,
    /// `Model::rows[start .. start + len]`.
    pub start: usize,
    pub len: usize,
}

#[derive(Default)]
pub struct Model {
    pub strings: Strings,
    pub files: Vec<String>,
    file_ids: FastMap<String, usize>,
    pub seqs: Vec<Sequence>,
    /// offset, file index (u64::MAX: none), line, column, flags
    pub rows: Vec<[u64; 5]>,
    /// Functions and inlined subroutines, each before the scopes it contains.
    pub scopes: Vec<Scope>,
    /// (section, lo, hi) of the scopes.
    pub ranges: Vec<(u64, u64, u64)>,
    /// In the order their DIEs come; `Var::scope` says whose they are.
    pub vars: Vec<Var>,
    pub locs: Vec<Loc>,
    pub decoded: Vec<Decoded>,
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
#[inline(always)]
fn split(begin: u64, end: u64) -> (u64, u64, u64) {
    let sec = begin >> 32;
    (sec, begin & 0xffff_ffff, end.wrapping_sub(sec << 32))
}

pub fn read(obj: &Object<'_>, model: &mut Model) -> Result<(), String> {
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
    let unknown = model.strings.intern("?");
    // Room for what the sections hold, roughly (clang: ~5 bytes of .debug_line per row, ~10 bytes
    // of .debug_loclists per location), so that the big vectors are not copied as they grow.
    let size = |name: &str| obj.debug_section(name).len();
    model.rows.reserve(size(".debug_line") / 5);
    model.locs.reserve((size(".debug_loclists") + size(".debug_loc")) / 10);
    // clang: ~12 bytes of .debug_info per variable DIE, ~40 per scope.
    model.vars.reserve(size(".debug_info") / 12);
    model.scopes.reserve(size(".debug_info") / 40);
    model.ranges.reserve(size(".debug_info") / 40);

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
            unknown,
            files: FastMap::default(),
            types: FastMap::default(),
            origins: FastMap::default(),
            exprs: FastMap::default(),
            short_exprs: FastMap::default(),
            strs: FastMap::default(),
            consts: FastMap::default(),
            spans: Vec::new(),
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

// ---- one pass over a DIE's attributes ----------------------------------------------------------

/// The attributes the reader uses, each its first occurrence in the DIE. Parsing stops at the
/// first malformed attribute (`error`): those after it are missing, as they are for gimli's
/// `attr_value`. A bit of `present` says which slots of `vals` are set, so that clearing for the
/// next DIE is one store.
#[derive(Clone, Copy)]
struct Attrs<'a> {
    present: u16,
    vals: [Value<'a>; N_ATTRS],
    error: Option<gimli::Error>,
}

const A_NAME: usize = 0;
const A_TYPE: usize = 1;
const A_DECL_FILE: usize = 2;
const A_DECL_LINE: usize = 3;
const A_ABSTRACT_ORIGIN: usize = 4;
const A_SPECIFICATION: usize = 5;
const A_LOCATION: usize = 6;
const A_CONST_VALUE: usize = 7;
const A_CALL_FILE: usize = 8;
const A_CALL_LINE: usize = 9;
const A_CALL_COLUMN: usize = 10;
const A_FRAME_BASE: usize = 11;
const A_SIBLING: usize = 12;
const N_ATTRS: usize = 13;

impl<'a> Default for Attrs<'a> {
    fn default() -> Self {
        Attrs { present: 0, vals: [AttributeValue::Flag(false); N_ATTRS], error: None }
    }
}

fn collect<'a>(entry: &Die<'_, '_, 'a>) -> Attrs<'a> {
    let mut a = Attrs::default();
    collect_into(entry, &mut a);
    a
}

fn collect_into<'a>(entry: &Die<'_, '_, 'a>, a: &mut Attrs<'a>) {
    let mut iter = entry.attrs();
    loop {
        match iter.next() {
            Ok(Some(attr)) => a.note(&attr),
            Ok(None) => break,
            Err(e) => {
                a.error = Some(e);
                break;
            }
        }
    }
}

impl<'a> Entry<'a> {
    fn new() -> Self {
        Entry {
            offset: UnitOffset(0),
            tag: constants::DW_TAG_null,
            has_children: false,
            attrs: Attrs::default(),
            ranges: RangeAttrs::default(),
        }
    }
}

impl<'a> Attrs<'a> {
    /// Keeps `attr` if the reader uses it and it is the first of its name.
    #[inline]
    fn note(&mut self, attr: &gimli::Attribute<R<'a>>) {
        let i = match attr.name() {
            constants::DW_AT_name => A_NAME,
            constants::DW_AT_type => A_TYPE,
            constants::DW_AT_decl_file => A_DECL_FILE,
            constants::DW_AT_decl_line => A_DECL_LINE,
            constants::DW_AT_abstract_origin => A_ABSTRACT_ORIGIN,
            constants::DW_AT_specification => A_SPECIFICATION,
            constants::DW_AT_location => A_LOCATION,
            constants::DW_AT_const_value => A_CONST_VALUE,
            constants::DW_AT_call_file => A_CALL_FILE,
            constants::DW_AT_call_line => A_CALL_LINE,
            constants::DW_AT_call_column => A_CALL_COLUMN,
            constants::DW_AT_frame_base => A_FRAME_BASE,
            constants::DW_AT_sibling => A_SIBLING,
            _ => return,
        };
        let bit = 1u16 << i;
        if self.present & bit == 0 {
            self.vals[i] = attr.value();
            self.present |= bit;
        }
    }

    #[inline]
    fn get(&self, i: usize) -> Option<Value<'a>> {
        if self.present & (1u16 << i) != 0 {
            Some(self.vals[i])
        } else {
            None
        }
    }

    fn clear(&mut self) {
        self.present = 0;
        self.error = None;
    }
}

/// What gimli's `Dwarf::die_ranges` makes of a DIE's attributes, worked out while they are read
/// (in order, as it does: a later low_pc / high_pc replaces an earlier one, and the first
/// DW_AT_ranges, or the first error, decides).
#[derive(Default)]
struct RangeAttrs {
    low_pc: Option<u64>,
    high_pc: Option<u64>,
    size: Option<u64>,
    /// Set once the outcome no longer depends on later attributes: a range list (gimli's
    /// `attr_ranges` gave one), or an error.
    decided: Option<Result<gimli::RangeListsOffset, gimli::Error>>,
}

/// A DIE read by [`UnitReader::next_entry`]: each of its attributes parsed once.
struct Entry<'a> {
    offset: UnitOffset,
    tag: constants::DwTag,
    has_children: bool,
    attrs: Attrs<'a>,
    ranges: RangeAttrs,
}

type Raw<'u, 'a> = gimli::EntriesRaw<'u, 'u, R<'a>>;

/// The DIE a DIE's abstract_origin (else specification) names within the unit.
fn origin(a: &Attrs<'_>) -> Option<UnitOffset> {
    if let Some(AttributeValue::UnitRef(o)) = a.get(A_ABSTRACT_ORIGIN) {
        return Some(o);
    }
    if let Some(AttributeValue::UnitRef(o)) = a.get(A_SPECIFICATION) {
        return Some(o);
    }
    None
}

fn frame_base(a: &Attrs<'_>) -> Option<u16> {
    let e = a.get(A_FRAME_BASE)?.exprloc_value()?;
    let b = e.0.slice();
    if b.len() == 1 && (constants::DW_OP_reg0.0..=constants::DW_OP_reg31.0).contains(&b[0]) {
        Some(u16::from(b[0] - constants::DW_OP_reg0.0))
    } else {
        None
    }
}

/// The attributes followed through abstract_origin / specification, each taken from the first DIE
/// of the chain that has it. Outer None: no DIE of the chain has the attribute; inner None: the
/// first one found is unusable (an unreadable string, a type that is not a unit reference, a
/// file or line that is not a number).
#[derive(Clone, Copy, Default)]
struct Resolved {
    name: Option<Option<u32>>,
    ty: Option<Option<UnitOffset>>,
    decl_file: Option<Option<u64>>,
    decl_line: Option<Option<u64>>,
}

/// The line-table file index a DW_AT_decl_file / DW_AT_call_file value names.
fn file_index(v: Value<'_>) -> Option<u64> {
    match v {
        AttributeValue::FileIndex(i) => Some(i),
        other => other.udata_value(),
    }
}

fn type_ref(v: Value<'_>) -> Option<UnitOffset> {
    match v {
        AttributeValue::UnitRef(o) => Some(o),
        _ => None,
    }
}

struct UnitReader<'u, 'a: 'u> {
    dwarf: &'u gimli::Dwarf<R<'a>>,
    unit: &'u gimli::Unit<R<'a>>,
    obj: &'u Object<'u>,
    model: &'u mut Model,
    unit_offset: usize,
    /// String id of "?".
    unknown: u32,
    /// line-table file index -> model file id
    files: FastMap<u64, Option<usize>>,
    /// type DIE offset -> string id of its rendered name
    types: FastMap<usize, u32>,
    /// (origin DIE offset, hops from the referring DIE) -> what the chain from there gives
    origins: FastMap<(usize, usize), Resolved>,
    /// (expression bytes, frame base register) -> index into `Model::decoded` (None: empty)
    exprs: FastMap<(&'a [u8], Option<u16>), Option<u32>>,
    /// The same for expressions of at most 8 bytes (nearly all), packed into numbers.
    short_exprs: FastMap<(u64, u32), Option<u32>>,
    /// (string form, offset or index) -> string id
    strs: FastMap<(u8, u64), Option<u32>>,
    /// DW_AT_const_value (None: not an integer) -> index into `Model::decoded`
    consts: FastMap<Option<i64>, u32>,
    /// The encoded ranges of the scopes being read, innermost last (`Span`s index it).
    spans: Vec<(u64, u64)>,
}

/// A slice of `UnitReader::spans`: the encoded ranges a scope's variables live in.
#[derive(Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
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

    fn attr_str(&self, v: Value<'a>) -> Option<String> {
        self.dwarf.attr_string(self.unit, v).ok().map(lossy)
    }

    /// The string an attribute names, interned.
    fn str_id(&mut self, v: Value<'a>) -> Option<u32> {
        // The string forms that name their string by a number: look that up first.
        let key = match v {
            AttributeValue::DebugStrRef(o) => Some((0u8, o.0 as u64)),
            AttributeValue::DebugStrOffsetsIndex(i) => Some((1u8, i.0 as u64)),
            AttributeValue::DebugLineStrRef(o) => Some((2u8, o.0 as u64)),
            _ => None,
        };
        if let Some(k) = key {
            if let Some(&id) = self.strs.get(&k) {
                return id;
            }
        }
        let id = match self.dwarf.attr_string(self.unit, v) {
            Ok(r) => {
                let s = r.to_string_lossy();
                Some(self.model.strings.intern(&s))
            }
            Err(_) => None,
        };
        if let Some(k) = key {
            self.strs.insert(k, id);
        }
        id
    }

    fn string(&self, id: u32) -> String {
        self.model.strings.get(id).to_owned()
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
    fn file_attr(&mut self, v: Option<Value<'a>>) -> Option<usize> {
        self.file_of(file_index(v?)?)
    }

    /// A line-table file index as a model file id.
    fn file_of(&mut self, index: u64) -> Option<usize> {
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
        let mut start = self.model.rows.len();
        let mut sec = 0u64;
        // Consecutive rows mostly name the same file.
        let mut last_file: Option<(u64, u64)> = None;
        loop {
            match rows.next_row() {
                Ok(Some((header, row))) => {
                    let addr = row.address();
                    if self.model.rows.len() == start {
                        sec = addr >> 32;
                    }
                    let index = row.file_index();
                    let file = match last_file {
                        Some((i, f)) if i == index => f,
                        _ => {
                            let f = self.file(header, index).map(|f| f as u64).unwrap_or(u64::MAX);
                            last_file = Some((index, f));
                            f
                        }
                    };
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
                    self.model.rows.push([addr.wrapping_sub(sec << 32), file, line, column, flags]);
                    if row.end_sequence() {
                        let len = self.model.rows.len() - start;
                        self.model.seqs.push(Sequence { sec, start, len });
                        start = self.model.rows.len();
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
        if self.model.rows.len() > start {
            self.model.rows.truncate(start);
            let w = format!("line table of the unit at .debug_info+0x{:x} ends without end_sequence", self.unit_offset);
            self.warn(w);
        }
    }

    // --- DIE helpers -------------------------------------------------------------------------

    /// What the chain starting at the origin DIE `off` (`depth` hops from the referring DIE) gives.
    fn chain(&mut self, off: Option<UnitOffset>, depth: usize) -> Resolved {
        let off = match off {
            Some(o) => o,
            None => return Resolved::default(),
        };
        if depth > MAX_ORIGIN_DEPTH {
            return Resolved::default();
        }
        if let Some(r) = self.origins.get(&(off.0, depth)) {
            return *r;
        }
        let r = match self.unit.entry(off) {
            // An unreadable DIE ends the search.
            Err(_) => Resolved::default(),
            Ok(e) => {
                let a = collect(&e);
                self.resolve(&a, depth + 1)
            }
        };
        self.origins.insert((off.0, depth), r);
        r
    }

    /// A DIE's own attributes `a`, completed through its abstract_origin / specification chain
    /// (the first origin being `depth` hops away).
    fn resolve(&mut self, a: &Attrs<'a>, depth: usize) -> Resolved {
        let next = self.chain(origin(a), depth);
        Resolved {
            name: match a.get(A_NAME) {
                Some(v) => Some(self.str_id(v)),
                None => next.name,
            },
            ty: match a.get(A_TYPE) {
                Some(v) => Some(type_ref(v)),
                None => next.ty,
            },
            decl_file: match a.get(A_DECL_FILE) {
                Some(v) => Some(file_index(v)),
                None => next.decl_file,
            },
            decl_line: match a.get(A_DECL_LINE) {
                Some(v) => Some(v.udata_value()),
                None => next.decl_line,
            },
        }
    }

    /// The encoded address ranges of a DIE (low_pc/high_pc or DW_AT_ranges), as gimli's
    /// `die_ranges` gives them, appended to `spans` (nothing is appended on error). The caller
    /// truncates `spans` when done with them.
    fn ranges(&mut self, e: &mut Entry<'a>) -> Result<Span, gimli::Error> {
        let start = self.spans.len();
        match e.ranges.decided.take() {
            Some(Err(err)) => return Err(err),
            Some(Ok(offset)) => {
                let mut list = self.dwarf.ranges(self.unit, offset)?;
                loop {
                    match list.next() {
                        Ok(Some(r)) => {
                            if r.end > r.begin {
                                self.spans.push((r.begin, r.end));
                            }
                            if self.spans.len() - start >= MAX_LIST_ENTRIES {
                                break;
                            }
                        }
                        Ok(None) => break,
                        Err(err) => {
                            self.spans.truncate(start);
                            return Err(err);
                        }
                    }
                }
            }
            None => {
                let r = &e.ranges;
                if let Some(begin) = r.low_pc {
                    if let Some(end) = r.size.map(|size| begin.wrapping_add(size)).or(r.high_pc) {
                        if end > begin {
                            self.spans.push((begin, end));
                        }
                    }
                }
            }
        }
        Ok(Span { start, end: self.spans.len() })
    }

    /// Adds a scope with the ranges of `span`; returns its index.
    fn add_scope(&mut self, mut scope: Scope, span: Span) -> u32 {
        scope.range_start = self.model.ranges.len();
        scope.range_count = span.end - span.start;
        for i in span.start..span.end {
            let (b, e) = self.spans[i];
            self.model.ranges.push(split(b, e));
        }
        self.model.scopes.push(scope);
        (self.model.scopes.len() - 1) as u32
    }

    /// A location expression, decoded once per distinct bytes; None when it is empty.
    fn decode(&mut self, e: &gimli::Expression<R<'a>>, frame_base: Option<u16>) -> Option<u32> {
        let bytes = e.0.slice();
        let short = if bytes.len() <= 8 {
            let mut packed = 0u64;
            for (i, &b) in bytes.iter().enumerate() {
                packed |= u64::from(b) << (8 * i);
            }
            let fb = frame_base.map_or(0, |r| (u32::from(r) + 1) << 8);
            let key = (packed, bytes.len() as u32 | fb);
            if let Some(&d) = self.short_exprs.get(&key) {
                return d;
            }
            Some(key)
        } else {
            if let Some(&d) = self.exprs.get(&(bytes, frame_base)) {
                return d;
            }
            None
        };
        let decoded = expr::decode(e, self.unit.encoding(), frame_base, &*self);
        let id = decoded.map(|d| {
            let text = self.model.strings.intern(&d.text);
            self.model.decoded.push(Decoded { kind: d.kind, reg: d.reg, offset: d.offset, text });
            (self.model.decoded.len() - 1) as u32
        });
        match short {
            Some(key) => self.short_exprs.insert(key, id),
            None => self.exprs.insert((bytes, frame_base), id),
        };
        id
    }

    // --- the DIE tree ----------------------------------------------------------------------------
    //
    // The unit is read with gimli's lowest-level reader (`EntriesRaw`), each attribute parsed
    // once, in a recursive descent that gives what gimli's `EntriesTree` gives: the same DIEs,
    // the same errors at the same points (an attribute that cannot be parsed ends the unit once
    // its DIE has been used), and the same DW_AT_sibling shortcut over skipped subtrees.

    /// Reads the next DIE of the current sibling list into `e`. False at the list's null entry,
    /// or at the end of the unit.
    fn next_entry(&self, raw: &mut Raw<'u, 'a>, e: &mut Entry<'a>) -> Result<bool, gimli::Error> {
        if raw.is_empty() {
            return Ok(false);
        }
        self.read_entry(raw, e)
    }

    fn read_entry(&self, raw: &mut Raw<'u, 'a>, e: &mut Entry<'a>) -> Result<bool, gimli::Error> {
        let offset = raw.next_offset();
        let abbrev = match raw.read_abbreviation()? {
            Some(a) => a,
            None => return Ok(false),
        };
        e.offset = offset;
        e.tag = abbrev.tag();
        e.has_children = abbrev.has_children();
        e.attrs.clear();
        e.ranges = RangeAttrs::default();
        for spec in abbrev.attributes() {
            match raw.read_attribute(*spec) {
                Ok(attr) => {
                    let name = attr.name();
                    if name == constants::DW_AT_low_pc || name == constants::DW_AT_high_pc || name == constants::DW_AT_ranges {
                        self.note_range(&mut e.ranges, name, attr.value());
                    } else {
                        e.attrs.note(&attr);
                    }
                }
                Err(err) => {
                    e.attrs.error = Some(err);
                    if e.ranges.decided.is_none() {
                        e.ranges.decided = Some(Err(err));
                    }
                    break;
                }
            }
        }
        Ok(true)
    }

    fn note_range(&self, r: &mut RangeAttrs, name: constants::DwAt, v: Value<'a>) {
        if r.decided.is_some() {
            return;
        }
        let address = |v| match self.dwarf.attr_address(self.unit, v) {
            Ok(Some(a)) => Ok(a),
            Ok(None) => Err(gimli::Error::UnsupportedAttributeForm),
            Err(e) => Err(e),
        };
        match name {
            constants::DW_AT_low_pc => match address(v) {
                Ok(a) => r.low_pc = Some(a),
                Err(e) => r.decided = Some(Err(e)),
            },
            constants::DW_AT_high_pc => match v {
                AttributeValue::Udata(size) => r.size = Some(size),
                other => match address(other) {
                    Ok(a) => r.high_pc = Some(a),
                    Err(e) => r.decided = Some(Err(e)),
                },
            },
            // gimli's attr_ranges: the offset, then the list there (which can fail).
            _ => match self.dwarf.attr_ranges_offset(self.unit, v) {
                Ok(Some(offset)) => match self.dwarf.ranges(self.unit, offset) {
                    Ok(_) => r.decided = Some(Ok(offset)),
                    Err(e) => r.decided = Some(Err(e)),
                },
                Ok(None) => {}
                Err(e) => r.decided = Some(Err(e)),
            },
        }
    }

    /// Before reading the children of `e`: a malformed attribute ends the unit here.
    fn enter(e: &mut Entry<'a>) -> Result<(), gimli::Error> {
        match e.attrs.error.take() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    /// Moves past `e`'s subtree without using it: jumps to its DW_AT_sibling when that is valid,
    /// else reads through it.
    fn skip(&self, raw: &mut Raw<'u, 'a>, e: &mut Entry<'a>) -> Result<(), gimli::Error> {
        if self.jump(raw, e) {
            return Ok(());
        }
        Self::enter(e)?;
        if !e.has_children {
            return Ok(());
        }
        let mut depth = 1usize;
        let mut inner = Entry::new();
        loop {
            if raw.is_empty() {
                return Ok(());
            }
            if !self.read_entry(raw, &mut inner)? {
                depth -= 1;
                if depth == 0 {
                    return Ok(());
                }
                continue;
            }
            if self.jump(raw, &mut inner) {
                continue;
            }
            Self::enter(&mut inner)?;
            if inner.has_children {
                depth += 1;
            }
        }
    }

    /// gimli's shortcut: a DIE with children and a DW_AT_sibling after it continues there.
    fn jump(&self, raw: &mut Raw<'u, 'a>, e: &Entry<'a>) -> bool {
        if !e.has_children {
            return false;
        }
        if let Some(AttributeValue::UnitRef(to)) = e.attrs.get(A_SIBLING) {
            if to.0 > e.offset.0 {
                if let Ok(r) = self.unit.entries_raw(Some(to)) {
                    *raw = r;
                    return true;
                }
            }
        }
        false
    }

    // --- functions, inlined subroutines, variables -----------------------------------------------

    fn entries(&mut self) -> Result<(), gimli::Error> {
        let unit = self.unit;
        let mut raw = unit.entries_raw(None)?;
        let mut root = Entry::new();
        if !self.read_entry(&mut raw, &mut root)? {
            return Err(gimli::Error::UnexpectedNull);
        }
        if !root.has_children {
            return Ok(());
        }
        Self::enter(&mut root)?;
        self.top_level(&mut raw, 0)
    }

    fn top_level(&mut self, raw: &mut Raw<'u, 'a>, depth: usize) -> Result<(), gimli::Error> {
        let mut e = Entry::new();
        while self.next_entry(raw, &mut e)? {
            let tag = e.tag;
            if tag == constants::DW_TAG_subprogram {
                self.function(raw, &mut e)?;
            } else if (tag == constants::DW_TAG_namespace || tag == constants::DW_TAG_module) && depth < 8 {
                Self::enter(&mut e)?;
                if e.has_children {
                    self.top_level(raw, depth + 1)?;
                }
            } else {
                self.skip(raw, &mut e)?;
            }
        }
        Ok(())
    }

    fn function(&mut self, raw: &mut Raw<'u, 'a>, e: &mut Entry<'a>) -> Result<(), gimli::Error> {
        let span = match self.ranges(e) {
            Ok(r) => r,
            Err(err) => {
                let w = format!("skipped the function at .debug_info+0x{:x}: bad address ranges: {}", self.unit_offset + e.offset.0, err);
                self.warn(w);
                return self.skip(raw, e);
            }
        };
        if span.start == span.end {
            return self.skip(raw, e); // a declaration or an abstract instance: no code of its own
        }
        let r = self.resolve(&e.attrs, 1);
        let file = match r.decl_file.flatten() {
            Some(i) => self.file_of(i),
            None => None,
        };
        let line = r.decl_line.flatten();
        let frame_base = frame_base(&e.attrs);
        // A function the unit's reading stops inside is dropped, with all it holds.
        let mark = (self.model.scopes.len(), self.model.ranges.len(), self.model.vars.len());
        let scope = Scope {
            inlined: false,
            parent: NO_PARENT,
            name: r.name.flatten(),
            range_start: 0,
            range_count: 0,
            file,
            line,
            column: None,
        };
        let id = self.add_scope(scope, span);
        let read = match Self::enter(e) {
            Ok(()) if e.has_children => self.scope_children(raw, id, span, frame_base, 1),
            other => other,
        };
        self.spans.truncate(span.start);
        if read.is_err() {
            self.model.scopes.truncate(mark.0);
            self.model.ranges.truncate(mark.1);
            self.model.vars.truncate(mark.2);
        }
        read
    }

    fn scope_children(
        &mut self,
        raw: &mut Raw<'u, 'a>,
        scope: u32,
        var_ranges: Span,
        frame_base: Option<u16>,
        depth: usize,
    ) -> Result<(), gimli::Error> {
        let mut e = Entry::new();
        while self.next_entry(raw, &mut e)? {
            let tag = e.tag;
            if tag == constants::DW_TAG_formal_parameter || tag == constants::DW_TAG_variable {
                self.var(&e, scope, var_ranges, frame_base);
                self.skip(raw, &mut e)?;
            } else if tag == constants::DW_TAG_lexical_block || tag == constants::DW_TAG_inlined_subroutine {
                if depth >= MAX_SCOPE_DEPTH {
                    let w = format!(
                        "scopes nested deeper than {} at .debug_info+0x{:x} were skipped",
                        MAX_SCOPE_DEPTH,
                        self.unit_offset + e.offset.0
                    );
                    self.warn(w);
                    self.skip(raw, &mut e)?;
                    continue;
                }
                let span = match self.ranges(&mut e) {
                    Ok(r) => r,
                    Err(err) => {
                        let w = format!("bad address ranges at .debug_info+0x{:x}: {}", self.unit_offset + e.offset.0, err);
                        self.warn(w);
                        let at = self.spans.len();
                        Span { start: at, end: at }
                    }
                };
                let read = if tag == constants::DW_TAG_lexical_block {
                    // Flattened into the enclosing scope; its variables live within its ranges.
                    let r = if span.start == span.end { var_ranges } else { span };
                    match Self::enter(&mut e) {
                        Ok(()) if e.has_children => self.scope_children(raw, scope, r, frame_base, depth + 1),
                        other => other,
                    }
                } else {
                    let name = self.resolve(&e.attrs, 1).name.flatten();
                    let inl = Scope {
                        inlined: true,
                        parent: scope,
                        name,
                        range_start: 0,
                        range_count: 0,
                        file: self.file_attr(e.attrs.get(A_CALL_FILE)),
                        line: e.attrs.get(A_CALL_LINE).and_then(|v| v.udata_value()),
                        column: e.attrs.get(A_CALL_COLUMN).and_then(|v| v.udata_value()),
                    };
                    let id = self.add_scope(inl, span);
                    match Self::enter(&mut e) {
                        Ok(()) if e.has_children => self.scope_children(raw, id, span, frame_base, depth + 1),
                        other => other,
                    }
                };
                self.spans.truncate(span.start);
                read?;
            } else {
                self.skip(raw, &mut e)?;
            }
        }
        Ok(())
    }

    fn var(&mut self, e: &Entry<'a>, scope: u32, ranges: Span, frame_base: Option<u16>) {
        let a = &e.attrs;
        let r = self.resolve(a, 1);
        let param = e.tag == constants::DW_TAG_formal_parameter;
        let ty = match r.ty {
            Some(Some(off)) => Some(self.type_name(off, 0)),
            Some(None) => Some(self.unknown),
            None => None,
        };
        let loc_start = self.model.locs.len();
        let at = self.unit_offset + e.offset.0;
        match (a.get(A_LOCATION), a.error) {
            (Some(v), _) => {
                if let Some(e) = v.exprloc_value() {
                    if let Some(d) = self.decode(&e, frame_base) {
                        for i in ranges.start..ranges.end {
                            let (sec, lo, hi) = split(self.spans[i].0, self.spans[i].1);
                            self.model.locs.push(Loc { sec, lo, hi, d });
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
                                    if let Some(d) = self.decode(&le.data, frame_base) {
                                        let (sec, lo, hi) = split(le.range.begin, le.range.end);
                                        self.model.locs.push(Loc { sec, lo, hi, d });
                                    }
                                    if self.model.locs.len() - loc_start >= MAX_LIST_ENTRIES {
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
            (None, Some(e)) => self.warn(format!("bad DW_AT_location at .debug_info+0x{:x}: {}", at, e)),
            (None, None) => {
                if let Some(v) = a.get(A_CONST_VALUE) {
                    let value = match v {
                        AttributeValue::Sdata(s) => Some(s),
                        ref other => other.udata_value().map(|u| u as i64),
                    };
                    let d = match self.consts.get(&value) {
                        Some(&d) => d,
                        None => {
                            let text = match value {
                                Some(x) => format!("DW_AT_const_value {}", x),
                                None => "DW_AT_const_value <block>".to_string(),
                            };
                            let text = self.model.strings.intern(&text);
                            self.model.decoded.push(Decoded { kind: expr::KIND_CONST, reg: None, offset: value, text });
                            let d = (self.model.decoded.len() - 1) as u32;
                            self.consts.insert(value, d);
                            d
                        }
                    };
                    for i in ranges.start..ranges.end {
                        let (sec, lo, hi) = split(self.spans[i].0, self.spans[i].1);
                        self.model.locs.push(Loc { sec, lo, hi, d });
                    }
                }
            }
        }
        let v = Var { scope, name: r.name.flatten(), param, ty, loc_start, loc_count: self.model.locs.len() - loc_start };
        self.model.vars.push(v);
    }

    // --- C type names ------------------------------------------------------------------------------

    /// The string id of the C name of the type DIE at `off`, rendered once per DIE.
    fn type_name(&mut self, off: UnitOffset, depth: usize) -> u32 {
        if let Some(&s) = self.types.get(&off.0) {
            return s;
        }
        if depth > MAX_TYPE_DEPTH {
            return self.unknown;
        }
        let s = self.render_type(off, depth);
        let id = self.model.strings.intern(&s);
        self.types.insert(off.0, id);
        id
    }

    fn type_string(&mut self, off: UnitOffset, depth: usize) -> String {
        let id = self.type_name(off, depth);
        self.string(id)
    }

    /// The type `a` (a type DIE's attributes) names: None = void, Some("?") = unreadable.
    fn inner_type(&mut self, a: &Attrs<'a>, depth: usize) -> Option<(String, Option<constants::DwTag>, UnitOffset)> {
        match a.get(A_TYPE) {
            Some(AttributeValue::UnitRef(o)) => {
                let tag = self.unit.entry(o).ok().map(|e| e.tag());
                Some((self.type_string(o, depth + 1), tag, o))
            }
            None if a.error.is_none() => None,
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
        let a = collect(&entry);
        let name = self.resolve(&a, 1).name.flatten().map(|id| self.string(id));
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
                match self.inner_type(&a, depth) {
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
                let t = self.inner_type(&a, depth).map(|x| x.0).unwrap_or_else(|| "void".into());
                if t.ends_with('*') {
                    format!("{}{}", t, q)
                } else {
                    format!("{} {}", q, t)
                }
            }
            constants::DW_TAG_array_type => {
                let elem = self.inner_type(&a, depth).map(|x| x.0).unwrap_or_else(|| "void".into());
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
        let a = collect(&entry);
        let ret = self.inner_type(&a, depth).map(|x| x.0).unwrap_or_else(|| "void".into());
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
                Some(o) => self.type_string(o, depth + 1),
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
