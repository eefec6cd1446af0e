/**
 * BTF reader: the `.BTF` section of a BPF object (or any raw BTF blob, e.g.
 * `/sys/kernel/btf/vmlinux`), either byte order.
 *
 * `readBtf` decodes every type record, checks that every name is a string of the string section
 * and every referenced type id exists, and otherwise fails with an {@link ObjectReadError}. After
 * that, `typeName` renders any id as C (with a guard against reference cycles).
 */
import { ByteView, ObjectReadError, StringTable, guarded } from './read-error';

export type BtfKind =
  | 'int'
  | 'ptr'
  | 'array'
  | 'struct'
  | 'union'
  | 'enum'
  | 'fwd'
  | 'typedef'
  | 'volatile'
  | 'const'
  | 'restrict'
  | 'func'
  | 'func_proto'
  | 'var'
  | 'datasec'
  | 'float'
  | 'decl_tag'
  | 'type_tag'
  | 'enum64';

/** BTF_KIND_* numbers, index = kind number (0 is BTF_KIND_UNKN). */
export const BTF_KINDS: readonly (BtfKind | null)[] = [
  null,
  'int',
  'ptr',
  'array',
  'struct',
  'union',
  'enum',
  'fwd',
  'typedef',
  'volatile',
  'const',
  'restrict',
  'func',
  'func_proto',
  'var',
  'datasec',
  'float',
  'decl_tag',
  'type_tag',
  'enum64',
];

export const BTF_MAGIC = 0xeb9f;

/** BTF_INT_* encoding bits. */
export const BTF_INT_SIGNED = 1;
export const BTF_INT_CHAR = 2;
export const BTF_INT_BOOL = 4;

/** Linkage of FUNC (its vlen) and VAR. */
export const BTF_FUNC_STATIC = 0;
export const BTF_FUNC_GLOBAL = 1;
export const BTF_FUNC_EXTERN = 2;

export interface BtfMember {
  name: string;
  type: number;
  /** Offset of the member in bits from the start of the struct. */
  bitOffset: number;
  /** Bitfield width in bits, 0 when the member is not a bitfield (only set when the struct's kind_flag is). */
  bitfieldSize: number;
}

export interface BtfType {
  id: number;
  kind: BtfKind;
  /** '' when anonymous. */
  name: string;
  /** Number of trailing records (members, params, enumerators, vars); for FUNC, the linkage. */
  vlen: number;
  kindFlag: boolean;
  /** Bytes: int, float, struct, union, enum, enum64, datasec. */
  size?: number;
  /** Referenced type: ptr, typedef, const, volatile, restrict, type_tag, func (its proto), func_proto (return), var, decl_tag, array (element). */
  type?: number;
  members?: BtfMember[];
  params?: { name: string; type: number }[];
  /** func: static/global/extern (0/1/2); var: static/global/extern. */
  linkage?: number;
  int?: { encoding: number; bitOffset: number; bits: number };
  array?: { type: number; indexType: number; nelems: number };
  enumerators?: { name: string; value: bigint }[];
  /** datasec entries. */
  vars?: { type: number; offset: number; size: number }[];
  /** decl_tag: -1 for the type itself, else the member/param index. */
  componentIdx?: number;
}

export interface Btf {
  /** Index = type id; `types[0]` is `void`. */
  types: BtfType[];
  littleEndian: boolean;
  /** The string at `offset` of the string section. Throws ObjectReadError when there is none. */
  string(offset: number): string;
  /**
   * The type rendered as C, e.g. `struct ethhdr *`, `const char *`, `__u32`, `int (*)(void *)`,
   * `char[16]`. With `declarator`, the declaration of that name: `typeName(id, 'buf')` → `char buf[16]`.
   */
  typeName(id: number, declarator?: string): string;
  /** Skips typedefs and const/volatile/restrict/type_tag; returns the id of the underlying type. */
  resolve(id: number): number;
  /** The first type with that name (and kind, if given). */
  find(name: string, kind?: BtfKind): BtfType | undefined;
}

const HDR_MIN = 24;

export interface ReadBtfOptions {
  /** Absolute file offset of `bytes[0]`, so errors name file offsets (e.g. the `.BTF` section's sh_offset). */
  fileOffset?: number;
}

export function readBtf(bytes: Uint8Array, file: string, options: ReadBtfOptions = {}): Btf {
  return guarded(file, () => parseBtf(bytes, file, options.fileOffset ?? 0));
}

function parseBtf(bytes: Uint8Array, file: string, base: number): Btf {
  if (bytes.length < 2) throw new ObjectReadError(file, base, `truncated .BTF: ${bytes.length} bytes, a ${HDR_MIN}-byte header expected`);
  let littleEndian: boolean;
  if (bytes[0] === 0x9f && bytes[1] === 0xeb) littleEndian = true;
  else if (bytes[0] === 0xeb && bytes[1] === 0x9f) littleEndian = false;
  else {
    throw new ObjectReadError(file, base, `bad .BTF magic 0x${bytes[1].toString(16).padStart(2, '0')}${bytes[0].toString(16).padStart(2, '0')}, expected 0xeb9f`);
  }
  const v = new ByteView(bytes, file, littleEndian, base, '.BTF');
  const version = v.u8(2, 'BTF version');
  if (version !== 1) v.fail(2, `unsupported BTF version ${version}, expected 1`);
  const hdrLen = v.u32(4, 'BTF header length');
  if (hdrLen < HDR_MIN) v.fail(4, `BTF header length ${hdrLen} is shorter than ${HDR_MIN}`);
  if (hdrLen > bytes.length) v.fail(4, `BTF header length ${hdrLen} is past the end of .BTF (${bytes.length} bytes)`);
  const typeOff = v.u32(8, 'BTF type_off');
  const typeLen = v.u32(12, 'BTF type_len');
  const strOff = v.u32(16, 'BTF str_off');
  const strLen = v.u32(20, 'BTF str_len');
  if (typeOff % 4 !== 0) v.fail(8, `BTF type section offset ${typeOff} is not 4-byte aligned`);
  const typesView = v.sub(hdrLen + typeOff, typeLen, 'BTF type section', '.BTF type section');
  const strView = v.sub(hdrLen + strOff, strLen, 'BTF string section', '.BTF string section');
  const strings = new StringTable(strView);
  const str = (off: number, what: string): string => (off === 0 ? '' : strings.get(off, what));

  const types: BtfType[] = [{ id: 0, kind: 'int', name: 'void', vlen: 0, kindFlag: false, size: 0 }];
  let p = 0;
  while (p < typeLen) {
    const id = types.length;
    const at = p;
    const nameOff = typesView.u32(p, `type [${id}] name_off`);
    const info = typesView.u32(p + 4, `type [${id}] info`);
    const sizeOrType = typesView.u32(p + 8, `type [${id}] size/type`);
    p += 12;
    const kindNo = (info >>> 24) & 0x1f;
    const kind = BTF_KINDS[kindNo] ?? null;
    if (kind === null) throw typesView.error(at + 4, `type [${id}] has unknown BTF kind ${kindNo}`);
    const vlen = info & 0xffff;
    const kindFlag = info >>> 31 === 1;
    const what = `type [${id}] ${kind.toUpperCase()}`;
    const t: BtfType = { id, kind, name: str(nameOff, `name of ${what}`), vlen, kindFlag };
    const need = (bytesNeeded: number, rec: string): void => typesView.need(p, bytesNeeded, `${what} ${rec}`);
    switch (kind) {
      case 'int': {
        need(4, 'encoding');
        const e = typesView.u32(p, `${what} encoding`);
        t.size = sizeOrType;
        t.int = { encoding: (e >>> 24) & 0xf, bitOffset: (e >>> 16) & 0xff, bits: e & 0xff };
        p += 4;
        break;
      }
      case 'float':
        t.size = sizeOrType;
        break;
      case 'ptr':
      case 'fwd':
      case 'typedef':
      case 'volatile':
      case 'const':
      case 'restrict':
      case 'type_tag':
        if (kind !== 'fwd') t.type = sizeOrType;
        break;
      case 'func':
        t.type = sizeOrType;
        t.linkage = vlen;
        break;
      case 'array': {
        need(12, 'array record');
        const elem = typesView.u32(p, `${what} element type`);
        t.array = { type: elem, indexType: typesView.u32(p + 4, `${what} index type`), nelems: typesView.u32(p + 8, `${what} nelems`) };
        t.type = elem;
        p += 12;
        break;
      }
      case 'struct':
      case 'union': {
        need(12 * vlen, `${vlen} members`);
        t.size = sizeOrType;
        t.members = new Array(vlen);
        for (let i = 0; i < vlen; i++, p += 12) {
          const off = typesView.u32(p + 8, `${what} member ${i} offset`);
          t.members[i] = {
            name: str(typesView.u32(p, `${what} member ${i} name`), `name of ${what} member ${i}`),
            type: typesView.u32(p + 4, `${what} member ${i} type`),
            bitOffset: kindFlag ? off & 0xffffff : off,
            bitfieldSize: kindFlag ? off >>> 24 : 0,
          };
        }
        break;
      }
      case 'enum': {
        need(8 * vlen, `${vlen} enumerators`);
        t.size = sizeOrType;
        t.enumerators = new Array(vlen);
        for (let i = 0; i < vlen; i++, p += 8) {
          const raw = kindFlag ? typesView.i32(p + 4, `${what} value ${i}`) : typesView.u32(p + 4, `${what} value ${i}`);
          t.enumerators[i] = { name: str(typesView.u32(p, `${what} enumerator ${i} name`), `name of ${what} enumerator ${i}`), value: BigInt(raw) };
        }
        break;
      }
      case 'enum64': {
        need(12 * vlen, `${vlen} enumerators`);
        t.size = sizeOrType;
        t.enumerators = new Array(vlen);
        for (let i = 0; i < vlen; i++, p += 12) {
          const lo = BigInt(typesView.u32(p + 4, `${what} value ${i} (low)`));
          const hi = BigInt(typesView.u32(p + 8, `${what} value ${i} (high)`));
          const u = (hi << 32n) | lo;
          t.enumerators[i] = {
            name: str(typesView.u32(p, `${what} enumerator ${i} name`), `name of ${what} enumerator ${i}`),
            value: kindFlag ? BigInt.asIntN(64, u) : u,
          };
        }
        break;
      }
      case 'func_proto': {
        need(8 * vlen, `${vlen} params`);
        t.type = sizeOrType;
        t.params = new Array(vlen);
        for (let i = 0; i < vlen; i++, p += 8) {
          t.params[i] = {
            name: str(typesView.u32(p, `${what} param ${i} name`), `name of ${what} param ${i}`),
            type: typesView.u32(p + 4, `${what} param ${i} type`),
          };
        }
        break;
      }
      case 'var':
        need(4, 'linkage');
        t.type = sizeOrType;
        t.linkage = typesView.u32(p, `${what} linkage`);
        p += 4;
        break;
      case 'datasec': {
        need(12 * vlen, `${vlen} variables`);
        t.size = sizeOrType;
        t.vars = new Array(vlen);
        for (let i = 0; i < vlen; i++, p += 12) {
          t.vars[i] = {
            type: typesView.u32(p, `${what} var ${i} type`),
            offset: typesView.u32(p + 4, `${what} var ${i} offset`),
            size: typesView.u32(p + 8, `${what} var ${i} size`),
          };
        }
        break;
      }
      case 'decl_tag':
        need(4, 'component_idx');
        t.type = sizeOrType;
        t.componentIdx = typesView.i32(p, `${what} component_idx`);
        p += 4;
        break;
    }
    types.push(t);
  }

  // Every reference must name a type that exists (libbpf's and the kernel's sanity check).
  const n = types.length;
  for (let id = 1; id < n; id++) {
    const t = types[id];
    const check = (ref: number, role: string): void => {
      if (ref >= n) {
        throw new ObjectReadError(file, null, `.BTF type [${id}] ${t.kind.toUpperCase()} ${t.name ? `'${t.name}' ` : ''}refers to type [${ref}] as its ${role}, but there are ${n} types`);
      }
    };
    if (t.type !== undefined) check(t.type, t.kind === 'func_proto' ? 'return type' : 'type');
    if (t.array) check(t.array.indexType, 'index type');
    if (t.members) for (const m of t.members) check(m.type, `member ${m.name || '(anon)'}`);
    if (t.params) for (const q of t.params) check(q.type, `param ${q.name || '(anon)'}`);
    if (t.vars) for (const d of t.vars) check(d.type, 'variable');
  }

  return makeBtf(types, littleEndian, (off) => str(off, `string offset ${off}`));
}

const MAX_DEPTH = 64;
const RENDER_BUDGET = 2048;
const TOO_DEEP = Symbol('too deep');
const TOO_LARGE = Symbol('too large');
const QUALIFIERS = new Set<BtfKind>(['const', 'volatile', 'restrict']);

function makeBtf(types: BtfType[], littleEndian: boolean, string: (off: number) => string): Btf {
  const skipModifiers = (id: number): BtfType | undefined => {
    let t = types[id];
    for (let d = 0; t && d < MAX_DEPTH && (QUALIFIERS.has(t.kind) || t.kind === 'type_tag'); d++) t = types[t.type ?? 0];
    return t;
  };

  const join = (base: string, decl: string): string => (decl === '' ? base : decl.startsWith('[') ? base + decl : `${base} ${decl}`);

  // Only a malformed BTF has reference cycles without a named struct in between, or prototypes
  // that fan out through themselves (one render per parameter: exponential). Rendering stops
  // at a depth cap and at a budget of type nodes per typeName call, and prints a placeholder.
  let budget = 0;
  const render = (id: number, decl: string, depth: number): string => {
    if (depth > MAX_DEPTH) throw TOO_DEEP;
    if (--budget < 0) throw TOO_LARGE;
    if (id === 0) return join('void', decl);
    const t = types[id];
    if (!t) return join(`/* no type ${id} */ void`, decl);
    switch (t.kind) {
      case 'int':
      case 'float':
      case 'typedef':
        return join(t.name || '(anon)', decl);
      case 'struct':
      case 'union':
      case 'enum':
      case 'enum64':
      case 'fwd': {
        const tag = t.kind === 'fwd' ? (t.kindFlag ? 'union' : 'struct') : t.kind === 'enum64' ? 'enum' : t.kind;
        return join(`${tag} ${t.name || '{...}'}`, decl);
      }
      case 'ptr': {
        const target = skipModifiers(t.type ?? 0);
        // bpftool's spacing: `char * const p`, `int * (*f)(int)`, `char *p`.
        let inner = /^((const|volatile|restrict)\b|\()/.test(decl) ? `* ${decl}` : `*${decl}`;
        if (target && (target.kind === 'array' || target.kind === 'func_proto')) inner = `(${inner})`;
        return render(t.type ?? 0, inner, depth + 1);
      }
      case 'const':
      case 'volatile':
      case 'restrict': {
        // A run of qualifiers is printed innermost first, as bpftool's btf_dump does
        // (CONST -> VOLATILE -> int is `volatile const int`).
        const quals: string[] = [];
        let cur: BtfType | undefined = t;
        let d = depth;
        for (; cur && QUALIFIERS.has(cur.kind) && d <= MAX_DEPTH; d++) {
          quals.unshift(cur.kind);
          cur = types[cur.type ?? 0];
        }
        const next = cur ? cur.id : 0;
        const q = quals.join(' ');
        if (cur && cur.kind === 'ptr') return render(next, decl ? `${q} ${decl}` : q, d + 1);
        return `${q} ${render(next, decl, d + 1)}`;
      }
      case 'type_tag': {
        const attr = `__attribute__((btf_type_tag("${t.name}")))`;
        return render(t.type ?? 0, decl ? `${attr} ${decl}` : attr, depth + 1);
      }
      case 'array':
        return render(t.array?.type ?? 0, `${decl}[${t.array?.nelems ?? 0}]`, depth + 1);
      case 'func_proto':
        return render(t.type ?? 0, `${decl}(${renderParams(t, false, depth)})`, depth + 1);
      case 'func': {
        const proto = types[t.type ?? 0];
        const name = decl || t.name;
        if (!proto || proto.kind !== 'func_proto') return join('/* not a function prototype */ void', name);
        return render(proto.type ?? 0, `${name}(${renderParams(proto, true, depth)})`, depth + 1);
      }
      case 'var':
        return render(t.type ?? 0, decl || t.name, depth + 1);
      case 'datasec':
        return t.name;
      case 'decl_tag':
        return `__attribute__((btf_decl_tag("${t.name}")))`;
    }
  };

  const renderParams = (proto: BtfType, names: boolean, depth: number): string => {
    const ps = proto.params ?? [];
    if (ps.length === 0) return 'void';
    return ps
      .map((q, i) => (i === ps.length - 1 && q.type === 0 && q.name === '' ? '...' : render(q.type, names ? q.name : '', depth + 1)))
      .join(', ');
  };

  const byName = new Map<string, BtfType[]>();
  for (const t of types) {
    if (t.id === 0 || t.name === '') continue;
    let list = byName.get(t.name);
    if (!list) byName.set(t.name, (list = []));
    list.push(t);
  }

  return {
    types,
    littleEndian,
    string,
    typeName: (id, declarator = '') => {
      budget = RENDER_BUDGET;
      try {
        return render(id, declarator, 0);
      } catch (e) {
        if (e === TOO_DEEP) return join('/* type chain too deep or cyclic */ void', declarator);
        if (e === TOO_LARGE) return join('/* type too large to print */ void', declarator);
        throw e;
      }
    },
    resolve: (id) => {
      let cur = id;
      for (let d = 0; d < MAX_DEPTH; d++) {
        const t = types[cur];
        if (!t || !(QUALIFIERS.has(t.kind) || t.kind === 'type_tag' || t.kind === 'typedef')) return cur;
        cur = t.type ?? 0;
      }
      return cur;
    },
    find: (name, kind) => byName.get(name)?.find((t) => kind === undefined || t.kind === kind),
  };
}
