//! bpflens_dwarf: reads the DWARF of a BPF ELF object (clang -g -target bpf) and returns it as
//! flat tables: sections, line tables, functions with inlined subroutines, variables with
//! locations.
//!
//! Plain C ABI for WebAssembly (no wasm-bindgen), used by server/src/mapping/dwarf.ts:
//!
//! ```text
//! p = bd_alloc(n); write the object to memory[p..p+n]
//! rc = bd_analyze(p, n)         0: the result is tables, 1: the result is an error message
//! ints   = i32 memory[bd_result_ints_ptr() ..][.. bd_result_ints_len()]
//! floats = f64 memory[bd_result_floats_ptr() ..][.. bd_result_floats_len()]
//! text   = UTF-8 memory[bd_result_ptr() ..][.. bd_result_len()]   (the strings, or the error)
//! bd_result_free(); bd_free(p, n)
//! ```
//!
//! Errors are values; a Rust panic aborts (panic = "abort"), which the host sees as a trap.
//! See wasm/README.md for the table layout.

use std::sync::Mutex;

mod dwarf;
mod elf;
mod expr;
mod out;

use dwarf::Model;
pub use out::Tables;

/// Bumped when the exports or the result layout change incompatibly.
pub const ABI_VERSION: u32 = 2;

static RESULT: Mutex<Tables> = Mutex::new(Tables { ints: Vec::new(), floats: Vec::new(), text: Vec::new() });

fn set_result(t: Tables) {
    if let Ok(mut r) = RESULT.lock() {
        *r = t;
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

/// Reads the object in `ptr[..len]`. Returns 0 when the result is tables, 1 when it is an error
/// message (in the text).
///
/// # Safety
/// `ptr[..len]` must be readable (a `bd_alloc` buffer).
#[no_mangle]
pub unsafe extern "C" fn bd_analyze(ptr: *const u8, len: usize) -> u32 {
    let data: &[u8] = if len == 0 || ptr.is_null() { &[] } else { std::slice::from_raw_parts(ptr, len) };
    // Drop the previous result first: its memory can serve this read.
    set_result(Tables::default());
    match analyze(data) {
        Ok(t) => {
            set_result(t);
            0
        }
        Err(msg) => {
            set_result(Tables { text: msg.into_bytes(), ..Tables::default() });
            1
        }
    }
}

/// The UTF-8 text of the last result: every string of the tables, or the error message.
#[no_mangle]
pub extern "C" fn bd_result_ptr() -> *const u8 {
    match RESULT.lock() {
        Ok(r) => r.text.as_ptr(),
        Err(_) => std::ptr::null(),
    }
}

#[no_mangle]
pub extern "C" fn bd_result_len() -> usize {
    match RESULT.lock() {
        Ok(r) => r.text.len(),
        Err(_) => 0,
    }
}

/// The `i32` tables of the last result (length in elements).
#[no_mangle]
pub extern "C" fn bd_result_ints_ptr() -> *const i32 {
    match RESULT.lock() {
        Ok(r) => r.ints.as_ptr(),
        Err(_) => std::ptr::null(),
    }
}

#[no_mangle]
pub extern "C" fn bd_result_ints_len() -> usize {
    match RESULT.lock() {
        Ok(r) => r.ints.len(),
        Err(_) => 0,
    }
}

/// The `f64` numbers of the last result (length in elements).
#[no_mangle]
pub extern "C" fn bd_result_floats_ptr() -> *const f64 {
    match RESULT.lock() {
        Ok(r) => r.floats.as_ptr(),
        Err(_) => std::ptr::null(),
    }
}

#[no_mangle]
pub extern "C" fn bd_result_floats_len() -> usize {
    match RESULT.lock() {
        Ok(r) => r.floats.len(),
        Err(_) => 0,
    }
}

#[no_mangle]
pub extern "C" fn bd_result_free() {
    set_result(Tables::default());
}

/// Traps on purpose, so the host's recovery from a trap can be tested.
#[no_mangle]
pub extern "C" fn bd_selftest_trap() {
    panic!("bd_selftest_trap");
}

/// The whole pipeline: ELF checks and relocation, DWARF reading, result tables.
pub fn analyze(data: &[u8]) -> Result<Tables, String> {
    let obj = elf::parse(data)?;
    let mut model = Model::default();
    dwarf::read(&obj, &mut model)?;
    model.finish();
    Ok(out::write(&obj, &mut model, ABI_VERSION))
}
