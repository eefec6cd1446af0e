/**
 * BTF.ext reader: func_info against the symbol table (llvm-readobj), line_info against the sources
 * the fixtures were built from, against `llvm-objdump -dl` (lines) and against the DWARF line table
 * (`llvm-dwarfdump --debug-line`, lines and columns); CO-RE relocations against the immediates
 * clang wrote into the instructions; then corruptions, which are errors (func_info, line_info) or
 * warnings (CO-RE).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { readBtfExt } from '../../server/src/mapping/btf-ext';
import { readElf } from '../../server/src/mapping/elf';
import { readObject, BpfObject } from '../../server/src/mapping/object';
import { ObjectReadError } from '../../server/src/mapping/read-error';
import { FIXTURES, ROOT, tempDir } from '../helpers/fixtures';

const OBJ = path.join(FIXTURES, 'obj');
const objects = fs.readdirSync(OBJ).filter((f) => f.endsWith('.o')).sort();
const has = (cmd: string): boolean => spawnSync(cmd, ['--version']).status === 0;
const HAVE_LLVM = has('llvm-readobj') && has('llvm-objdump') && has('llvm-dwarfdump');
const HAVE_CLANG = has('clang');
const MULTIARCH = spawnSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).stdout?.trim() || 'x86_64-linux-gnu';

const tmp = tempDir('bpflens-btfext-');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function obj(name: string): BpfObject {
  return readObject(fs.readFileSync(path.join(OBJ, name)), name);
}

function compile(source: string, name: string, target = 'bpf'): string {
  const src = path.join(tmp, `${name}.c`);
  fs.writeFileSync(src, source);
  const out = path.join(tmp, `${name}.${target}.o`);
  execFileSync('clang', ['-g', '-O2', '-target', target, `-I/usr/include/${MULTIARCH}`, '-c', src, '-o', out]);
  return out;
}

const isFuncStart = (o: BpfObject, section: string, offset: number): boolean =>
  o.btfExt!.funcInfo.some((f) => f.section === section && f.insnOffset === offset);

describe('BTF.ext func_info: one record per function, as the symbol table has them (llvm-readobj)', { skip: HAVE_LLVM ? false : 'llvm not installed' }, () => {
  for (const name of objects) {
    it(name, () => {
      const o = obj(name);
      assert.deepEqual(o.warnings, []);
      const out = execFileSync('llvm-readobj', ['--elf-output-style=JSON', '-s', path.join(OBJ, name)], { encoding: 'utf8' });
      const syms = (Object.values((JSON.parse(out) as Record<string, any>[])[0])[0] as any).Symbols.map((s: any) => s.Symbol);
      const funcs = syms
        .filter((s: any) => s.Type.RawValue === 2)
        .map((s: any) => `${s.Section.Value}+${s.Value} ${s.Name.Value}`)
        .sort();
      assert.deepEqual(o.btfExt!.funcInfo.map((f) => `${f.section}+${f.insnOffset} ${f.name}`).sort(), funcs);
      for (const f of o.btfExt!.funcInfo) assert.equal(o.btf!.types[f.typeId].kind, 'func');
    });
  }
});

describe('BTF.ext line_info agrees with the sources, llvm-objdump -dl and the DWARF line table', () => {
  for (const name of objects) {
    it(name, { skip: HAVE_LLVM ? false : 'llvm not installed' }, () => {
      const o = obj(name);
      const lines = o.btfExt!.lineInfo;
      assert.ok(lines.length > 0);
      // 1. The text is the source line: the fixtures were compiled from test/fixtures/src/<name>.c.
      for (const l of lines) {
        if (l.line === 0) {
          assert.equal(l.text, '', 'line 0 (compiler-generated code) has no text');
          continue;
        }
        const src = path.join(ROOT, l.file);
        assert.ok(fs.existsSync(src), `${l.file} exists`);
        assert.equal(l.text, fs.readFileSync(src, 'utf8').split('\n')[l.line - 1], `${l.section}+${l.insnOffset}`);
        assert.ok(l.insnOffset % 8 === 0 && l.insnOffset < o.elf.section(l.section)!.size);
      }
      // 2. llvm-objdump -dl's line for each instruction (it keeps the previous line across line-0 rows).
      const objdumpLine = new Map<string, Map<number, number>>();
      for (const section of new Set(lines.map((l) => l.section))) {
        const dis = execFileSync('llvm-objdump', ['-dl', '--no-show-raw-insn', `--section=${section}`, path.join(OBJ, name)], { encoding: 'utf8' });
        const atInsn = new Map<number, number>();
        let cur = -1;
        for (const line of dis.split('\n')) {
          const m = /^; .*:(\d+)$/.exec(line);
          if (m) cur = Number(m[1]);
          const i = /^\s+(\d+):\t/.exec(line);
          if (i) atInsn.set(Number(i[1]), cur);
        }
        objdumpLine.set(section, atInsn);
      }
      // 3. Every line > 0 is the one llvm-objdump shows, except that at a function's first
      //    instruction clang's BTFDebug may record the declaration line (the subprogram's line,
      //    where DWARF has its scope line): then the text names the function.
      let compared = 0;
      for (const l of lines.filter((x) => x.line > 0)) {
        const theirs = objdumpLine.get(l.section)!.get(l.insnOffset / 8);
        const fn = o.btfExt!.funcInfo.find((f) => f.section === l.section && f.insnOffset === l.insnOffset);
        if (fn && l.line !== theirs) assert.ok(l.text.includes(`${fn.name}(`), `${fn.name} starts at its declaration: ${l.text}`);
        else assert.equal(l.line, theirs, `${l.section}+${l.insnOffset}`);
        compared++;
      }
      assert.ok(compared > 0);
      for (const f of o.btfExt!.funcInfo) assert.ok(lines.some((l) => l.section === f.section && l.insnOffset === f.insnOffset), `${f.name} has a line_info at its start`);
      // 4. With one code section there is one line sequence: line and column are a row of it.
      const codeSections = new Set(o.programs.map((p) => p.section));
      if (codeSections.size === 1) {
        const dump = execFileSync('llvm-dwarfdump', ['--debug-line', path.join(OBJ, name)], { encoding: 'utf8' });
        const rows = new Set<string>();
        for (const line of dump.split('\n')) {
          const m = /^0x([0-9a-f]{16})\s+(\d+)\s+(\d+)\s/.exec(line);
          if (m) rows.add(`${parseInt(m[1], 16)} ${m[2]}:${m[3]}`);
        }
        // Line-0 records mark code without a location (BTFDebug's own), not DWARF rows.
        for (const l of lines.filter((x) => x.line > 0 && !isFuncStart(o, x.section, x.insnOffset))) {
          assert.ok(rows.has(`${l.insnOffset} ${l.line}:${l.column}`), `${l.section}+${l.insnOffset} ${l.line}:${l.column} is a DWARF row`);
        }
      }
    });
  }
});

const CORE_SRC = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_like {
	int pad;
	long state;
	struct {
		int a;
		int b;
	} nested;
} __attribute__((preserve_access_index));

SEC("kprobe/x")
int core_prog(struct task_like *t)
{
	long s = BPF_CORE_READ(t, state);
	int b = BPF_CORE_READ(t, nested.b);

	return (s + b + bpf_core_field_exists(t->pad) + bpf_core_field_size(t->state)) & 1;
}
char LICENSE[] SEC("license") = "GPL";
`;

describe('BTF.ext CO-RE relocations', { skip: HAVE_CLANG ? false : 'clang not installed' }, () => {
  it('decode to the access paths whose values clang wrote into the instructions', () => {
    const file = compile(CORE_SRC, 'core');
    const o = readObject(fs.readFileSync(file), 'core.o');
    const relos = o.btfExt!.coreRelos;
    assert.deepEqual(
      relos.map((r) => [r.section, o.btf!.typeName(r.typeId), r.accessString, r.kindName]),
      [
        ['kprobe/x', 'struct task_like', '0:1', 'field_byte_offset'],
        ['kprobe/x', 'struct task_like', '0:2:1', 'field_byte_offset'],
        ['kprobe/x', 'struct task_like', '0:0', 'field_exists'],
        ['kprobe/x', 'struct task_like', '0:1', 'field_byte_size'],
      ],
    );
    const prog = o.programs.find((p) => p.name === 'core_prog')!;
    for (const r of relos) {
      // Walk the access path through our BTF: the expected value of the relocated immediate.
      let t = o.btf!.types[o.btf!.resolve(r.typeId)];
      let bits = 0;
      let size = t.size!;
      for (const idx of r.accessString.split(':').slice(1).map(Number)) {
        const m = t.members![idx];
        bits += m.bitOffset;
        t = o.btf!.types[o.btf!.resolve(m.type)];
        size = t.size!;
      }
      const expected = r.kindName === 'field_byte_offset' ? bits / 8 : r.kindName === 'field_byte_size' ? size : 1;
      assert.equal(prog.insns()[r.insnOffset / 8].imm, expected, `${r.accessString} ${r.kindName}`);
    }
  });

  it('a malformed CO-RE subsection is a warning; func_info and line_info stay', () => {
    const file = compile(CORE_SRC, 'core');
    const bytes = new Uint8Array(fs.readFileSync(file));
    const elf = readElf(bytes, 'core.o');
    const ext = elf.section('.BTF.ext')!;
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    const hdrLen = dv.getUint32(ext.offset + 4, true);
    const coreOff = dv.getUint32(ext.offset + 24, true);
    dv.setUint32(ext.offset + hdrLen + coreOff, 3, true); // record size 3 < 16
    const o = readObject(bytes, 'core.o');
    assert.ok(o.btfExt);
    assert.equal(o.btfExt.coreRelos.length, 0);
    assert.ok(o.btfExt.funcInfo.length > 0 && o.btfExt.lineInfo.length > 0);
    assert.equal(o.warnings.length, 1);
    assert.match(o.warnings[0], /^core\.o: CO-RE relocations skipped: core_relo record size 3, expected a multiple of 4 of at least 16 \(at byte \d+\)/);
  });
});

describe('BTF.ext big-endian (clang -target bpfeb)', { skip: HAVE_CLANG ? false : 'clang not installed' }, () => {
  it('reads the same records as the little-endian build', () => {
    const src = fs.readFileSync(path.join(FIXTURES, 'src', 'subprog_call.c'), 'utf8');
    const le = readObject(fs.readFileSync(compile(src, 'sc')), 'le.o');
    const be = readObject(fs.readFileSync(compile(src, 'sc', 'bpfeb')), 'be.o');
    assert.equal(be.elf.littleEndian, false);
    assert.deepEqual(be.btfExt, le.btfExt);
    assert.ok(be.btfExt!.lineInfo.length > 10);
  });
});

describe('BTF.ext errors', () => {
  const name = 'subprog_call.o';
  const base = fs.readFileSync(path.join(OBJ, name));
  const elf = readElf(base, name);
  const ext = elf.section('.BTF.ext')!;
  const { btf } = obj(name);
  const le = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const hdrLen = le(ext.data()).getUint32(4, true);
  const funcOff = hdrLen + le(ext.data()).getUint32(8, true);
  const lineOff = hdrLen + le(ext.data()).getUint32(16, true);

  /** Reads a copy of .BTF.ext with one u32 (at an offset inside the section) replaced. */
  const withU32 = (at: number, value: number) => {
    const b = new Uint8Array(ext.data()); // a copy (Buffer#slice would share memory)
    le(b).setUint32(at, value, true);
    return () => readBtfExt(b, btf!, name, { fileOffset: ext.offset });
  };
  const fails = (fn: () => unknown, what: RegExp, offset?: number): void => {
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof ObjectReadError, `expected ObjectReadError, got ${String(e)}`);
      assert.match(e.what, what);
      assert.equal(e.file, name);
      if (offset !== undefined) assert.equal(e.offset, offset, e.message);
      return true;
    });
  };

  it('reads the original', () => {
    const r = readBtfExt(ext.data(), btf!, name, { fileOffset: ext.offset });
    assert.deepEqual(r.funcInfo.map((f) => [f.section, f.insnOffset, f.name]), [
      ['xdp', 0, 'subprog_call_xdp'],
      ['.text', 0, 'count_len'],
      ['tc', 0, 'subprog_call_tc'],
    ]);
    assert.deepEqual(r.warnings, []);
  });

  it('header', () => {
    fails(() => readBtfExt(new Uint8Array(1), btf!, name, { fileOffset: ext.offset }), /truncated \.BTF\.ext/, ext.offset);
    fails(withU32(0, 0x12345678), /bad \.BTF\.ext magic 0x5678, expected 0xeb9f/, ext.offset);
    fails(withU32(4, 8), /header length 8 is shorter than 24/, ext.offset + 4);
    fails(withU32(4, 1 << 20), /header length 1048576 is past the end/, ext.offset + 4);
    fails(withU32(12, 1 << 30), /func_info subsection needs 1073741824 bytes/);
  });

  it('records', () => {
    fails(withU32(funcOff, 4), /func_info record size 4, expected a multiple of 4 of at least 8/, ext.offset + funcOff);
    fails(withU32(lineOff, 18), /line_info record size 18/, ext.offset + lineOff);
    fails(withU32(funcOff + 4, 99999), /func_info section header: section name offset 99999 is not a string of \.BTF/, ext.offset + funcOff + 4);
    fails(withU32(funcOff + 8, 0), /func_info for section xdp has no records/, ext.offset + funcOff + 8);
    fails(withU32(funcOff + 8, 0x10000000), /268435456 func_info records of 8 bytes for section xdp/);
    fails(withU32(funcOff + 16, 100000), /func_info of xdp\+0 refers to BTF type \[100000\], but there are \d+ types/, ext.offset + funcOff + 16);
    fails(withU32(funcOff + 16, 1), /func_info of xdp\+0 refers to BTF type \[1\], a PTR, not a FUNC/);
    fails(withU32(lineOff + 16, 1 << 30), /line_info of xdp\+0: file name offset 1073741824 is not a string of \.BTF/, ext.offset + lineOff + 12);
  });

  it('readObject turns a broken .BTF.ext into a warning and keeps the rest', () => {
    const b = new Uint8Array(base);
    le(b).setUint32(ext.offset + funcOff, 4, true);
    const o = readObject(b, name);
    assert.equal(o.btfExt, null);
    assert.ok(o.btf);
    assert.equal(o.programs.length, 3);
    assert.equal(o.warnings.length, 1);
    assert.match(o.warnings[0], /^subprog_call\.o: \.BTF\.ext ignored: func_info record size 4, expected a multiple of 4 of at least 8 \(at byte \d+\)$/);
  });

  it('readObject turns a broken .BTF into a warning and skips .BTF.ext', () => {
    const b = new Uint8Array(base);
    const btfSec = elf.section('.BTF')!;
    b[btfSec.offset] = 0;
    const o = readObject(b, name);
    assert.equal(o.btf, null);
    assert.equal(o.btfExt, null);
    assert.equal(o.warnings.length, 2);
    assert.match(o.warnings[0], /^subprog_call\.o: \.BTF ignored: bad \.BTF magic 0xeb00, expected 0xeb9f \(at byte \d+\)$/);
    assert.match(o.warnings[1], /^subprog_call\.o: \.BTF\.ext ignored because \.BTF could not be read$/);
  });

  it('an object without BTF reads with a warning', { skip: HAVE_CLANG ? false : 'clang not installed' }, () => {
    const src = path.join(tmp, 'nobtf.c');
    fs.copyFileSync(path.join(FIXTURES, 'src', 'xdp_pass.c'), src);
    const out = path.join(tmp, 'nobtf.o');
    execFileSync('clang', ['-O2', '-target', 'bpf', `-I/usr/include/${MULTIARCH}`, '-c', src, '-o', out]);
    const o = readObject(fs.readFileSync(out), 'nobtf.o');
    assert.equal(o.btf, null);
    assert.equal(o.btfExt, null);
    assert.equal(o.programs.length, 1);
    assert.match(o.warnings.join('\n'), /no \.BTF section/);
  });
});
