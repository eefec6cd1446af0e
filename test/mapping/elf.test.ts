/**
 * ELF reader: every fixture object read section by section, symbol by symbol and relocation by
 * relocation, and checked against LLVM's own readers (`llvm-readobj --elf-output-style=JSON`,
 * `llvm-readelf -r`); a big-endian build of a fixture (`-target bpfeb`); and the errors on inputs
 * that are not BPF objects or are cut or corrupted in a known place.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { readElf, ElfFile, SHT_NOBITS, SHF_EXECINSTR } from '../../server/src/mapping/elf';
import { ObjectReadError } from '../../server/src/mapping/read-error';
import { FIXTURES, tempDir } from '../helpers/fixtures';

const OBJ = path.join(FIXTURES, 'obj');
const objects = fs.readdirSync(OBJ).filter((f) => f.endsWith('.o')).sort();
const has = (cmd: string): boolean => spawnSync(cmd, ['--version']).status === 0;
const HAVE_LLVM = has('llvm-readobj') && has('llvm-readelf');
const HAVE_CLANG = has('clang') && has('llvm-objdump');

function load(file: string): { bytes: Uint8Array; elf: ElfFile } {
  const bytes = fs.readFileSync(file);
  return { bytes, elf: readElf(bytes, path.basename(file)) };
}

function readobjJson(file: string, flag: string): any {
  const out = execFileSync('llvm-readobj', ['--elf-output-style=JSON', flag, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const doc = JSON.parse(out) as Record<string, any>[];
  return Object.values(doc[0])[0];
}

/** `llvm-readelf -r`: target section name → [offset, type, symbol index] rows. */
function readelfRelocs(file: string): Map<number, [number, number, number][]> {
  const out = execFileSync('llvm-readelf', ['-r', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const sections = readobjJson(file, '-S').Sections.map((s: any) => s.Section);
  const byOffset = new Map<number, any>(sections.map((s: any) => [s.Offset, s]));
  const result = new Map<number, [number, number, number][]>();
  let rows: [number, number, number][] | null = null;
  for (const line of out.split('\n')) {
    const head = /^Relocation section '.*' at offset 0x([0-9a-f]+) contains/.exec(line);
    if (head) {
      const relSec = byOffset.get(parseInt(head[1], 16));
      rows = [];
      result.set(relSec.Info, rows);
      continue;
    }
    const row = /^([0-9a-f]{16})\s+([0-9a-f]{16})\s+\S+/.exec(line);
    if (row && rows) {
      const info = BigInt(`0x${row[2]}`);
      rows.push([parseInt(row[1], 16), Number(info & 0xffffffffn), Number(info >> 32n)]);
    }
  }
  return result;
}

function expectError(fn: () => unknown, what: RegExp, offset?: number | null): ObjectReadError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ObjectReadError, `expected ObjectReadError, got ${String(caught)}`);
  assert.match(caught.what, what);
  if (offset !== undefined) assert.equal(caught.offset, offset, caught.message);
  return caught;
}

/** A mutable copy of a fixture with a little-endian field overwritten. */
function patched(name: string, edits: [offset: number, size: 1 | 2 | 4 | 8, value: number | bigint][]): Uint8Array {
  const bytes = new Uint8Array(fs.readFileSync(path.join(OBJ, name)));
  const dv = new DataView(bytes.buffer);
  for (const [o, size, value] of edits) {
    if (size === 1) dv.setUint8(o, Number(value));
    else if (size === 2) dv.setUint16(o, Number(value), true);
    else if (size === 4) dv.setUint32(o, Number(value), true);
    else dv.setBigUint64(o, BigInt(value), true);
  }
  return bytes;
}

function shdr(name: string, index: number): number {
  const bytes = fs.readFileSync(path.join(OBJ, name));
  const shoff = Number(bytes.readBigUInt64LE(40));
  return shoff + index * 64;
}

describe('ELF: fixture objects agree with llvm-readobj / llvm-readelf', { skip: HAVE_LLVM ? false : 'llvm-readobj not installed' }, () => {
  for (const name of objects) {
    it(name, () => {
      const file = path.join(OBJ, name);
      const { bytes, elf } = load(file);
      assert.equal(elf.machine, 247);
      assert.equal(elf.littleEndian, true);

      const theirSections = readobjJson(file, '-S').Sections.map((s: any) => s.Section);
      assert.equal(elf.sections.length, theirSections.length);
      for (const t of theirSections) {
        const s = elf.sections[t.Index];
        assert.deepEqual(
          [s.index, s.name, s.type, s.flags, s.offset, s.size, s.link, s.info, s.entsize],
          [t.Index, t.Name.Value, t.Type.RawValue, t.Flags.RawFlags, t.Offset, t.Size, t.Link, t.Info, t.EntrySize],
          `section ${t.Index}`,
        );
        const data = s.data();
        if (s.type === SHT_NOBITS || s.size === 0) assert.equal(data.length, 0);
        else {
          // Zero-copy: a view of the same buffer at the section's offset.
          assert.equal(data.buffer, bytes.buffer);
          assert.equal(data.byteOffset, bytes.byteOffset + s.offset);
          assert.equal(data.length, s.size);
        }
        assert.equal(elf.section(s.name)?.name, s.name);
      }

      const theirSymbols = readobjJson(file, '-s').Symbols.map((s: any) => s.Symbol);
      assert.equal(elf.symbols.length, theirSymbols.length);
      theirSymbols.forEach((t: any, i: number) => {
        const s = elf.symbols[i];
        // llvm-readobj shows the section name for section symbols, whose st_name is 0.
        const name = t.Type.RawValue === 3 && t.Name.RawValue === 0 ? '' : t.Name.Value;
        assert.deepEqual(
          [s.index, s.name, s.value, s.size, s.type, s.bind, s.shndx],
          [i, name, t.Value, t.Size, t.Type.RawValue, t.Binding.RawValue, t.Section.RawValue],
          `symbol ${i}`,
        );
      });

      const theirRelocs = readelfRelocs(file);
      let count = 0;
      for (const s of elf.sections) {
        const ours = elf.relocations(s).map((r) => [r.offset, r.type, r.symbol]);
        assert.deepEqual(ours, theirRelocs.get(s.index) ?? [], `relocations of ${s.name}`);
        for (const r of elf.relocations(s)) assert.equal(r.addend, null); // clang emits REL
        count += ours.length;
      }
      assert.ok(count > 0);
    });
  }
});

describe('ELF: a big-endian object (clang -target bpfeb)', { skip: HAVE_CLANG && HAVE_LLVM ? false : 'clang/llvm not installed' }, () => {
  it('reads like its little-endian twin and as llvm-readobj reads it', () => {
    const tmp = tempDir('bpflens-elf-');
    const multiarch = spawnSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).stdout?.trim() || 'x86_64-linux-gnu';
    const out = path.join(tmp, 'subprog_call.eb.o');
    execFileSync('clang', ['-g', '-O2', '-target', 'bpfeb', `-I/usr/include/${multiarch}`, '-c', path.join(FIXTURES, 'src', 'subprog_call.c'), '-o', out]);
    const { elf } = load(out);
    assert.equal(elf.littleEndian, false);
    const le = load(path.join(OBJ, 'subprog_call.o')).elf;
    // Debug sections differ with the build path; the loadable ones do not.
    const shape = (e: ElfFile) => e.sections.map((s) => [s.name, s.type, s.flags & 2 ? s.size : -1]);
    assert.deepEqual(shape(elf), shape(le));
    assert.deepEqual(
      elf.symbols.map((s) => [s.name, s.value, s.size, s.type, s.bind, s.shndx]),
      le.symbols.map((s) => [s.name, s.value, s.size, s.type, s.bind, s.shndx]),
    );
    const theirs = readobjJson(out, '-S').Sections.map((s: any) => s.Section);
    for (const t of theirs) assert.deepEqual([elf.sections[t.Index].offset, elf.sections[t.Index].flags], [t.Offset, t.Flags.RawFlags]);
    const relocs = readelfRelocs(out);
    for (const s of elf.sections) assert.deepEqual(elf.relocations(s).map((r) => [r.offset, r.type, r.symbol]), relocs.get(s.index) ?? []);
    assert.ok(elf.sections.some((s) => (s.flags & SHF_EXECINSTR) !== 0));
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});

describe('ELF: errors carry the file, the offset and what was expected', () => {
  it('formats the message as file: what (at byte N)', () => {
    const e = new ObjectReadError('a.o', 12, 'bad thing');
    assert.equal(e.message, 'a.o: bad thing (at byte 12)');
    assert.equal(new ObjectReadError('a.o', null, 'bad thing').message, 'a.o: bad thing');
    assert.ok(e instanceof Error);
  });

  it('empty input', () => {
    const e = expectError(() => readElf(new Uint8Array(0), 'empty.o'), /not an ELF file \(empty\)/, 0);
    assert.equal(e.file, 'empty.o');
  });

  it('not ELF (bad magic)', () => {
    expectError(() => readElf(new TextEncoder().encode('#!/bin/sh\necho hi\n'), 'script'), /not an ELF file: magic 23 21 2f 62, expected 7f 45 4c 46/, 0);
  });

  it('a host executable is not a BPF object', () => {
    const exe = fs.readFileSync(process.execPath); // node itself: an ELF for this machine
    const e = expectError(() => readElf(exe, 'node'), /^not a BPF object \(machine \d+/, 18);
    if (process.arch === 'x64') assert.match(e.what, /machine 62, x86-64/);
    if (fs.existsSync('/bin/true') && fs.readFileSync('/bin/true').subarray(0, 4).toString('latin1') === '\x7fELF') {
      expectError(() => readElf(fs.readFileSync('/bin/true'), '/bin/true'), /^not a BPF object/);
    }
  });

  it('32-bit ELF', () => {
    const bytes = patched('xdp_pass.o', [[4, 1, 1]]);
    expectError(() => readElf(bytes, 'x.o'), /not a 64-bit ELF \(EI_CLASS 1, 32-bit\)/, 4);
  });

  it('unknown byte order', () => {
    expectError(() => readElf(patched('xdp_pass.o', [[5, 1, 7]]), 'x.o'), /unknown ELF byte order \(EI_DATA 7\)/, 5);
  });

  it('truncated header', () => {
    const bytes = fs.readFileSync(path.join(OBJ, 'xdp_pass.o')).subarray(0, 40);
    expectError(() => readElf(bytes, 'x.o'), /truncated ELF header: 64 bytes expected, 40 present/, 40);
  });

  it('truncated section header table', () => {
    const full = fs.readFileSync(path.join(OBJ, 'xdp_pass.o'));
    const cut = full.subarray(0, full.length - 10);
    expectError(() => readElf(cut, 'x.o'), /truncated section header table: \d+ headers of 64 bytes at offset \d+, file has \d+ bytes/);
  });

  it('huge section count', () => {
    expectError(() => readElf(patched('xdp_pass.o', [[60, 2, 0xffff]]), 'x.o'), /truncated section header table: 65535 headers/);
  });

  it('bad e_shentsize', () => {
    expectError(() => readElf(patched('xdp_pass.o', [[58, 2, 40]]), 'x.o'), /e_shentsize is 40, expected 64/, 58);
  });

  it('a section outside the file', () => {
    const name = 'subprog_call.o';
    const { elf } = load(path.join(OBJ, name));
    const btf = elf.section('.BTF')!;
    const h = shdr(name, btf.index);
    expectError(() => readElf(patched(name, [[h + 32, 8, 0x7fffffffn]]), 'x.o'), new RegExp(`section ${btf.index} \\[\\d+, \\d+\\) is outside the file`), h + 24);
    expectError(() => readElf(patched(name, [[h + 24, 8, 1n << 60n]]), 'x.o'), /sh_offset is 0x1000000000000000, larger than any file/, h + 24);
  });

  it('e_shstrndx that is no section', () => {
    expectError(() => readElf(patched('xdp_pass.o', [[62, 2, 999]]), 'x.o'), /e_shstrndx 999 is not a section/, 62);
  });

  it('a section name outside the name table', () => {
    const h = shdr('xdp_pass.o', 2);
    expectError(() => readElf(patched('xdp_pass.o', [[h, 4, 0xfffff]]), 'x.o'), /name of section 2: string offset 1048575 is outside section name table/);
  });

  it('a string table without a final NUL', () => {
    const name = 'xdp_pass.o';
    const { elf } = load(path.join(OBJ, name));
    // Shrink .strtab (the section name table here) so its last string loses its terminator.
    const strtab = elf.sections.find((s) => s.name === '.strtab')!;
    const h = shdr(name, strtab.index);
    expectError(() => readElf(patched(name, [[h + 32, 8, strtab.size - 1]]), 'x.o'), /has no terminating NUL/);
  });

  it('a symbol table with a bad entry size or string table link', () => {
    const name = 'xdp_pass.o';
    const { elf } = load(path.join(OBJ, name));
    const symtab = elf.sections.find((s) => s.name === '.symtab')!;
    const h = shdr(name, symtab.index);
    expectError(() => readElf(patched(name, [[h + 56, 8, 16]]), 'x.o'), /symbol table entry size is 16, expected 24/, h + 56);
    expectError(() => readElf(patched(name, [[h + 32, 8, symtab.size - 4]]), 'x.o'), /symbol table size \d+ is not a multiple of 24/, h + 32);
    expectError(() => readElf(patched(name, [[h + 40, 4, 5000]]), 'x.o'), /symbol table sh_link 5000 is not a string table section/, h + 40);
  });

  it('a relocation against a symbol that does not exist (reported when relocations are read)', () => {
    const name = 'subprog_call.o';
    const { elf } = load(path.join(OBJ, name));
    const relxdp = elf.section('.relxdp')!;
    const bytes = patched(name, [[relxdp.offset + 12, 4, 100000]]);
    const broken = readElf(bytes, 'x.o');
    expectError(() => broken.relocations(broken.section('xdp')!), /relocation 0 of \.relxdp refers to symbol 100000, but there are \d+ symbols/, relxdp.offset + 8);
    // Other sections are unaffected.
    assert.equal(broken.relocations(broken.section('tc')!).length, 1);
  });

  it('a file with no section table at all', () => {
    const bytes = patched('xdp_pass.o', [[40, 8, 0n]]);
    const elf = readElf(bytes, 'x.o');
    assert.equal(elf.sections.length, 0);
    assert.equal(elf.symbols.length, 0);
  });
});
