//! bpflens_dwarf: reads the DWARF of a BPF ELF object (clang -g -target bpf) and returns it as
//! JSON: sections, line tables, functions with inlined subroutines, variables with locations.
//!
//! Plain C ABI for WebAssembly (no wasm-bindgen), used by server/src/mapping/dwarf.ts:
//!
//! ```text
//! p = bd_alloc(n); write the object to memory[p..p+n]
//! rc = bd_analyze(p, n)         0: result is JSON, 1: result is an error message
//! text = memory[bd_result_ptr() .. + bd_result_len()]   (UTF-8)
//! bd_result_free(); bd_free(p, n)
//! ```
//!
//! Errors are values; a Rust panic aborts (panic = "abort"), which the host sees as a trap.
//! See wasm/README.md for the JSON model.

use std::sync::Mutex;

mod dwarf;
mod elf;
mod expr;
mod json;

use dwarf::{Model, Scope};
use json::Json;

/// Bumped when the exports or the JSON model change incompatibly.
pub const ABI_VERSION: u32 = 1;

static RESULT: Mutex<Vec<u8>> = Mutex::new(Vec::new());

fn set_result(bytes: Vec<u8>) {
    if let Ok(mut r) = RESULT.lock() {
        *r = bytes;
    }
}

#[no_mangle]
pub extern "C" fn bd_abi_version() -> u32 {
    ABI_VERSION
}

/// Allocates `len` bytes for the host to write the object into.
#[no_mangle]
pub extern "C" fn bd_alloc(len: usize) -> *mut u8 {
    let b = vec![0u8; len].into_boxed_slice();
    Box::into_raw(b) as *mut u8
}

/// Frees a buffer from `bd_alloc` (same `len`).
///
/// # Safety
/// `ptr`/`len` must come from one `bd_alloc` call and be freed once.
#[no_mangle]
pub unsafe extern "C" fn bd_free(ptr: *mut u8, len: usize) {
    if ptr.is_null() {
        return;
    }
    drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)));
}

/// Reads the object in `ptr[..len]`. Returns 0 when the result is JSON, 1 when it is an error
/// message.
///
/// # Safety
/// `ptr[..len]` must be readable (a `bd_alloc` buffer).
#[no_mangle]
pub unsafe extern "C" fn bd_analyze(ptr: *const u8, len: usize) -> u32 {
    let data: &[u8] = if len == 0 || ptr.is_null() { &[] } else { std::slice::from_raw_parts(ptr, len) };
    match analyze(data) {
        Ok(json) => {
            set_result(json.into_bytes());
            0
        }
        Err(msg) => {
            set_result(msg.into_bytes());
            1
        }
    }
}

#[no_mangle]
pub extern "C" fn bd_result_ptr() -> *const u8 {
    match RESULT.lock() {
        Ok(r) => r.as_ptr(),
        Err(_) => std::ptr::null(),
    }
}

#[no_mangle]
pub extern "C" fn bd_result_len() -> usize {
    match RESULT.lock() {
        Ok(r) => r.len(),
        Err(_) => 0,
    }
}

#[no_mangle]
pub extern "C" fn bd_result_free() {
    set_result(Vec::new());
}

/// Traps on purpose, so the host's recovery from a trap can be tested.
#[no_mangle]
pub extern "C" fn bd_selftest_trap() {
    panic!("bd_selftest_trap");
}

/// The whole pipeline: ELF checks and relocation, DWARF reading, JSON.
pub fn analyze(data: &[u8]) -> Result<String, String> {
    let obj = elf::parse(data)?;
    let mut model = Model::default();
    dwarf::read(&obj, &mut model)?;
    model.finish();
    Ok(to_json(&obj, &model))
}

fn to_json(obj: &elf::Object, m: &Model) -> String {
    let mut j = Json::new();
    j.raw("{\"v\":");
    j.u(u64::from(ABI_VERSION));

    j.raw(",\"sections\":[");
    let mut first = true;
    for s in obj.sections.iter().filter(|s| s.alloc) {
        j.comma(&mut first);
        j.raw("{\"idx\":");
        j.u(s.index as u64);
        j.raw(",\"name\":");
        j.str(&s.name);
        j.raw(",\"size\":");
        j.u(s.size);
        j.raw(",\"exec\":");
        j.bool(s.exec);
        j.raw("}");
    }

    j.raw("],\"files\":[");
    let mut first = true;
    for f in &m.files {
        j.comma(&mut first);
        j.str(f);
    }

    j.raw("],\"lines\":[");
    let mut first = true;
    for seq in &m.lines {
        j.comma(&mut first);
        j.raw("{\"sec\":");
        j.u(seq.sec);
        j.raw(",\"rows\":[");
        let mut first_v = true;
        for row in &seq.rows {
            for (k, v) in row.iter().enumerate() {
                j.comma(&mut first_v);
                if k == 1 && *v == u64::MAX {
                    j.null();
                } else {
                    j.u(*v);
                }
            }
        }
        j.raw("]}");
    }

    j.raw("],\"funcs\":[");
    let mut first = true;
    for f in &m.funcs {
        j.comma(&mut first);
        scope_json(&mut j, f);
    }

    j.raw("],\"warnings\":[");
    let mut first = true;
    for w in &m.warnings {
        j.comma(&mut first);
        j.str(w);
    }
    j.raw("]}");
    j.out
}

fn scope_json(j: &mut Json, s: &Scope) {
    j.raw("{\"name\":");
    j.opt_str(s.name.as_deref());
    j.raw(",\"ranges\":[");
    let mut first = true;
    for &(sec, lo, hi) in &s.ranges {
        j.comma(&mut first);
        j.raw("[");
        j.u(sec);
        j.raw(",");
        j.u(lo);
        j.raw(",");
        j.u(hi);
        j.raw("]");
    }
    j.raw("],");
    if s.inlined {
        j.key("callFile");
        j.opt_u(s.file.map(|f| f as u64));
        j.raw(",");
        j.key("callLine");
        j.opt_u(s.line);
        j.raw(",");
        j.key("callColumn");
        j.opt_u(s.column);
    } else {
        j.key("file");
        j.opt_u(s.file.map(|f| f as u64));
        j.raw(",");
        j.key("line");
        j.opt_u(s.line);
    }
    j.raw(",\"vars\":[");
    let mut first = true;
    for v in &s.vars {
        j.comma(&mut first);
        j.raw("{\"name\":");
        j.opt_str(v.name.as_deref());
        j.raw(",\"param\":");
        j.bool(v.param);
        j.raw(",\"type\":");
        j.opt_str(v.ty.as_deref());
        j.raw(",\"locs\":[");
        let mut first_l = true;
        for l in &v.locs {
            j.comma(&mut first_l);
            j.raw("[");
            j.u(l.sec);
            j.raw(",");
            j.u(l.lo);
            j.raw(",");
            j.u(l.hi);
            j.raw(",");
            j.str(l.d.kind);
            j.raw(",");
            j.opt_u(l.d.reg);
            j.raw(",");
            j.opt_i(l.d.offset);
            j.raw(",");
            j.str(&l.d.text);
            j.raw("]");
        }
        j.raw("]}");
    }
    j.raw("],\"inl\":[");
    let mut first = true;
    for i in &s.inl {
        j.comma(&mut first);
        scope_json(j, i);
    }
    j.raw("]}");
}
