/**
 * Fuzzing the object readers with deterministic, seeded corruptions of the real fixture objects:
 * bit flips, garbage runs, truncations, ELF and section header fields, string tables, symbols,
 * relocations, BTF and BTF.ext headers and records (huge counts included), and instructions turned
 * into bpf-to-bpf calls and callback references with random targets.
 *
 * Each case runs what a consumer does with an object (readObject, every program's instructions,
 * libbpfLayout of every program, typeName of every type, relocations of every section). The only
 * exception allowed is ObjectReadError, never the readers' "internal error" safety net; every case
 * finishes in under 200 ms and the whole run in under 30 s.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { readElf, ElfFile, SHF_EXECINSTR } from '../../server/src/mapping/elf';
import { readObject } from '../../server/src/mapping/object';
import { libbpfLayout } from '../../server/src/mapping/programs';
import { ObjectReadError } from '../../server/src/mapping/read-error';
import { FIXTURES } from '../helpers/fixtures';
import { rng } from '../helpers/random';

// BPFLENS_FUZZ_SEED / BPFLENS_FUZZ_CASES explore further; CI runs the fixed default.
const SEED = Number(process.env.BPFLENS_FUZZ_SEED ?? 0x5eed_b0f);
const CASES = Number(process.env.BPFLENS_FUZZ_CASES ?? 4000);
const CASE_LIMIT_MS = 200;
const TOTAL_LIMIT_MS = 30_000;


interface Seed {
  name: string;
  bytes: Uint8Array;
  elf: ElfFile;
  shoff: number;
}

type Rand = () => number;
const int = (r: Rand, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

/** Values that break readers: zero, one, all ones, sign bits, just past the end, random. */
function interesting32(r: Rand, len: number): number {
  return pick(r, [0, 1, 2, 3, 7, 8, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff0, len, len + 1, len - 1, int(r, len * 2), int(r, 0x100000000)]) >>> 0;
}

function interesting64(r: Rand, len: number): bigint {
  return pick(r, [0n, 1n, 8n, BigInt(len), BigInt(len + 1), BigInt(len - 8), 0x7fffffffn, 0xffffffffn, 0x1_0000_0000n, 0x7fff_ffff_ffff_ffffn, 0xffff_ffff_ffff_ffffn, 0x20_0000_0000_0000n, BigInt(int(r, len * 2))]);
}

type Mutator = (b: Uint8Array, dv: DataView, r: Rand, s: Seed) => string;

const sectionNamed = (s: Seed, name: string) => s.elf.sections.find((x) => x.name === name);

const MUTATORS: Record<string, Mutator> = {
  bitflips(b, _dv, r) {
    const n = 1 + int(r, 16);
    for (let i = 0; i < n; i++) b[int(r, b.length)] ^= 1 << int(r, 8);
    return `${n} bits`;
  },
  garbage(b, _dv, r) {
    const at = int(r, b.length);
    const n = 1 + int(r, 64);
    for (let i = at; i < Math.min(b.length, at + n); i++) b[i] = int(r, 256);
    return `${n} bytes at ${at}`;
  },
  elfHeader(_b, dv, r, s) {
    const field = pick(r, [
      [40, 8, 'e_shoff'],
      [58, 2, 'e_shentsize'],
      [60, 2, 'e_shnum'],
      [62, 2, 'e_shstrndx'],
      [16, 2, 'e_type'],
    ] as const);
    if (field[1] === 8) dv.setBigUint64(field[0], interesting64(r, s.bytes.length), true);
    else dv.setUint16(field[0], pick(r, [0, 1, 0xff00, 0xffff, s.elf.sections.length + 1, int(r, 0x10000)]), true);
    return field[2];
  },
  sectionHeader(_b, dv, r, s) {
    const i = int(r, s.elf.sections.length);
    const h = s.shoff + i * 64;
    const field = pick(r, [
      [0, 4, 'sh_name'],
      [4, 4, 'sh_type'],
      [8, 8, 'sh_flags'],
      [24, 8, 'sh_offset'],
      [32, 8, 'sh_size'],
      [40, 4, 'sh_link'],
      [44, 4, 'sh_info'],
      [56, 8, 'sh_entsize'],
    ] as const);
    if (field[1] === 8) dv.setBigUint64(h + field[0], interesting64(r, s.bytes.length), true);
    else dv.setUint32(h + field[0], interesting32(r, s.bytes.length), true);
    return `section ${i} ${field[2]}`;
  },
  stringTables(b, _dv, r, s) {
    const tables = s.elf.sections.filter((x) => x.type === 3);
    const t = pick(r, tables);
    const noNul = r() < 0.5;
    for (let i = t.offset; i < t.offset + t.size; i++) if (noNul ? b[i] === 0 : r() < 0.2) b[i] = noNul ? 0x41 : int(r, 256);
    return `${t.name} ${noNul ? 'without NULs' : 'garbage'}`;
  },
  symbols(_b, dv, r, s) {
    const symtab = sectionNamed(s, '.symtab')!;
    const i = int(r, symtab.size / 24);
    const o = symtab.offset + i * 24;
    const field = pick(r, ['st_name', 'st_info', 'st_shndx', 'st_value', 'st_size'] as const);
    if (field === 'st_name') dv.setUint32(o, interesting32(r, s.bytes.length), true);
    else if (field === 'st_info') dv.setUint8(o + 4, pick(r, [0x12, 0x02, 0x03, 0x13, int(r, 256)]));
    else if (field === 'st_shndx') dv.setUint16(o + 6, pick(r, [0, 1, 2, 0xfff1, 0xffff, s.elf.sections.length, int(r, 0x10000)]), true);
    else dv.setBigUint64(o + (field === 'st_value' ? 8 : 16), interesting64(r, s.bytes.length), true);
    return `symbol ${i} ${field}`;
  },
  relocations(_b, dv, r, s) {
    const rels = s.elf.sections.filter((x) => x.type === 9 && x.size >= 16);
    const rel = pick(r, rels);
    const o = rel.offset + int(r, rel.size / 16) * 16;
    if (r() < 0.5) dv.setBigUint64(o, interesting64(r, s.bytes.length), true);
    else dv.setUint32(o + pick(r, [8, 12]), interesting32(r, s.bytes.length), true);
    return `${rel.name}`;
  },
  btfHeader(_b, dv, r, s) {
    const btf = sectionNamed(s, '.BTF')!;
    const at = pick(r, [4, 8, 12, 16, 20]);
    dv.setUint32(btf.offset + at, interesting32(r, btf.size), true);
    return `.BTF header +${at}`;
  },
  btfTypes(_b, dv, r, s) {
    const btf = sectionNamed(s, '.BTF')!;
    const pristine = new DataView(s.bytes.buffer, s.bytes.byteOffset);
    const hdr = pristine.getUint32(btf.offset + 4, true);
    const typeLen = pristine.getUint32(btf.offset + 12, true);
    const n = 1 + int(r, 4);
    for (let k = 0; k < n; k++) {
      const at = btf.offset + hdr + 4 * int(r, typeLen / 4);
      const v = r() < 0.3 ? (int(r, 32) << 24) | int(r, 0x10000) : interesting32(r, 200);
      dv.setUint32(at, v >>> 0, true);
    }
    return `.BTF ${n} type words`;
  },
  btfExt(_b, dv, r, s) {
    const ext = sectionNamed(s, '.BTF.ext')!;
    const n = 1 + int(r, 3);
    for (let k = 0; k < n; k++) dv.setUint32(ext.offset + 4 * int(r, ext.size / 4), interesting32(r, ext.size), true);
    return `.BTF.ext ${n} words`;
  },
  truncate(b, _dv, r) {
    return `cut to ${int(r, b.length)}`; // applied by the caller
  },
  calls(_b, dv, r, s) {
    const code = s.elf.sections.filter((x) => (x.flags & SHF_EXECINSTR) !== 0 && x.size >= 8);
    const sec = pick(r, code);
    const o = sec.offset + 8 * int(r, sec.size / 8);
    if (r() < 0.6) {
      dv.setUint8(o, 0x85); // call
      dv.setUint8(o + 1, 0x10); // src_reg = BPF_PSEUDO_CALL
      dv.setInt16(o + 2, 0, true);
    } else {
      dv.setUint8(o, 0x18); // ld_imm64
      dv.setUint8(o + 1, 0x40); // src_reg = BPF_PSEUDO_FUNC
    }
    dv.setInt32(o + 4, pick(r, [-1, 0, 1, -2, 5, -1000, 0x7fffffff, -0x80000000, int(r, 64) - 32]), true);
    return `${sec.name}+${o - sec.offset} call`;
  },
};

/** What a consumer does with an object; returns how far it got. */
function consume(bytes: Uint8Array, file: string): string {
  const o = readObject(bytes, file);
  // BTF and BTF.ext failures are downgraded to warnings: the safety net must not show there either.
  for (const w of o.warnings) assert.doesNotMatch(w, /internal error/, w);
  for (const s of o.elf.sections) o.elf.relocations(s);
  for (const p of o.programs) p.insns();
  let layouts = 0;
  for (const p of o.programs.filter((q) => !q.isSubprog)) {
    try {
      libbpfLayout(o.elf, p.name, o.programs);
      layouts++;
    } catch (e) {
      if (!(e instanceof ObjectReadError)) throw e;
    }
  }
  if (o.btf) for (const t of o.btf.types) o.btf.typeName(t.id, t.name);
  return `read (${o.programs.length} programs, ${layouts} layouts, ${o.warnings.length} warnings)`;
}

describe('fuzz: seeded corruptions of real objects', () => {
  const dir = path.join(FIXTURES, 'obj');
  const seeds: Seed[] = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.o'))
    .sort()
    .map((name) => {
      const bytes = new Uint8Array(fs.readFileSync(path.join(dir, name)));
      return { name, bytes, elf: readElf(bytes, name), shoff: Number(new DataView(bytes.buffer).getBigUint64(40, true)) };
    });

  it(`${CASES} cases: only ObjectReadError, each < ${CASE_LIMIT_MS} ms, all < ${TOTAL_LIMIT_MS / 1000} s`, (t) => {
    const r = rng(SEED);
    const names = Object.keys(MUTATORS);
    const outcome = new Map<string, { ok: number; warned: number; errors: number }>();
    const reasons = new Map<string, number>();
    let slowest = 0;
    let slowestCase = '';
    const start = performance.now();
    for (let c = 0; c < CASES; c++) {
      const seed = seeds[c % seeds.length];
      const kind = names[int(r, names.length)];
      const copy = seed.bytes.slice();
      let detail = MUTATORS[kind](copy, new DataView(copy.buffer), r, seed);
      // A second mutation now and then, to get past the first check that would catch one.
      if (r() < 0.25) {
        const second = names[int(r, names.length)];
        if (second !== 'truncate') detail += ` + ${second}: ${MUTATORS[second](copy, new DataView(copy.buffer), r, seed)}`;
      }
      const input = kind === 'truncate' ? copy.subarray(0, Number(/cut to (\d+)/.exec(detail)![1])) : copy;
      const label = `case ${c} ${seed.name} ${kind}: ${detail}`;
      const t0 = performance.now();
      let result: string;
      try {
        result = consume(input, seed.name);
      } catch (e) {
        if (!(e instanceof ObjectReadError)) {
          assert.fail(`${label}: ${e instanceof Error ? e.stack : String(e)}`);
        }
        assert.doesNotMatch(e.what, /internal error/, `${label}: ${e.message}`);
        assert.equal(e.file, seed.name);
        assert.ok(e.offset === null || (Number.isSafeInteger(e.offset) && e.offset >= 0), `${label}: offset ${e.offset}`);
        result = 'error';
        const reason = e.what.replace(/\d+/g, 'N').replace(/'[^']*'/g, "'…'").slice(0, 60);
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
      const ms = performance.now() - t0;
      if (ms > slowest) {
        slowest = ms;
        slowestCase = label;
      }
      assert.ok(ms < CASE_LIMIT_MS, `${label} took ${ms.toFixed(1)} ms`);
      const o = outcome.get(kind) ?? { ok: 0, warned: 0, errors: 0 };
      if (result === 'error') o.errors++;
      else if (/ 0 warnings\)$/.test(result)) o.ok++;
      else o.warned++;
      outcome.set(kind, o);
    }
    const total = performance.now() - start;
    if (CASES <= 4000) assert.ok(total < TOTAL_LIMIT_MS, `whole run took ${total.toFixed(0)} ms`);
    t.diagnostic(`${CASES} cases in ${total.toFixed(0)} ms; slowest ${slowest.toFixed(1)} ms (${slowestCase})`);
    for (const [kind, o] of [...outcome].sort()) t.diagnostic(`${kind}: ${o.ok} read, ${o.warned} read with warnings (e.g. BTF dropped), ${o.errors} ObjectReadError`);
    const top = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 12);
    for (const [reason, n] of top) t.diagnostic(`${n}× ${reason}`);
    // Both outcomes occur for every kind of corruption that can leave an object readable.
    assert.ok([...outcome.values()].reduce((n, o) => n + o.errors, 0) > CASES / 10);
    assert.ok([...outcome.values()].reduce((n, o) => n + o.ok, 0) > CASES / 10);
    assert.ok([...outcome.values()].reduce((n, o) => n + o.warned, 0) > CASES / 20);
  });

  it('every pristine seed reads cleanly', () => {
    for (const s of seeds) assert.match(consume(s.bytes, s.name), /^read /);
  });
});
