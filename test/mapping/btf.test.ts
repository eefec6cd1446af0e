/**
 * BTF reader: every type of every fixture object (and of a source written to exercise every C
 * declarator shape clang 14 emits) against `bpftool btf dump` in JSON, and `typeName` against
 * `bpftool btf dump … format c` declaration by declaration. Then hand-built blobs for what clang
 * does not emit (ENUM64, big-endian headers, cycles) and for every malformation.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { readBtf, Btf, BtfType } from '../../server/src/mapping/btf';
import { readElf } from '../../server/src/mapping/elf';
import { ObjectReadError } from '../../server/src/mapping/read-error';
import { FIXTURES, tempDir } from '../helpers/fixtures';

const OBJ = path.join(FIXTURES, 'obj');
const has = (cmd: string): boolean => spawnSync(cmd, ['--version']).status === 0;
const HAVE_BPFTOOL = spawnSync('bpftool', ['version']).status === 0;
const HAVE_CLANG = has('clang');
const MULTIARCH = spawnSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).stdout?.trim() || 'x86_64-linux-gnu';

const tmp = tempDir('bpflens-btf-');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every declarator shape clang 14 puts in BTF. */
const RICH_SRC = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

typedef int (*handler_fn)(void *ctx, int flags);
typedef unsigned long long u64_t;
typedef struct { int a, b; } pair_t;
typedef const char *cstr;
enum color { RED = 1, GREEN = -2, BLUE = 0x7fffffff };
struct inner { int a; char b; };
union both { int i; float f; };
struct rich {
	const char *name;
	char * const fixed;
	const char * const *argv;
	volatile int counter;
	const volatile unsigned long cv;
	int (*cb)(void *, int);
	handler_fn h;
	int matrix[2][3];
	int (*rowp)[3];
	char *ptrs[4];
	struct inner in;
	struct inner *inp;
	union both u;
	enum color c;
	unsigned int flag1: 1;
	unsigned int flag3: 3;
	int sgn: 5;
	u64_t big;
	void *vp;
	void (*vfn)(void);
	long (*vararg)(const char *, ...);
	int *(*ret_ptr)(int);
	struct { int x; int y; } anon_member;
	union { int q; char r[4]; } anon_arr[2];
	pair_t pair;
	cstr s;
	int __attribute__((btf_type_tag("user"))) *tagged;
	float fl;
	double db;
	_Bool ok;
	signed char sc;
	struct fwd_only *fwd;
	union fwd_union *fwdu;
	int * restrict rp;
	const int carr[4];
	struct inner * const *cpp;
	int (*(*fpp)(int))[8];
	void * volatile * const vpp;
};

struct rich rich_global;
int __attribute__((btf_decl_tag("tagged_var"))) tagged_global;

SEC("xdp")
int rich_prog(struct xdp_md *ctx)
{
	return rich_global.counter + tagged_global;
}
char LICENSE[] SEC("license") = "GPL";
`;

function btfOf(file: string): Btf {
  const bytes = fs.readFileSync(file);
  const elf = readElf(bytes, path.basename(file));
  const sec = elf.section('.BTF');
  assert.ok(sec, `${file} has .BTF`);
  return readBtf(sec.data(), path.basename(file), { fileOffset: sec.offset });
}

let richObj = '';
function rich(): string {
  if (!richObj) {
    const src = path.join(tmp, 'rich.c');
    fs.writeFileSync(src, RICH_SRC);
    richObj = path.join(tmp, 'rich.o');
    execFileSync('clang', ['-g', '-O2', '-target', 'bpf', `-I/usr/include/${MULTIARCH}`, '-c', src, '-o', richObj]);
  }
  return richObj;
}

const objects = (): string[] => [
  ...fs.readdirSync(OBJ).filter((f) => f.endsWith('.o')).sort().map((f) => path.join(OBJ, f)),
  ...(HAVE_CLANG ? [rich()] : []),
];

const KIND_ENCODING: Record<string, number> = { '(none)': 0, SIGNED: 1, CHAR: 2, BOOL: 4 };
const LINKAGE: Record<string, number> = { static: 0, global: 1, extern: 2 };

/** bpftool's JSON (enumerator values kept as strings: they do not fit in a double). */
function bpftoolJson(file: string): any[] {
  const raw = execFileSync('bpftool', ['-j', 'btf', 'dump', 'file', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(raw.replace(/"val": ?(-?\d+)/g, '"val":"$1"')).types;
}

/** Our type in bpftool's JSON shape. */
function asBpftool(t: BtfType): any {
  const o: any = { id: t.id, kind: t.kind.toUpperCase(), name: t.name || '(anon)' };
  switch (t.kind) {
    case 'int':
      Object.assign(o, { size: t.size, bits_offset: t.int!.bitOffset, nr_bits: t.int!.bits, encoding: t.int!.encoding });
      break;
    case 'ptr':
    case 'typedef':
    case 'const':
    case 'volatile':
    case 'restrict':
    case 'type_tag':
      o.type_id = t.type;
      break;
    case 'array':
      Object.assign(o, { type_id: t.array!.type, index_type_id: t.array!.indexType, nr_elems: t.array!.nelems });
      break;
    case 'struct':
    case 'union':
      Object.assign(o, {
        size: t.size,
        vlen: t.vlen,
        members: t.members!.map((m) => ({ name: m.name || '(anon)', type_id: m.type, bits_offset: m.bitOffset, ...(m.bitfieldSize ? { bitfield_size: m.bitfieldSize } : {}) })),
      });
      break;
    case 'enum':
      Object.assign(o, { size: t.size, vlen: t.vlen, values: t.enumerators!.map((e) => ({ name: e.name, val: BigInt.asUintN(t.size! * 8, e.value) })) });
      break;
    case 'fwd':
      o.fwd_kind = t.kindFlag ? 'union' : 'struct';
      break;
    case 'func':
      Object.assign(o, { type_id: t.type, linkage: t.linkage });
      break;
    case 'func_proto':
      Object.assign(o, { ret_type_id: t.type, vlen: t.vlen, params: t.params!.map((p) => ({ name: p.name || '(anon)', type_id: p.type })) });
      break;
    case 'var':
      Object.assign(o, { type_id: t.type, linkage: t.linkage });
      break;
    case 'datasec':
      Object.assign(o, { size: t.size, vlen: t.vlen, vars: t.vars!.map((d) => ({ type_id: d.type, offset: d.offset, size: d.size })) });
      break;
    case 'float':
      o.size = t.size;
      break;
    case 'decl_tag':
      Object.assign(o, { type_id: t.type, component_idx: t.componentIdx });
      break;
  }
  return o;
}

/** bpftool's JSON normalised to the same shape (encodings and linkages as numbers, enum values modulo their size). */
function normalise(t: any, size?: number): any {
  const o = { ...t };
  if (o.kind === 'INT') o.encoding = KIND_ENCODING[o.encoding];
  if (o.kind === 'FUNC' || o.kind === 'VAR') o.linkage = LINKAGE[o.linkage];
  if (o.kind === 'ENUM') {
    delete o.encoding;
    o.values = o.values.map((v: any) => ({ name: v.name, val: BigInt.asUintN((size ?? 4) * 8, BigInt(v.val)) }));
  }
  return o;
}

/**
 * bpftool's C output as declarations: struct/union name → member declarations, and the typedef
 * lines; a nested anonymous body is folded to `{...}`, as typeName prints it.
 */
function bpftoolC(file: string): { members: Map<string, string[]>; typedefs: string[]; enums: Map<string, string[]> } {
  const text = execFileSync('bpftool', ['btf', 'dump', 'file', file, 'format', 'c'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const members = new Map<string, string[]>();
  const enums = new Map<string, string[]>();
  const typedefs: string[] = [];
  const lines = text.split('\n');
  /** Folds the body that opens on line `i` (ending in `{`); returns the declaration and the next line index. */
  const fold = (i: number): [string, number] => {
    const head = lines[i].trim().replace(/\{$/, '{...}');
    let depth = 1;
    let j = i + 1;
    for (; j < lines.length && depth > 0; j++) {
      if (/\{$/.test(lines[j])) depth++;
      else if (/^\s*\}/.test(lines[j])) depth--;
    }
    const close = lines[j - 1].trim().replace(/^\}/, '').replace(/;$/, '');
    return [`${head}${close}`, j];
  };
  for (let i = 0; i < lines.length; ) {
    const line = lines[i];
    let m = /^(struct|union) (\w+) \{$/.exec(line);
    if (m) {
      const decls: string[] = [];
      let j = i + 1;
      while (j < lines.length && !/^\};$/.test(lines[j])) {
        if (/\{$/.test(lines[j])) {
          const [d, next] = fold(j);
          decls.push(d);
          j = next;
        } else {
          decls.push(lines[j].trim().replace(/;$/, ''));
          j++;
        }
      }
      members.set(`${m[1]} ${m[2]}`, decls);
      i = j + 1;
      continue;
    }
    m = /^enum (\w+) \{$/.exec(line);
    if (m) {
      const vals: string[] = [];
      let j = i + 1;
      for (; j < lines.length && !/^\};$/.test(lines[j]); j++) vals.push(lines[j].trim().replace(/,$/, ''));
      enums.set(m[1], vals);
      i = j + 1;
      continue;
    }
    if (/^typedef .*\{$/.test(line)) {
      const [d, next] = fold(i);
      typedefs.push(d);
      i = next;
      continue;
    }
    if (/^typedef .*;$/.test(line)) typedefs.push(line.replace(/;$/, ''));
    i++;
  }
  return { members, typedefs, enums };
}

describe('BTF: every type agrees with bpftool btf dump (JSON)', { skip: HAVE_BPFTOOL ? false : 'bpftool not installed' }, () => {
  for (const file of objects()) {
    it(path.basename(file), () => {
      const btf = btfOf(file);
      const theirs = bpftoolJson(file);
      assert.equal(btf.types.length, theirs.length + 1);
      for (const t of theirs) {
        const ours = btf.types[t.id];
        assert.deepEqual(asBpftool(ours), normalise(t, ours.size), `type [${t.id}]`);
      }
    });
  }
});

describe('BTF: typeName declares every member and typedef as bpftool format c does', { skip: HAVE_BPFTOOL ? false : 'bpftool not installed' }, () => {
  for (const file of objects()) {
    it(path.basename(file), () => {
      const btf = btfOf(file);
      const c = bpftoolC(file);
      let checked = 0;
      const named = new Map<string, number>();
      for (const t of btf.types) if ((t.kind === 'struct' || t.kind === 'union') && t.name) named.set(`${t.kind} ${t.name}`, (named.get(`${t.kind} ${t.name}`) ?? 0) + 1);
      for (const [key, decls] of c.members) {
        if (named.get(key) !== 1) continue; // bpftool renames duplicates (___2)
        const t = btf.types.find((x) => `${x.kind} ${x.name}` === key)!;
        const ours = t.members!.map((m) => btf.typeName(m.type, m.name) + (m.bitfieldSize ? `: ${m.bitfieldSize}` : ''));
        assert.deepEqual(ours, decls, key);
        checked += ours.length;
      }
      const ourTypedefs = btf.types.filter((t) => t.kind === 'typedef').map((t) => `typedef ${btf.typeName(t.type!, t.name)}`);
      assert.deepEqual([...ourTypedefs].sort(), [...c.typedefs].sort(), 'typedefs');
      checked += ourTypedefs.length;
      for (const [name, vals] of c.enums) {
        const t = btf.find(name, 'enum')!;
        assert.deepEqual(
          t.enumerators!.map((e) => e.name),
          vals.map((v) => v.split(' = ')[0]),
        );
      }
      assert.ok(checked > 0);
    });
  }

  it('covers the declarator shapes of the rich source', { skip: HAVE_CLANG ? false : 'clang not installed' }, () => {
    const btf = btfOf(rich());
    const decl = (name: string): string => {
      const m = btf.find('rich', 'struct')!.members!.find((x) => x.name === name)!;
      return btf.typeName(m.type, m.name);
    };
    assert.equal(decl('name'), 'const char *name');
    assert.equal(decl('fixed'), 'char * const fixed');
    assert.equal(decl('argv'), 'const char * const *argv');
    assert.equal(decl('cv'), 'volatile const unsigned long cv');
    assert.equal(decl('cb'), 'int (*cb)(void *, int)');
    assert.equal(decl('matrix'), 'int matrix[2][3]');
    assert.equal(decl('rowp'), 'int (*rowp)[3]');
    assert.equal(decl('ptrs'), 'char *ptrs[4]');
    assert.equal(decl('vararg'), 'long (*vararg)(const char *, ...)');
    assert.equal(decl('vfn'), 'void (*vfn)(void)');
    assert.equal(decl('ret_ptr'), 'int * (*ret_ptr)(int)');
    assert.equal(decl('fpp'), 'int (* (*fpp)(int))[8]');
    assert.equal(decl('anon_arr'), 'union {...} anon_arr[2]');
    assert.equal(decl('tagged'), 'int __attribute__((btf_type_tag("user"))) *tagged');
    assert.equal(decl('rp'), 'int * restrict rp');
    assert.equal(decl('carr'), 'const int carr[4]');
  });
});

describe('BTF: typeName without a declarator', () => {
  it('renders the types a hover shows', () => {
    const btf = btfOf(path.join(OBJ, 'subprog_call.o'));
    const ptrTo = (name: string) => btf.types.find((t) => t.kind === 'ptr' && btf.types[t.type!].name === name)!.id;
    assert.equal(btf.typeName(ptrTo('xdp_md')), 'struct xdp_md *');
    assert.equal(btf.typeName(btf.find('__u32', 'typedef')!.id), '__u32');
    assert.equal(btf.typeName(ptrTo('__u64')), '__u64 *');
    assert.equal(btf.typeName(0), 'void');
    assert.equal(btf.typeName(btf.find('count_len', 'func')!.id), 'int count_len(__u32 slot, __u32 len)');
    assert.equal(btf.typeName(btf.find('count_len', 'func')!.type!), 'int (__u32, __u32)');
    assert.equal(btf.typeName(btf.find('LICENSE', 'var')!.id), 'char LICENSE[4]');
    const maps = btf.find('subprog_call_counts', 'var')!;
    assert.equal(btf.typeName(maps.type!), 'struct {...}');
    assert.equal(btf.typeName(btf.types[maps.type!].members![0].type), 'int (*)[2]');
    assert.equal(btf.resolve(btf.find('__u32', 'typedef')!.id), btf.find('unsigned int', 'int')!.id);
  });

  it('const char * and a big-endian build read the same (clang -target bpfeb)', { skip: HAVE_CLANG ? false : 'clang not installed' }, () => {
    const le = btfOf(rich());
    const cstr = le.find('cstr', 'typedef')!;
    assert.equal(le.typeName(cstr.type!), 'const char *');
    const eb = path.join(tmp, 'rich.eb.o');
    execFileSync('clang', ['-g', '-O2', '-target', 'bpfeb', `-I/usr/include/${MULTIARCH}`, '-c', path.join(tmp, 'rich.c'), '-o', eb]);
    const be = btfOf(eb);
    assert.equal(be.littleEndian, false);
    assert.deepEqual(be.types, le.types);
    assert.deepEqual(
      be.types.map((t) => be.typeName(t.id)),
      le.types.map((t) => le.typeName(t.id)),
    );
  });
});

/** A tiny BTF encoder for blobs clang does not produce. */
function encode(types: number[][], strings: string[], opts: { littleEndian?: boolean; hdrLen?: number } = {}): { bytes: Uint8Array; str: (s: string) => number } {
  const le = opts.littleEndian ?? true;
  const offsets = new Map<string, number>();
  let strSec = '\0';
  for (const s of strings) {
    offsets.set(s, strSec.length);
    strSec += `${s}\0`;
  }
  const words = types.flat();
  const hdrLen = opts.hdrLen ?? 24;
  const typeLen = words.length * 4;
  const strBytes = new TextEncoder().encode(strSec);
  const bytes = new Uint8Array(hdrLen + typeLen + strBytes.length);
  const dv = new DataView(bytes.buffer);
  dv.setUint16(0, 0xeb9f, le);
  dv.setUint8(2, 1);
  dv.setUint32(4, hdrLen, le);
  dv.setUint32(8, 0, le);
  dv.setUint32(12, typeLen, le);
  dv.setUint32(16, typeLen, le);
  dv.setUint32(20, strBytes.length, le);
  words.forEach((w, i) => dv.setUint32(hdrLen + i * 4, w >>> 0, le));
  bytes.set(strBytes, hdrLen + typeLen);
  return { bytes, str: (s) => offsets.get(s)! };
}

const info = (kind: number, vlen = 0, kflag = false): number => ((kflag ? 1 : 0) << 31) | (kind << 24) | vlen;

function expectError(fn: () => unknown, what: RegExp, offset?: number | null): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ObjectReadError, `expected ObjectReadError, got ${String(e)}`);
    assert.match(e.what, what);
    if (offset !== undefined) assert.equal(e.offset, offset, e.message);
    return true;
  });
}

describe('BTF: hand-built blobs', () => {
  const strings = ['int', 'e64', 'A', 'B', 'node', 'next'];
  const s = (x: string) => strings.indexOf(x) >= 0 ? encode([], strings).str(x) : 0;

  it('ENUM64, signed and unsigned, in either byte order', () => {
    for (const littleEndian of [true, false]) {
      const { bytes } = encode(
        [
          [s('int'), info(1), 4, (1 << 24) | 32],
          [s('e64'), info(19, 2, true), 8, s('A'), 0xffffffff, 0xffffffff, s('B'), 0, 1],
        ],
        strings,
        { littleEndian },
      );
      const btf = readBtf(bytes, 'blob');
      assert.equal(btf.littleEndian, littleEndian);
      assert.deepEqual(btf.types[2].enumerators, [
        { name: 'A', value: -1n },
        { name: 'B', value: 1n << 32n },
      ]);
      assert.equal(btf.typeName(2), 'enum e64');
      assert.equal(btf.types[1].int!.encoding, 1);
    }
  });

  it('a reference cycle renders without hanging', () => {
    // [1] PTR -> [2] CONST -> [1]; [3] TYPEDEF node -> [3]
    const { bytes } = encode([[0, info(2), 2], [0, info(10), 1], [s('node'), info(8), 3]], strings);
    const btf = readBtf(bytes, 'blob');
    assert.match(btf.typeName(1), /too deep or cyclic/);
    assert.equal(btf.typeName(3), 'node');
    assert.equal(typeof btf.resolve(3), 'number');
    assert.equal(typeof btf.resolve(1), 'number');
  });

  it('prototypes that fan out through themselves render within a budget', () => {
    // [1] FUNC_PROTO returning [2] with 60 params of type [2]; [2] PTR -> [1]: exponential if unguarded.
    const params = Array.from({ length: 60 }, () => [0, 2]).flat();
    const { bytes } = encode([[0, info(13, 60), 2, ...params], [0, info(2), 1]], strings);
    const btf = readBtf(bytes, 'blob');
    const t0 = performance.now();
    const name = btf.typeName(1);
    // A hang guard, not a speed claim: unguarded, this case takes minutes.
    assert.ok(performance.now() - t0 < 2000);
    assert.match(name, /too (large|deep)/);
  });

  it('a header longer than 24 bytes (future fields) is skipped', () => {
    const { bytes } = encode([[s('int'), info(1), 4, 32]], strings, { hdrLen: 32 });
    assert.equal(readBtf(bytes, 'blob').types[1].name, 'int');
  });

  it('errors name the file, the offset and the expectation', () => {
    const good = encode([[s('int'), info(1), 4, 32], [s('node'), info(4, 1), 4, s('next'), 1, 0]], strings).bytes;
    assert.equal(readBtf(good, 'blob').types[2].members![0].name, 'next');
    const broken = (edit: (dv: DataView) => void): Uint8Array => {
      const b = good.slice();
      edit(new DataView(b.buffer));
      return b;
    };
    expectError(() => readBtf(new Uint8Array(0), 'blob', { fileOffset: 100 }), /truncated \.BTF: 0 bytes/, 100);
    expectError(() => readBtf(broken((d) => d.setUint16(0, 0x1234, true)), 'blob', { fileOffset: 100 }), /bad \.BTF magic 0x1234, expected 0xeb9f/, 100);
    expectError(() => readBtf(broken((d) => d.setUint8(2, 9)), 'blob'), /unsupported BTF version 9/, 2);
    expectError(() => readBtf(good.subarray(0, 20), 'blob'), /BTF header length 24 is past the end of \.BTF \(20 bytes\)/, 4);
    expectError(() => readBtf(broken((d) => d.setUint32(4, 8, true)), 'blob'), /header length 8 is shorter than 24/, 4);
    expectError(() => readBtf(broken((d) => d.setUint32(12, 0x7ffffff0, true)), 'blob', { fileOffset: 1000 }), /BTF type section needs 2147483632 bytes/);
    expectError(() => readBtf(broken((d) => d.setUint32(24 + 4, info(25), true)), 'blob', { fileOffset: 1000 }), /type \[1\] has unknown BTF kind 25/, 1000 + 24 + 4);
    expectError(() => readBtf(broken((d) => d.setUint32(24 + 16 + 4, info(4, 999), true)), 'blob'), /type \[2\] STRUCT 999 members needs 11988 bytes/);
    expectError(() => readBtf(broken((d) => d.setUint32(24 + 16 + 16, 77, true)), 'blob'), /type \[2\] STRUCT 'node' refers to type \[77\] as its member next, but there are 3 types/);
    expectError(() => readBtf(broken((d) => d.setUint32(24, 5000, true)), 'blob'), /name of type \[1\] INT: string offset 5000 is outside \.BTF string section/);
    // A string section whose last string has no NUL.
    const noNul = good.slice(0, good.length - 1);
    new DataView(noNul.buffer).setUint32(20, new DataView(good.buffer).getUint32(20, true) - 1, true);
    expectError(() => readBtf(noNul, 'blob'), /has no terminating NUL/);
  });
});
