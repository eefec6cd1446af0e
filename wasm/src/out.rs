//! The result of a read as flat tables, which the host reads straight out of linear memory (no
//! JSON to build and parse): an `i32` array of tables, an `f64` array for the rare numbers that do
//! not fit in an `i32`, and a UTF-8 blob of every distinct string. The layout is described in
//! wasm/README.md ("Result tables") and decoded by server/src/mapping/dwarf.ts.

use crate::dwarf::{Model, NO_PARENT};
use crate::elf::Object;

/// A number that is null (no value).
pub const NULL: i32 = i32::MIN;
/// Numbers in [SMALL_MIN, i32::MAX] are stored as they are; a number outside is stored in the
/// `f64` array at index k, and its slot holds `SMALL_MIN - 1 - k`.
pub const SMALL_MIN: i64 = -(1 << 30);
/// Most `f64` entries (so that every escape stays above NULL). Never reached: each needs a DWARF
/// value, and 2^30 of them do not fit in wasm32 memory.
const MAX_FLOATS: usize = (1 << 30) - 2;

pub const HEADER: usize = 13;
pub const SECTION: usize = 4;
pub const SEQ: usize = 3;
pub const ROW: usize = 5;
pub const SCOPE: usize = 10;
pub const RANGE: usize = 3;
pub const VAR: usize = 5;
pub const LOC: usize = 4;
pub const DECODED: usize = 4;

#[derive(Default)]
pub struct Tables {
    pub ints: Vec<i32>,
    pub floats: Vec<f64>,
    /// Every string, concatenated; their lengths (in UTF-16 code units) are in `ints`.
    pub text: Vec<u8>,
}

impl Tables {
    #[inline(always)]
    fn raw(&mut self, v: usize) {
        self.ints.push(v as i32);
    }

    #[inline(always)]
    fn big(&mut self, v: f64) {
        let k = self.floats.len();
        if k >= MAX_FLOATS {
            self.ints.push(NULL);
            return;
        }
        self.floats.push(v);
        self.ints.push((SMALL_MIN - 1 - k as i64) as i32);
    }

    #[inline(always)]
    fn u(&mut self, v: u64) {
        if v <= i32::MAX as u64 {
            self.ints.push(v as i32);
        } else {
            self.big(v as f64);
        }
    }

    #[inline(always)]
    fn i(&mut self, v: i64) {
        if (SMALL_MIN..=i64::from(i32::MAX)).contains(&v) {
            self.ints.push(v as i32);
        } else {
            self.big(v as f64);
        }
    }

    #[inline(always)]
    fn opt_u(&mut self, v: Option<u64>) {
        match v {
            Some(v) => self.u(v),
            None => self.ints.push(NULL),
        }
    }

    #[inline(always)]
    fn opt_i(&mut self, v: Option<i64>) {
        match v {
            Some(v) => self.i(v),
            None => self.ints.push(NULL),
        }
    }

    #[inline(always)]
    fn opt_str(&mut self, id: Option<u32>) {
        match id {
            Some(id) => self.ints.push(id as i32),
            None => self.ints.push(NULL),
        }
    }
}

/// Groups items by their group id (`parent[i]`, ids >= n belong to no group): `(start, items)`
/// where the members of group `g` are `items[start[g] .. start[g + 1]]`, in the order they come.
fn group(n: usize, parent: impl Iterator<Item = u32> + Clone) -> (Vec<u32>, Vec<u32>) {
    let mut start = vec![0u32; n + 1];
    for p in parent.clone() {
        let p = p as usize;
        if p < n {
            start[p + 1] += 1;
        }
    }
    for g in 0..n {
        start[g + 1] += start[g];
    }
    let mut next = start.clone();
    let mut items = vec![0u32; start[n] as usize];
    for (i, p) in parent.enumerate() {
        let p = p as usize;
        if p < n {
            items[next[p] as usize] = i as u32;
            next[p] += 1;
        }
    }
    (start, items)
}

/// Lays out the model. Scopes are numbered breadth-first, functions first, so that the inlined
/// subroutines of a scope are consecutive; so are its variables. Ranges keep the model's order
/// (each scope's are consecutive there already).
pub fn write(obj: &Object, m: &mut Model, version: u32) -> Tables {
    let sections: Vec<_> = obj.sections.iter().filter(|s| s.alloc).collect();
    let section_names: Vec<u32> = sections.iter().map(|s| m.strings.add(&s.name)).collect();
    let files: Vec<u32> = {
        let names = std::mem::take(&mut m.files);
        let ids = names.iter().map(|f| m.strings.add(f)).collect();
        m.files = names;
        ids
    };
    let warnings: Vec<u32> = {
        let ws = std::mem::take(&mut m.warnings);
        let ids = ws.iter().map(|w| m.strings.add(w)).collect();
        m.warnings = ws;
        ids
    };

    let n = m.scopes.len();
    let (child_start, children) = group(n, m.scopes.iter().map(|s| s.parent));
    let (var_start, var_list) = group(n, m.vars.iter().map(|v| v.scope));
    // Breadth-first: order[i]'s children are order[first_child[i] ..][.. their count].
    let mut order: Vec<u32> = Vec::with_capacity(n);
    order.extend(m.scopes.iter().enumerate().filter(|(_, s)| s.parent == NO_PARENT).map(|(i, _)| i as u32));
    let n_funcs = order.len();
    let mut first_child: Vec<u32> = Vec::with_capacity(n);
    let mut i = 0;
    while i < order.len() {
        let s = order[i] as usize;
        first_child.push(order.len() as u32);
        order.extend_from_slice(&children[child_start[s] as usize..child_start[s + 1] as usize]);
        i += 1;
    }

    let mut t = Tables::default();
    let strings = &m.strings.list;
    let text_len: usize = strings.iter().map(|s| s.len()).sum();
    t.ints.reserve(
        HEADER
            + strings.len()
            + sections.len() * SECTION
            + files.len()
            + m.seqs.len() * SEQ
            + m.rows.len() * ROW
            + order.len() * SCOPE
            + m.ranges.len() * RANGE
            + var_list.len() * VAR
            + m.locs.len() * LOC
            + m.decoded.len() * DECODED
            + warnings.len(),
    );
    t.text.reserve(text_len);

    for v in [
        version as usize,
        strings.len(),
        sections.len(),
        files.len(),
        m.seqs.len(),
        m.rows.len(),
        n_funcs,
        order.len(),
        m.ranges.len(),
        var_list.len(),
        m.locs.len(),
        m.decoded.len(),
        warnings.len(),
    ] {
        t.raw(v);
    }

    for s in strings {
        t.text.extend_from_slice(s.as_bytes());
        // UTF-16 length: the host slices the decoded blob.
        let units: usize = if s.is_ascii() { s.len() } else { s.chars().map(char::len_utf16).sum() };
        t.raw(units);
    }

    for (s, &name) in sections.iter().zip(&section_names) {
        t.u(s.index as u64);
        t.raw(name as usize);
        t.u(s.size);
        t.raw(usize::from(s.exec));
    }
    for &f in &files {
        t.raw(f as usize);
    }
    for seq in &m.seqs {
        t.u(seq.sec);
        t.raw(seq.start);
        t.raw(seq.len);
    }
    for row in &m.rows {
        t.u(row[0]);
        if row[1] == u64::MAX {
            t.ints.push(NULL);
        } else {
            t.u(row[1]);
        }
        t.u(row[2]);
        t.u(row[3]);
        t.u(row[4]);
    }

    let mut var_at = 0usize;
    for (&id, &first) in order.iter().zip(&first_child) {
        let s = &m.scopes[id as usize];
        let id = id as usize;
        let n_children = (child_start[id + 1] - child_start[id]) as usize;
        let n_vars = (var_start[id + 1] - var_start[id]) as usize;
        t.opt_str(s.name);
        t.raw(s.range_start);
        t.raw(s.range_count);
        t.opt_u(s.file.map(|f| f as u64));
        t.opt_u(s.line);
        t.opt_u(s.column);
        t.raw(var_at);
        t.raw(n_vars);
        t.raw(first as usize);
        t.raw(n_children);
        var_at += n_vars;
    }
    for &(sec, lo, hi) in &m.ranges {
        t.u(sec);
        t.u(lo);
        t.u(hi);
    }
    for &id in &order {
        let id = id as usize;
        for &v in &var_list[var_start[id] as usize..var_start[id + 1] as usize] {
            let v = &m.vars[v as usize];
            t.opt_str(v.name);
            t.raw(usize::from(v.param));
            t.opt_str(v.ty);
            t.raw(v.loc_start);
            t.raw(v.loc_count);
        }
    }
    for l in &m.locs {
        t.u(l.sec);
        t.u(l.lo);
        t.u(l.hi);
        t.raw(l.d as usize);
    }
    for d in &m.decoded {
        t.raw(usize::from(d.kind));
        t.opt_u(d.reg);
        t.opt_i(d.offset);
        t.raw(d.text as usize);
    }
    for &w in &warnings {
        t.raw(w as usize);
    }
    t
}
