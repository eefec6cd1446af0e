/**
 * Fuzzing the DWARF reader with deterministic, seeded mutations of the real fixture objects
 * (test/fixtures/obj/*.o, DWARF 5, plus two -gdwarf-4 builds when clang is here): byte flips anywhere and inside the DWARF sections, corrupted
 * relocations, truncated files and DWARF sections, corrupted section headers and ELF header
 * fields, spliced chunks.
 *
 * Every input must give a DwarfInfo or a DwarfError, never another exception, and no trap
 * (a trap would be caught and reported as a DwarfError, but means the module panicked). The
 * reader must keep giving the same answer for a pristine object throughout. Results that read
 * go through DwarfIndex lookups too.
 *
 * BPFLENS_FUZZ_SEED=<n> changes the seed, BPFLENS_FUZZ_SCALE=<n> multiplies the number of inputs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { DwarfError, DwarfIndex, DwarfReader, type DwarfInfo } from '../../server/src/mapping/dwarf';
import { FIXTURES, ROOT } from '../helpers/fixtures';
import { compileBpf, findTool, tempDir } from '../helpers/llvm';
import { rng } from '../helpers/random';

const WASM = path.join(ROOT, 'dist', 'bpflens_dwarf.wasm');
const SEED = Number(process.env.BPFLENS_FUZZ_SEED ?? 20261124);
const SCALE = Number(process.env.BPFLENS_FUZZ_SCALE ?? 1);
const INPUTS = Math.max(1, Math.round(3000 * SCALE));
/** Generous bound for one read of a mutated ~10 KB object. */
const PER_INPUT_MS = 2000;


interface Section {
  name: string;
  header: number;
  offset: number;
  size: number;
}

interface Seed {
  name: string;
  bytes: Buffer;
  sections: Section[];
}

/** The section table of a little-endian ELF64 object (the fixtures), read just enough to aim. */
function sectionsOf(b: Buffer): Section[] {
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shnum = b.readUInt16LE(0x3c);
  const strtab = Number(b.readBigUInt64LE(shoff + b.readUInt16LE(0x3e) * 64 + 24));
  const out: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * 64;
    const nameAt = strtab + b.readUInt32LE(h);
    const name = b.toString('latin1', nameAt, b.indexOf(0, nameAt));
    out.push({ name, header: h, offset: Number(b.readBigUInt64LE(h + 24)), size: Number(b.readBigUInt64LE(h + 32)) });
  }
  return out;
}

type Mutation = (s: Seed, r: () => number) => Buffer;

const int = (r: () => number, n: number): number => Math.floor(r() * n);
function pick<T>(r: () => number, xs: T[]): T {
  assert.ok(xs.length > 0);
  return xs[int(r, xs.length)]!;
}

function flipIn(b: Buffer, r: () => number, start: number, len: number, count: number): void {
  if (len <= 0) return;
  for (let i = 0; i < count; i++) {
    const at = start + int(r, len);
    b[at] = r() < 0.5 ? b[at]! ^ (1 << int(r, 8)) : int(r, 256);
  }
}

const INTERESTING = [0, 1, 2, 3, 4, 7, 8, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0xffffffff];

const MUTATIONS: Record<string, Mutation> = {
  'byte flips anywhere': (s, r) => {
    const b = Buffer.from(s.bytes);
    flipIn(b, r, 0, b.length, 1 + int(r, 8));
    return b;
  },
  'byte flips in DWARF': (s, r) => {
    const b = Buffer.from(s.bytes);
    const sec = pick(r, s.sections.filter((x) => x.name.startsWith('.debug_') && x.size > 0));
    flipIn(b, r, sec.offset, sec.size, 1 + int(r, 6));
    return b;
  },
  'DWARF headers': (s, r) => {
    // unit / line-program / list headers: lengths, versions, address sizes, offsets
    const b = Buffer.from(s.bytes);
    const sec = pick(r, s.sections.filter((x) => /^\.debug_(info|line|loclists|rnglists|addr|str_offsets|abbrev)$/.test(x.name)));
    const at = sec.offset + int(r, Math.min(sec.size, 48));
    b[at] = pick(r, INTERESTING) & 0xff;
    return b;
  },
  relocations: (s, r) => {
    const b = Buffer.from(s.bytes);
    const sec = pick(r, s.sections.filter((x) => x.name.startsWith('.rel.debug_') && x.size >= 16));
    const entry = sec.offset + 16 * int(r, Math.floor(sec.size / 16));
    const field = int(r, 3);
    if (field === 0) b.writeBigUInt64LE(BigInt(pick(r, [...INTERESTING, int(r, 1 << 20)])), entry); // r_offset
    else if (field === 1) b.writeUInt32LE(pick(r, [0, 1, 2, 3, 4, 10, 0xff, int(r, 256)]), entry + 8); // type
    else b.writeUInt32LE(pick(r, [0, 1, 0xffff, 0xffffffff, int(r, 64)]), entry + 12); // symbol
    return b;
  },
  truncation: (s, r) => Buffer.from(s.bytes.subarray(0, int(r, s.bytes.length))),
  'DWARF section cut short': (s, r) => {
    // The section table sits at the end of the file, so a plain truncation always loses it;
    // this keeps the table and shortens one DWARF section instead.
    const b = Buffer.from(s.bytes);
    const sec = pick(r, s.sections.filter((x) => x.name.startsWith('.debug_') && x.size > 0));
    b.writeBigUInt64LE(BigInt(int(r, sec.size)), sec.header + 32);
    return b;
  },
  'section headers': (s, r) => {
    const b = Buffer.from(s.bytes);
    const sec = pick(r, s.sections);
    const fields: [number, number][] = [
      [0, 4], // sh_name
      [4, 4], // sh_type
      [8, 8], // sh_flags
      [24, 8], // sh_offset
      [32, 8], // sh_size
      [40, 4], // sh_link
      [44, 4], // sh_info
      [56, 8], // sh_entsize
    ];
    const [off, size] = pick(r, fields);
    const v = pick(r, [...INTERESTING, int(r, b.length * 2)]);
    if (off === 8 && r() < 0.5) b.writeBigUInt64LE(b.readBigUInt64LE(sec.header + 8) | 0x800n, sec.header + 8); // SHF_COMPRESSED
    else if (size === 8) b.writeBigUInt64LE(BigInt(v), sec.header + off);
    else b.writeUInt32LE(v >>> 0, sec.header + off);
    return b;
  },
  'ELF header': (s, r) => {
    const b = Buffer.from(s.bytes);
    const fields: [number, number][] = [
      [4, 1], // class
      [5, 1], // data (endianness)
      [6, 1], // version
      [0x12, 2], // e_machine
      [0x28, 8], // e_shoff
      [0x3a, 2], // e_shentsize
      [0x3c, 2], // e_shnum
      [0x3e, 2], // e_shstrndx
    ];
    const [off, size] = pick(r, fields);
    const v = pick(r, [...INTERESTING, int(r, b.length * 2)]);
    if (size === 1) b[off] = v & 0xff;
    else if (size === 2) b.writeUInt16LE(v & 0xffff, off);
    else b.writeBigUInt64LE(BigInt(v), off);
    return b;
  },
  splice: (s, r) => {
    const b = Buffer.from(s.bytes);
    const len = 1 + int(r, 256);
    const from = int(r, Math.max(1, b.length - len));
    const to = int(r, Math.max(1, b.length - len));
    b.copy(b, to, from, from + len);
    return b;
  },
};

let reader: DwarfReader;
const seeds: Seed[] = [];
const baseline = new Map<string, string>();

let dir = '';

before(async () => {
  reader = await DwarfReader.load(WASM);
  const files = fs.readdirSync(path.join(FIXTURES, 'obj')).filter((x) => x.endsWith('.o')).sort().map((f) => path.join(FIXTURES, 'obj', f));
  if (findTool('clang')) {
    // DWARF 4 takes other paths: .debug_loc / .debug_ranges, DW_FORM_addr, 1-based file indexes.
    dir = tempDir('bpflens-dwarf-fuzz-');
    for (const name of ['xdp_nobounds', 'subprog_call']) {
      const out = path.join(dir, `${name}.dwarf4.o`);
      compileBpf(path.join(FIXTURES, 'src', `${name}.c`), out, ['-gdwarf-4']);
      files.push(out);
    }
  }
  for (const file of files) {
    const bytes = fs.readFileSync(file);
    const name = path.basename(file);
    seeds.push({ name, bytes, sections: sectionsOf(bytes) });
    baseline.set(name, JSON.stringify(reader.read(bytes, name)));
  }
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Lookups over every instruction of every code section must not throw. */
function exercise(info: DwarfInfo): void {
  const index = new DwarfIndex(info);
  for (const s of info.sections.filter((x) => x.exec)) {
    for (let off = 0; off < Math.min(s.size, 4096); off += 8) {
      index.lineAt(s.index, off);
      index.inlineChainAt(s.index, off);
      index.varsAt(s.index, off);
    }
  }
}

describe('DWARF reader fuzzing', () => {
  it(`${INPUTS} mutated objects: a result or a DwarfError, never a crash (seed ${SEED})`, (t) => {
    const r = rng(SEED);
    const kinds = Object.keys(MUTATIONS);
    const outcome: Record<string, { ok: number; warned: number; error: number }> = {};
    const errors = new Map<string, number>();
    const failures: string[] = [];
    const trapsBefore = reader.traps;
    let slowest = 0;
    for (let i = 0; i < INPUTS; i++) {
      const seed = seeds[i % seeds.length]!;
      const kind = kinds[Math.floor(i / seeds.length) % kinds.length]!;
      const bytes = MUTATIONS[kind]!(seed, r);
      const name = `${seed.name}#${i}(${kind})`;
      const o = (outcome[kind] ??= { ok: 0, warned: 0, error: 0 });
      const start = performance.now();
      try {
        const info = reader.read(bytes, name);
        if (info.warnings.length) o.warned++;
        else o.ok++;
        exercise(info);
      } catch (e) {
        if (!(e instanceof DwarfError)) {
          failures.push(`${name}: ${e instanceof Error ? e.stack : String(e)}`);
        } else {
          o.error++;
          assert.equal(e.file, name);
          // Group messages without their numbers for the summary.
          const key = e.reason.replace(/0x[0-9a-f]+|\d+/g, 'N').slice(0, 90);
          errors.set(key, (errors.get(key) ?? 0) + 1);
        }
      }
      slowest = Math.max(slowest, performance.now() - start);
      if (i % 100 === 99) {
        const s = seeds[(i / 100) % seeds.length | 0]!;
        assert.equal(JSON.stringify(reader.read(s.bytes, s.name)), baseline.get(s.name), `pristine ${s.name} after input ${i}`);
      }
    }
    const traps = reader.traps - trapsBefore;
    t.diagnostic(`outcomes per mutation (ok / read with warnings / DwarfError): ${JSON.stringify(outcome)}`);
    t.diagnostic(`traps: ${traps}; slowest input: ${slowest.toFixed(1)} ms`);
    for (const [msg, n] of [...errors].sort((a, b) => b[1] - a[1]).slice(0, 12)) t.diagnostic(`${n}× ${msg}`);
    assert.deepEqual(failures, [], 'exceptions other than DwarfError');
    assert.equal(traps, 0, 'the module trapped (a panic in the Rust code)');
    assert.ok(slowest < PER_INPUT_MS * Math.max(1, SCALE), `slowest input took ${slowest} ms`);
    for (const s of seeds) assert.equal(JSON.stringify(reader.read(s.bytes, s.name)), baseline.get(s.name));
  });
});
