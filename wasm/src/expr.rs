//! DWARF location expressions: decode the operations to text and classify the common shapes
//! (`reg`, `val`, `mem`, `const`, `addr`); everything else is `expr`.

use gimli::{constants, EndianSlice, Encoding, Expression, Operation, Reader, RunTimeEndian};

type R<'a> = EndianSlice<'a, RunTimeEndian>;

/// Location kinds (`Decoded::kind`); the host names them `reg`, `val`, `mem`, `const`, `addr`,
/// `expr`, in this order.
pub const KIND_REG: u8 = 0;
pub const KIND_VAL: u8 = 1;
pub const KIND_MEM: u8 = 2;
pub const KIND_CONST: u8 = 3;
pub const KIND_ADDR: u8 = 4;
pub const KIND_EXPR: u8 = 5;

pub struct Decoded {
    /// One of the `KIND_*` codes.
    pub kind: u8,
    pub reg: Option<u64>,
    pub offset: Option<i64>,
    pub text: String,
}

/// What decoding needs from the surrounding unit.
pub trait Context {
    /// The address `DW_OP_addrx` / `DW_OP_constx` index `i` names.
    fn addr_index(&self, index: usize) -> Option<u64>;
    /// Render an (encoded `(section << 32) + offset`) address.
    fn addr_text(&self, addr: u64) -> String;
}

const MAX_OPS: usize = 64;

/// Decode `expr`. `frame_base` is the register the function's `DW_AT_frame_base` names, used for
/// `DW_OP_fbreg`. Returns `None` for an empty expression (the variable is optimized out there).
pub fn decode<'a>(
    expr: &Expression<R<'a>>,
    encoding: Encoding,
    frame_base: Option<u16>,
    ctx: &dyn Context,
) -> Option<Decoded> {
    let mut ops: Vec<(u8, Operation<R<'a>>)> = Vec::new();
    let mut text = String::new();
    let ok = decode_ops(expr, encoding, ctx, &mut ops, &mut text, 0);
    if ok && ops.is_empty() {
        return None;
    }
    let mut d = Decoded { kind: KIND_EXPR, reg: None, offset: None, text };
    if !ok {
        return Some(d);
    }
    let is_breg = |op: u8| {
        (constants::DW_OP_breg0.0..=constants::DW_OP_breg31.0).contains(&op) || op == constants::DW_OP_bregx.0
    };
    match ops.as_slice() {
        [(_, Operation::Register { register })] => {
            d.kind = KIND_REG;
            d.reg = Some(u64::from(register.0));
        }
        [(op, Operation::RegisterOffset { register, offset, .. })] if is_breg(*op) => {
            d.kind = KIND_MEM;
            d.reg = Some(u64::from(register.0));
            d.offset = Some(*offset);
        }
        [(op, Operation::RegisterOffset { register, offset, .. }), (_, Operation::StackValue)] if is_breg(*op) => {
            d.kind = KIND_VAL;
            d.reg = Some(u64::from(register.0));
            d.offset = Some(*offset);
        }
        [(_, Operation::FrameOffset { offset })] if frame_base.is_some() => {
            d.kind = KIND_MEM;
            d.reg = frame_base.map(u64::from);
            d.offset = Some(*offset);
        }
        [(_, Operation::FrameOffset { offset }), (_, Operation::StackValue)] if frame_base.is_some() => {
            d.kind = KIND_VAL;
            d.reg = frame_base.map(u64::from);
            d.offset = Some(*offset);
        }
        [(_, Operation::UnsignedConstant { value }), (_, Operation::StackValue)] => {
            d.kind = KIND_CONST;
            d.offset = Some(*value as i64);
        }
        [(_, Operation::SignedConstant { value }), (_, Operation::StackValue)] => {
            d.kind = KIND_CONST;
            d.offset = Some(*value);
        }
        [(_, Operation::Address { address })] => {
            d.kind = KIND_ADDR;
            d.offset = Some((*address & 0xffff_ffff) as i64);
        }
        [(_, Operation::AddressIndex { index })] => {
            d.kind = KIND_ADDR;
            d.offset = ctx.addr_index(index.0).map(|a| (a & 0xffff_ffff) as i64);
        }
        _ => {}
    }
    Some(d)
}

/// Appends the decoded operations of `expr` to `text` ("DW_OP_breg1 +14, DW_OP_stack_value").
/// Returns false when the expression is malformed (the text then ends in `<bad: ...>`).
fn decode_ops<'a>(
    expr: &Expression<R<'a>>,
    encoding: Encoding,
    ctx: &dyn Context,
    ops: &mut Vec<(u8, Operation<R<'a>>)>,
    text: &mut String,
    depth: usize,
) -> bool {
    let mut bytes = expr.0;
    let mut count = 0;
    while !bytes.is_empty() {
        if count == MAX_OPS {
            text.push_str(", ...");
            return false;
        }
        let opcode = match bytes.clone().read_u8() {
            Ok(b) => b,
            Err(_) => break,
        };
        if count > 0 {
            text.push_str(", ");
        }
        count += 1;
        let op = match Operation::parse(&mut bytes, encoding) {
            Ok(op) => op,
            Err(e) => {
                text.push_str(&format!("<bad: {}>", e));
                return false;
            }
        };
        render(opcode, &op, encoding, ctx, text, depth);
        ops.push((opcode, op));
    }
    true
}

fn render(opcode: u8, op: &Operation<R<'_>>, encoding: Encoding, ctx: &dyn Context, text: &mut String, depth: usize) {
    let dw = constants::DwOp(opcode);
    let name = match dw.static_string() {
        Some(s) => s.to_string(),
        None => format!("DW_OP_0x{:02x}", opcode),
    };
    let s = match *op {
        Operation::Register { register } => {
            if dw == constants::DW_OP_regx {
                format!("{} {}", name, register.0)
            } else {
                name
            }
        }
        Operation::RegisterOffset { register, offset, base_type } => {
            if dw == constants::DW_OP_bregx {
                format!("{} {} {:+}", name, register.0, offset)
            } else if dw == constants::DW_OP_regval_type || dw == constants::DW_OP_GNU_regval_type {
                format!("{} {} 0x{:x}", name, register.0, base_type.0)
            } else {
                format!("{} {:+}", name, offset)
            }
        }
        Operation::FrameOffset { offset } => format!("{} {:+}", name, offset),
        Operation::UnsignedConstant { value } => {
            if (constants::DW_OP_lit0.0..=constants::DW_OP_lit31.0).contains(&opcode) {
                name
            } else {
                format!("{} {}", name, value)
            }
        }
        Operation::SignedConstant { value } => format!("{} {}", name, value),
        Operation::PlusConstant { value } => format!("{} {}", name, value),
        Operation::Piece { size_in_bits, bit_offset } => match bit_offset {
            Some(o) => format!("{} {} {}", name, size_in_bits, o),
            None => format!("{} {}", name, size_in_bits / 8),
        },
        Operation::Address { address } => format!("{} {}", name, ctx.addr_text(address)),
        Operation::AddressIndex { index } | Operation::ConstantIndex { index } => match ctx.addr_index(index.0) {
            Some(a) => format!("{} {} ({})", name, index.0, ctx.addr_text(a)),
            None => format!("{} {}", name, index.0),
        },
        Operation::Pick { index } => {
            if dw == constants::DW_OP_pick {
                format!("{} {}", name, index)
            } else {
                name
            }
        }
        Operation::Bra { target } | Operation::Skip { target } => format!("{} {:+}", name, target),
        Operation::Deref { size, .. } => {
            if dw == constants::DW_OP_deref_size || dw == constants::DW_OP_xderef_size {
                format!("{} {}", name, size)
            } else {
                name
            }
        }
        Operation::ImplicitValue { ref data } => format!("{} {} bytes", name, data.len()),
        Operation::EntryValue { ref expression } => {
            let mut inner = String::new();
            let mut inner_ops = Vec::new();
            if depth < 2 {
                decode_ops(&Expression(*expression), encoding, ctx, &mut inner_ops, &mut inner, depth + 1);
            } else {
                inner.push_str("...");
            }
            format!("{}({})", name, inner)
        }
        Operation::ImplicitPointer { value, byte_offset } => {
            format!("{} 0x{:x} {:+}", name, value.0, byte_offset)
        }
        Operation::ParameterRef { offset }
        | Operation::Convert { base_type: offset }
        | Operation::Reinterpret { base_type: offset }
        | Operation::TypedLiteral { base_type: offset, .. } => format!("{} 0x{:x}", name, offset.0),
        Operation::Call { .. } => name,
        Operation::WasmLocal { index } | Operation::WasmGlobal { index } | Operation::WasmStack { index } => {
            format!("{} {}", name, index)
        }
        _ => name,
    };
    text.push_str(&s);
}
