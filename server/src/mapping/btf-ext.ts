/**
 * BTF.ext reader: the `.BTF.ext` section of a BPF object, with its func_info and line_info
 * subsections (and the CO-RE relocations, decoded when they are well formed).
 *
 * In an object file every record belongs to an ELF section, named through the BTF string table,
 * and `insn_off` is a byte offset inside that section (libbpf converts it to an instruction index
 * of the assembled program only at load time).
 */
import type { Btf } from './btf';
import { ByteView, ObjectReadError, guarded } from './read-error';

export interface FuncInfo {
  section: string;
  /** Byte offset in `section`. */
  insnOffset: number;
  /** A BTF FUNC type. */
  typeId: number;
  /** The FUNC's name. */
  name: string;
}

export interface LineInfo {
  section: string;
  /** Byte offset in `section`. */
  insnOffset: number;
  file: string;
  /** 1-based source line. */
  line: number;
  /** 1-based column, 0 when unknown (10 bits: capped at 1023). */
  column: number;
  /** The source line's text as the compiler saw it. */
  text: string;
}

/** `enum bpf_core_relo_kind` names, index = kind number. */
export const CORE_RELO_KINDS = [
  'field_byte_offset',
  'field_byte_size',
  'field_exists',
  'field_signed',
  'field_lshift_u64',
  'field_rshift_u64',
  'type_id_local',
  'type_id_target',
  'type_exists',
  'type_size',
  'enumval_exists',
  'enumval_value',
  'type_matches',
] as const;

export interface CoreRelo {
  section: string;
  /** Byte offset in `section`. */
  insnOffset: number;
  typeId: number;
  /** e.g. `0:1:2`: the access path of the relocated field, as indexes. */
  accessString: string;
  kind: number;
  kindName: string;
}

export interface BtfExt {
  funcInfo: FuncInfo[];
  lineInfo: LineInfo[];
  coreRelos: CoreRelo[];
  /** Parts that were skipped (e.g. a malformed CO-RE subsection); func_info and line_info are whole. */
  warnings: string[];
}

export interface ReadBtfExtOptions {
  /** Absolute file offset of `bytes[0]` (the `.BTF.ext` section's sh_offset), for error offsets. */
  fileOffset?: number;
}

const HDR_MIN = 24;

export function readBtfExt(bytes: Uint8Array, btf: Btf, file: string, options: ReadBtfExtOptions = {}): BtfExt {
  return guarded(file, () => parseBtfExt(bytes, btf, file, options.fileOffset ?? 0));
}

interface Subsection {
  label: string;
  minRecord: number;
  offset: number;
  length: number;
  /** Field offsets of the header words, for error messages. */
  hdrField: number;
}

function parseBtfExt(bytes: Uint8Array, btf: Btf, file: string, base: number): BtfExt {
  if (bytes.length < 2) throw new ObjectReadError(file, base, `truncated .BTF.ext: ${bytes.length} bytes, a ${HDR_MIN}-byte header expected`);
  let littleEndian: boolean;
  if (bytes[0] === 0x9f && bytes[1] === 0xeb) littleEndian = true;
  else if (bytes[0] === 0xeb && bytes[1] === 0x9f) littleEndian = false;
  else {
    throw new ObjectReadError(file, base, `bad .BTF.ext magic 0x${bytes[1].toString(16).padStart(2, '0')}${bytes[0].toString(16).padStart(2, '0')}, expected 0xeb9f`);
  }
  const v = new ByteView(bytes, file, littleEndian, base, '.BTF.ext');
  const version = v.u8(2, 'BTF.ext version');
  if (version !== 1) v.fail(2, `unsupported BTF.ext version ${version}, expected 1`);
  const hdrLen = v.u32(4, 'BTF.ext header length');
  if (hdrLen < HDR_MIN) v.fail(4, `BTF.ext header length ${hdrLen} is shorter than ${HDR_MIN}`);
  if (hdrLen > bytes.length) v.fail(4, `BTF.ext header length ${hdrLen} is past the end of .BTF.ext (${bytes.length} bytes)`);

  const sub = (label: string, minRecord: number, hdrField: number): Subsection => ({
    label,
    minRecord,
    offset: v.u32(hdrField, `${label} offset`),
    length: v.u32(hdrField + 4, `${label} length`),
    hdrField,
  });

  const sectionName = (off: number, what: string, at: ByteView, pos: number): string => {
    try {
      return btf.string(off);
    } catch (e) {
      if (e instanceof ObjectReadError) at.fail(pos, `${what}: section name offset ${off} is not a string of .BTF`);
      throw e;
    }
  };

  /** Calls `record(view, offset, section)` for every record of a subsection. */
  const walk = (s: Subsection, record: (rv: ByteView, o: number, section: string, sectionOffset: number) => void): void => {
    if (s.length === 0) return;
    const sv = v.sub(hdrLen + s.offset, s.length, `${s.label} subsection`, `.BTF.ext ${s.label}`);
    const recSize = sv.u32(0, `${s.label} record size`);
    if (recSize < s.minRecord || recSize % 4 !== 0) sv.fail(0, `${s.label} record size ${recSize}, expected a multiple of 4 of at least ${s.minRecord}`);
    let p = 4;
    while (p < s.length) {
      const nameOff = sv.u32(p, `${s.label} section header`);
      const count = sv.u32(p + 4, `${s.label} record count`);
      const section = sectionName(nameOff, `${s.label} section header`, sv, p);
      if (count === 0) sv.fail(p + 4, `${s.label} for section ${section} has no records`);
      p += 8;
      sv.need(p, count * recSize, `${count} ${s.label} records of ${recSize} bytes for section ${section}`);
      for (let i = 0; i < count; i++, p += recSize) record(sv, p, section, sv.u32(p, `${s.label} insn_off`));
    }
  };

  const typeOf = (id: number, rv: ByteView, pos: number, what: string): void => {
    if (id >= btf.types.length) rv.fail(pos, `${what} refers to BTF type [${id}], but there are ${btf.types.length} types`);
  };

  const funcInfo: FuncInfo[] = [];
  walk(sub('func_info', 8, 8), (rv, o, section, insnOffset) => {
    const typeId = rv.u32(o + 4, 'func_info type_id');
    typeOf(typeId, rv, o + 4, `func_info of ${section}+${insnOffset}`);
    const t = btf.types[typeId];
    if (t.kind !== 'func') rv.fail(o + 4, `func_info of ${section}+${insnOffset} refers to BTF type [${typeId}], a ${t.kind.toUpperCase()}, not a FUNC`);
    funcInfo.push({ section, insnOffset, typeId, name: t.name });
  });

  const lineInfo: LineInfo[] = [];
  walk(sub('line_info', 16, 16), (rv, o, section, insnOffset) => {
    const fileOff = rv.u32(o + 4, 'line_info file_name_off');
    const lineOff = rv.u32(o + 8, 'line_info line_off');
    const lineCol = rv.u32(o + 12, 'line_info line_col');
    const str = (off: number, what: string): string => {
      try {
        return btf.string(off);
      } catch (e) {
        if (e instanceof ObjectReadError) rv.fail(o, `line_info of ${section}+${insnOffset}: ${what} offset ${off} is not a string of .BTF`);
        throw e;
      }
    };
    lineInfo.push({ section, insnOffset, file: str(fileOff, 'file name'), line: lineCol >>> 10, column: lineCol & 0x3ff, text: str(lineOff, 'line text') });
  });

  const coreRelos: CoreRelo[] = [];
  const warnings: string[] = [];
  if (hdrLen >= 32) {
    try {
      const found: CoreRelo[] = [];
      walk(sub('core_relo', 16, 24), (rv, o, section, insnOffset) => {
        const typeId = rv.u32(o + 4, 'core_relo type_id');
        typeOf(typeId, rv, o + 4, `CO-RE relocation of ${section}+${insnOffset}`);
        const kind = rv.u32(o + 12, 'core_relo kind');
        found.push({
          section,
          insnOffset,
          typeId,
          accessString: btf.string(rv.u32(o + 8, 'core_relo access_str_off')),
          kind,
          kindName: CORE_RELO_KINDS[kind] ?? `kind ${kind}`,
        });
      });
      coreRelos.push(...found);
    } catch (e) {
      if (!(e instanceof ObjectReadError)) throw e;
      warnings.push(`${file}: CO-RE relocations skipped: ${e.what}${e.offset !== null ? ` (at byte ${e.offset})` : ''}`);
    }
  }
  return { funcInfo, lineInfo, coreRelos, warnings };
}
