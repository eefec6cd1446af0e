/**
 * Bad input to the DWARF reader: each failure is a DwarfError that names the file and says what is
 * wrong or missing, and the reader keeps working afterwards (including after a trap).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { DwarfError, DwarfReader } from '../../server/src/mapping/dwarf';
import { FIXTURES, ROOT } from '../helpers/fixtures';
import { compileBpf, findTool, tempDir } from '../helpers/llvm';

const WASM = path.join(ROOT, 'dist', 'bpflens_dwarf.wasm');
const GOOD = path.join(FIXTURES, 'obj', 'xdp_nobounds.o');
const NO_CLANG = findTool('clang') ? false : 'clang not found (apt-get install clang)';

let reader: DwarfReader;
let dir = '';

before(async () => {
  reader = await DwarfReader.load(WASM);
  dir = tempDir('bpflens-dwarf-errors-');
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Reads `bytes` as `file`; asserts a DwarfError for that file whose message matches `re`. */
function expectError(bytes: Uint8Array, file: string, re: RegExp): DwarfError {
  let caught: unknown;
  try {
    reader.read(bytes, file);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof DwarfError, `expected a DwarfError, got ${String(caught)}`);
  assert.equal(caught.file, file);
  assert.ok(caught.message.startsWith(`${file}: `), caught.message);
  assert.match(caught.message, re);
  return caught;
}

function assertStillWorks(): void {
  const info = reader.read(fs.readFileSync(GOOD), GOOD);
  assert.ok(info.functions.some((f) => f.name === 'xdp_nobounds'));
}

describe('DwarfError on bad input', () => {
  it('empty input and non-ELF bytes', () => {
    expectError(new Uint8Array(0), 'empty.o', /not an ELF file/);
    expectError(Buffer.from('this is a verifier log, not an object\n'), 'log.txt', /not an ELF file/);
    assertStillWorks();
  });

  it('ELF header cut short', () => {
    const good = fs.readFileSync(GOOD);
    for (const n of [4, 16, 40, 63]) expectError(good.subarray(0, n), `cut${n}.o`, /truncated ELF header/);
  });

  it('object cut short: section table or DWARF past the end of the file', () => {
    const good = fs.readFileSync(GOOD);
    const e = expectError(good.subarray(0, Math.floor(good.length / 2)), 'half.o', /section headers|outside the file|truncated/i);
    assert.ok(e.reason.length > 0);
    assertStillWorks();
  });

  it('a 32-bit ELF file', () => {
    const good = Buffer.from(fs.readFileSync(GOOD));
    good[4] = 1; // ELFCLASS32
    expectError(good, 'elf32.o', /32-bit ELF file: not a BPF object/);
  });

  it('an ELF file for another machine (/bin/true)', { skip: fs.existsSync('/bin/true') ? false : 'no /bin/true' }, () => {
    expectError(fs.readFileSync('/bin/true'), '/bin/true', /not a BPF object: ELF machine is \d+.*expected EM_BPF \(247\)/);
  });

  it('an object compiled without -g', { skip: NO_CLANG }, () => {
    const o = path.join(dir, 'nodebug.o');
    compileBpf(path.join(FIXTURES, 'src', 'xdp_pass.c'), o, ['-g0']);
    expectError(fs.readFileSync(o), o, /object has no DWARF \(no \.debug_info section\): compile with -g/);
  });

  it('compressed debug sections (-gz) name the section', { skip: NO_CLANG }, (t) => {
    const o = path.join(dir, 'gz.o');
    try {
      compileBpf(path.join(FIXTURES, 'src', 'xdp_pass.c'), o, ['-gz']);
    } catch {
      t.skip('clang cannot compress debug sections here (no zlib)');
      return;
    }
    expectError(fs.readFileSync(o), o, /compressed debug section \.debug_\w+ is not supported \(built with -gz\?\)/);
  });

  it('zeroed .debug_info: an error or warnings, never a crash', () => {
    const good = Buffer.from(fs.readFileSync(GOOD));
    const at = good.indexOf(Buffer.from('.debug_info\0'));
    assert.ok(at > 0);
    // Find the section through its header: zero its contents.
    const shoff = Number(good.readBigUInt64LE(0x28));
    const shnum = good.readUInt16LE(0x3c);
    const shstrndx = good.readUInt16LE(0x3e);
    const strOff = Number(good.readBigUInt64LE(shoff + shstrndx * 64 + 24));
    let zeroed = false;
    for (let i = 0; i < shnum; i++) {
      const h = shoff + i * 64;
      const name = good.toString('latin1', strOff + good.readUInt32LE(h), strOff + good.readUInt32LE(h) + 12);
      if (name === '.debug_info\0') {
        good.fill(0, Number(good.readBigUInt64LE(h + 24)), Number(good.readBigUInt64LE(h + 24)) + Number(good.readBigUInt64LE(h + 32)));
        zeroed = true;
      }
    }
    assert.ok(zeroed);
    try {
      const info = reader.read(good, 'zeroed.o');
      assert.ok(info.warnings.length > 0 || info.functions.length === 0);
    } catch (e) {
      assert.ok(e instanceof DwarfError, String(e));
      assert.match(e.message, /^zeroed\.o: /);
    }
    assertStillWorks();
  });
});

describe('the reader itself', () => {
  it('a missing module is a DwarfError naming it and saying how to build it', async () => {
    const missing = path.join(dir, 'nope.wasm');
    await assert.rejects(DwarfReader.load(missing), (e: unknown) => {
      assert.ok(e instanceof DwarfError);
      assert.equal(e.file, missing);
      assert.match(e.message, /cannot read the DWARF reader module \(ENOENT\).*build-wasm\.sh/);
      return true;
    });
  });

  it('a file that is not WebAssembly is a DwarfError', async () => {
    await assert.rejects(DwarfReader.load(GOOD), (e: unknown) => e instanceof DwarfError && /not a valid WebAssembly module/.test(e.message));
  });

  it('a trap is caught, reported as a DwarfError, and the next read works', () => {
    const before = reader.traps;
    assert.throws(
      () => reader.selfTestTrap(),
      (e: unknown) => e instanceof DwarfError && /crashed.*WebAssembly trap.*reset/.test(e.message),
    );
    assert.equal(reader.traps, before + 1);
    assertStillWorks();
    assertStillWorks();
  });

  it('gives the same answer every time (no state leaks between reads)', () => {
    const bytes = fs.readFileSync(GOOD);
    const first = JSON.stringify(reader.read(bytes, GOOD));
    expectError(bytes.subarray(0, 100), 'cut.o', /./);
    assert.equal(JSON.stringify(reader.read(bytes, GOOD)), first);
  });

  it('does not modify the caller\'s bytes', () => {
    const bytes = Buffer.from(fs.readFileSync(GOOD));
    const copy = Buffer.from(bytes);
    reader.read(bytes, GOOD);
    assert.ok(bytes.equals(copy));
  });
});
