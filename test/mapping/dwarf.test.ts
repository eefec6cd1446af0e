/**
 * The DWARF reader (wasm/ + server/src/mapping/dwarf.ts) against independent tools, on objects
 * compiled here with clang 14 from the real fixture programs plus a generated multi-section
 * program (also as -gdwarf-4, as big-endian -target bpfeb, and as a single-section variant):
 *
 * 1. every .debug_line row, in order, against `llvm-dwarfdump --debug-line`
 * 2. every instruction's source line against `llvm-objdump -dl`, per section
 * 3. every DW_OP_regN location against `llvm-dwarfdump --debug-info`
 * 4. every instruction's inline chain against `llvm-symbolizer --inlining`, on single-section
 *    objects only (LLVM 14's symbolizer ignores sections in relocatable objects)
 *
 * plus facts about the fixtures that the mapping layer relies on (names, types, call sites).
 * Needs dist/bpflens_dwarf.wasm (scripts/build-wasm.sh) and clang + llvm.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { DwarfIndex, DwarfReader, type DwarfInfo, type DwarfScope } from '../../server/src/mapping/dwarf';
import { FIXTURES, ROOT } from '../helpers/fixtures';
import {
  compileBpf,
  dumpLineRows,
  dumpRegLocations,
  generatedSource,
  missingLlvm,
  objdumpLines,
  symbolize,
  tempDir,
} from '../helpers/llvm';

const WASM = path.join(ROOT, 'dist', 'bpflens_dwarf.wasm');
const SKIP = missingLlvm();

interface Obj {
  name: string;
  src: string;
  flags: string[];
  path: string;
}

const FIXTURE_SOURCES = fs.readdirSync(path.join(FIXTURES, 'src')).filter((f) => f.endsWith('.c')).sort();
const GEN_PROGRAMS = 40;

let dir = '';
let reader: DwarfReader;
const objs: Obj[] = [];
const infos = new Map<string, DwarfInfo>();
const counts = { lineRows: 0, insns: 0, regLocations: 0, inlineChains: 0 };

function info(name: string): DwarfInfo {
  const i = infos.get(name);
  assert.ok(i, `${name} was not compiled/read`);
  return i;
}

function allScopes(info: DwarfInfo): { scope: DwarfScope; fn: DwarfScope }[] {
  const out: { scope: DwarfScope; fn: DwarfScope }[] = [];
  const walk = (s: DwarfScope, fn: DwarfScope): void => {
    out.push({ scope: s, fn });
    for (const i of s.inlined) walk(i, fn);
  };
  for (const f of info.functions) walk(f, f);
  return out;
}

function sectionIndex(info: DwarfInfo, name: string): number {
  const s = info.sections.find((x) => x.name === name);
  assert.ok(s, `no section ${name} in ${info.file}`);
  return s.index;
}

before(() => {
  assert.ok(fs.existsSync(WASM), `${WASM} is missing: run scripts/build-wasm.sh (npm run build:wasm)`);
  if (SKIP) return;
  dir = tempDir('bpflens-dwarf-');
  for (const f of FIXTURE_SOURCES) {
    objs.push({ name: f.replace(/\.c$/, ''), src: path.join(FIXTURES, 'src', f), flags: [], path: '' });
  }
  const multi = path.join(dir, 'gen_multi.c');
  const single = path.join(dir, 'gen_single.c');
  fs.writeFileSync(multi, generatedSource(GEN_PROGRAMS, false));
  fs.writeFileSync(single, generatedSource(16, true));
  objs.push({ name: 'gen_multi', src: multi, flags: [], path: '' });
  objs.push({ name: 'gen_multi.dwarf4', src: multi, flags: ['-gdwarf-4'], path: '' });
  objs.push({ name: 'gen_multi.bpfeb', src: multi, flags: ['-target', 'bpfeb'], path: '' });
  objs.push({ name: 'gen_single', src: single, flags: [], path: '' });
  objs.push({ name: 'xdp_nobounds.dwarf4', src: path.join(FIXTURES, 'src', 'xdp_nobounds.c'), flags: ['-gdwarf-4'], path: '' });
  objs.push({ name: 'subprog_call.bpfeb', src: path.join(FIXTURES, 'src', 'subprog_call.c'), flags: ['-target', 'bpfeb'], path: '' });
  // as scripts/gen-fixtures.sh builds: relative paths in the DWARF
  objs.push({ name: 'subprog_call.prefixmap', src: path.join(FIXTURES, 'src', 'subprog_call.c'), flags: [`-fdebug-prefix-map=${ROOT}=.`], path: '' });
});

before(async () => {
  reader = await DwarfReader.load(WASM);
  for (const o of objs) {
    o.path = path.join(dir, `${o.name}.o`);
    compileBpf(o.src, o.path, o.flags);
    infos.set(o.name, reader.read(fs.readFileSync(o.path), o.path));
  }
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('DWARF reader vs LLVM tools', { skip: SKIP ?? false }, () => {
  const names = [
    ...FIXTURE_SOURCES.map((f) => f.replace(/\.c$/, '')),
    'gen_multi',
    'gen_multi.dwarf4',
    'gen_multi.bpfeb',
    'gen_single',
    'xdp_nobounds.dwarf4',
    'subprog_call.bpfeb',
    'subprog_call.prefixmap',
  ];

  for (const name of names) {
    describe(name, () => {
      it('reads without warnings', () => {
        assert.deepEqual(info(name).warnings, []);
        assert.ok(info(name).functions.length > 0);
      });

      it('every .debug_line row matches llvm-dwarfdump --debug-line, in order', () => {
        const o = objs.find((x) => x.name === name)!;
        const expected = dumpLineRows(o.path);
        const got = info(name).lines.flatMap((seq) => seq.rows);
        assert.equal(got.length, expected.length, 'row count');
        for (let i = 0; i < got.length; i++) {
          const g = got[i]!;
          const e = expected[i]!;
          const gs = `${g.offset} ${g.line}:${g.column} ${g.file} ${g.isStmt ? 'S' : ''}${g.endSequence ? 'E' : ''}${g.prologueEnd ? 'P' : ''}`;
          const es = `${e.address} ${e.line}:${e.column} ${e.file} ${e.isStmt ? 'S' : ''}${e.endSequence ? 'E' : ''}${e.prologueEnd ? 'P' : ''}`;
          assert.equal(gs, es, `row ${i}`);
        }
        counts.lineRows += got.length;
      });

      it("every instruction's line matches llvm-objdump -dl, per section", () => {
        const o = objs.find((x) => x.name === name)!;
        const di = info(name);
        const index = new DwarfIndex(di);
        const dump = objdumpLines(o.path);
        assert.ok(dump.size > 0);
        let n = 0;
        for (const [secName, insns] of dump) {
          const sec = sectionIndex(di, secName);
          for (const [insn, shown] of insns) {
            const row = index.lineAt(sec, insn * 8);
            const got = row ? `${row.file}:${row.line}` : null;
            const want = shown ? `${shown.file}:${shown.line}` : null;
            assert.equal(got, want, `${secName} insn ${insn}`);
            n++;
          }
        }
        counts.insns += n;
      });

      it('every DW_OP_regN location matches llvm-dwarfdump --debug-info', () => {
        const o = objs.find((x) => x.name === name)!;
        const di = info(name);
        const got: string[] = [];
        for (const { scope, fn } of allScopes(di)) {
          const fnSections = new Set(fn.ranges.map((r) => r[0]));
          for (const v of scope.vars) {
            for (const l of v.locations) {
              assert.ok(fnSections.has(l.section), `${v.name}: location in section ${l.section}, outside ${fn.name}`);
              if (l.kind !== 'reg') continue;
              assert.equal(l.text, `DW_OP_reg${l.reg}`);
              got.push(`${v.name} [${l.lo}, ${l.hi}) r${l.reg}`);
            }
          }
        }
        const expected = dumpRegLocations(o.path);
        assert.deepEqual(got.sort(), expected.sort());
        counts.regLocations += got.length;
      });

      it('every code section starts in a function', () => {
        const di = info(name);
        const index = new DwarfIndex(di);
        for (const s of di.sections.filter((x) => x.exec && x.size > 0)) {
          const fn = index.functionAt(s.index, 0);
          assert.ok(fn, `no function at ${s.name}+0`);
          assert.ok(fn.ranges.some(([sec, lo]) => sec === s.index && lo === 0));
        }
      });
    });
  }

  for (const name of ['xdp_nobounds', 'gen_single', 'xdp_nobounds.dwarf4']) {
    it(`${name}: every instruction's inline chain matches llvm-symbolizer --inlining`, () => {
      const o = objs.find((x) => x.name === name)!;
      const di = info(name);
      const code = di.sections.filter((s) => s.exec && s.size > 0);
      assert.equal(code.length, 1, 'a single code section');
      const sec = code[0]!;
      const index = new DwarfIndex(di);
      const offsets = Array.from({ length: sec.size / 8 }, (_, i) => i * 8);
      const expected = symbolize(o.path, offsets);
      assert.equal(expected.length, offsets.length);
      let nested = 0;
      offsets.forEach((off, i) => {
        const got = index.inlineChainAt(sec.index, off);
        const want = expected[i]!;
        const where = `${sec.name}+0x${off.toString(16)}`;
        assert.equal(got.length, want.length, `${where}: chain depth (${got.map((f) => f.function)} vs ${want.map((f) => f.function)})`);
        if (got.length > 1) nested++;
        got.forEach((g, k) => {
          const w = want[k]!;
          // For the outermost frame, LLVM 14 prefers a symbol-table name, even a branch label.
          const nameOk = g.function === w.function || (k === got.length - 1 && /^LBB\d+_\d+$/.test(w.function));
          assert.ok(nameOk, `${where} frame ${k}: ${g.function} vs ${w.function}`);
          assert.equal(g.file ?? '', w.file, `${where} frame ${k} file`);
          assert.equal(g.line ?? 0, w.line, `${where} frame ${k} line`);
          if (w.line !== 0) assert.equal(g.column ?? 0, w.column, `${where} frame ${k} column`);
        });
        counts.inlineChains++;
      });
      if (name === 'gen_single') assert.ok(nested > 0, 'the generated program has inlined code');
    });
  }

  it('reports what was compared', (t) => {
    t.diagnostic(
      `compared ${counts.lineRows} line rows, ${counts.insns} instructions, ${counts.regLocations} register locations, ${counts.inlineChains} inline chains`,
    );
  });
});

describe('facts the mapping layer relies on', { skip: SKIP ?? false }, () => {
  it('xdp_nobounds: the rejected load through the inlined parse_ip', () => {
    const di = info('xdp_nobounds');
    const xdp = sectionIndex(di, 'xdp');
    assert.deepEqual(
      di.sections.find((s) => s.index === xdp),
      { index: xdp, name: 'xdp', size: 128, exec: true },
    );
    const fn = di.functions.find((f) => f.name === 'xdp_nobounds')!;
    assert.ok(fn.file?.endsWith('test/fixtures/src/xdp_nobounds.c'));
    assert.equal(fn.line, 28);
    assert.deepEqual(fn.ranges, [[xdp, 0, 128]]);
    const inl = fn.inlined.find((i) => i.name === 'parse_ip')!;
    assert.equal(inl.callFile, fn.file);
    assert.equal(inl.callLine, 38);
    assert.equal(inl.callColumn, 6);

    const index = new DwarfIndex(di);
    // insn 11: r1 = *(u8 *)(r1 + 23), the read of ip->protocol the verifier rejects
    const chain = index.inlineChainAt(xdp, 11 * 8);
    assert.deepEqual(
      chain.map((f) => [f.function, f.line, f.column, f.inlined]),
      [
        ['parse_ip', 22, 10, true],
        ['xdp_nobounds', 38, 6, false],
      ],
    );
    assert.equal(index.lineAt(xdp, 11 * 8)?.line, 22);
    // insn 12 has a line-0 row: lineAt gives the previous real line, the chain says "no line"
    assert.equal(index.rowAt(xdp, 12 * 8)?.line, 0);
    assert.equal(index.lineAt(xdp, 12 * 8)?.line, 22);
    assert.equal(index.inlineChainAt(xdp, 12 * 8)[0]!.line, null);

    const vars = index.varsAt(xdp, 11 * 8).map((v) => `${v.scope}/${v.name}: ${v.type} ${v.kind} R${v.reg}${v.offset === null ? '' : `+${v.offset}`}`);
    assert.deepEqual(vars.sort(), [
      'parse_ip/data: void * reg R1',
      'parse_ip/ip: struct iphdr * val R1+14',
      'xdp_nobounds/eth: struct ethhdr * reg R1',
    ]);
    const ctx = fn.vars.find((v) => v.name === 'ctx')!;
    assert.equal(ctx.type, 'struct xdp_md *');
    assert.equal(ctx.param, true);
    assert.equal(fn.vars.find((v) => v.name === 'data_end')!.type, 'void *');
    // optimized out everywhere: no locations, still listed
    assert.deepEqual(fn.vars.find((v) => v.name === 'data')!.locations, []);
    assert.equal(index.lineAt(xdp, 128), null, 'past the end');
    assert.deepEqual(index.inlineChainAt(xdp + 100, 0), []);
  });

  it('subprog_call: two programs and a .text subprogram, told apart by section', () => {
    const di = info('subprog_call');
    const text = sectionIndex(di, '.text');
    const xdp = sectionIndex(di, 'xdp');
    const tc = sectionIndex(di, 'tc');
    assert.deepEqual(
      di.sections.filter((s) => s.exec).map((s) => s.name),
      ['.text', 'xdp', 'tc'],
    );
    const index = new DwarfIndex(di);
    assert.equal(index.functionAt(text, 0)?.name, 'count_len');
    assert.equal(index.functionAt(xdp, 0)?.name, 'subprog_call_xdp');
    assert.equal(index.functionAt(tc, 0)?.name, 'subprog_call_tc');
    assert.deepEqual([text, xdp, tc].map((s) => index.lineAt(s, 0)?.line), [20, 32, 40]);
    const slot = di.functions.find((f) => f.name === 'count_len')!.vars.find((v) => v.name === 'slot')!;
    assert.equal(slot.type, '__u32');
    const spilled = slot.locations.find((l) => l.kind === 'mem')!;
    assert.deepEqual([spilled.section, spilled.reg, spilled.offset, spilled.text], [text, 10, 4, 'DW_OP_breg10 +4']);
    assert.ok(index.varsAt(text, 8 * 8).some((v) => v.name === 'slot' && v.kind === 'mem' && v.reg === 10));
    // Same DWARF from the big-endian build.
    const be = info('subprog_call.bpfeb');
    assert.deepEqual(
      be.functions.map((f) => [f.name, f.ranges]),
      di.functions.map((f) => [f.name, f.ranges]),
    );
  });

  it('paths: relative ones come out clean, as the committed fixtures are built', () => {
    const di = reader.read(fs.readFileSync(path.join(FIXTURES, 'obj', 'xdp_nobounds.o')), 'xdp_nobounds.o');
    assert.equal(di.functions[0]!.file, 'test/fixtures/src/xdp_nobounds.c');
    assert.deepEqual(di.files, ['test/fixtures/src/xdp_nobounds.c']);
    assert.ok(info('subprog_call.prefixmap').functions.every((f) => f.file?.endsWith('test/fixtures/src/subprog_call.c') && !f.file.includes('./')));
  });

  it('bpf_loop: a struct on the stack through DW_OP_fbreg', () => {
    const di = info('bpf_loop');
    const fn = di.functions.find((f) => f.name === 'bpf_loop')!;
    const lc = fn.vars.find((v) => v.name === 'lc')!;
    assert.equal(lc.type, 'struct loop_ctx');
    assert.deepEqual(
      lc.locations.map((l) => [l.kind, l.reg, l.offset, l.text]),
      [['mem', 10, 0, 'DW_OP_fbreg +0']],
    );
  });

  it('generated: 40 program sections, three levels of inlining, lexical blocks flattened', () => {
    for (const name of ['gen_multi', 'gen_multi.dwarf4', 'gen_multi.bpfeb']) {
      const di = info(name);
      const code = di.sections.filter((s) => s.exec && s.size > 0);
      assert.equal(code.length, GEN_PROGRAMS + 1, `${name}: programs + .text`);
      const index = new DwarfIndex(di);
      for (let i = 0; i < GEN_PROGRAMS; i++) {
        const sec = sectionIndex(di, `xdp/p${i}`);
        assert.equal(index.functionAt(sec, 0)?.name, `prog${i}`, name);
      }
      let deepest = 0;
      for (const f of di.functions) {
        const depth = (s: DwarfScope): number => 1 + Math.max(0, ...s.inlined.map(depth));
        deepest = Math.max(deepest, depth(f));
      }
      assert.ok(deepest >= 4, `${name}: prog -> top -> mid -> leaf (got ${deepest})`);
      // `b` is declared in a block inside mid(); it is listed among mid's variables.
      const mids = allScopes(di).filter((s) => s.scope.name === 'mid');
      assert.ok(mids.length > 0);
      assert.ok(mids.every((m) => m.scope.vars.some((v) => v.name === 'b' && v.type === 'int')));
      assert.ok(mids.every((m) => m.scope.vars.some((v) => v.name === 'what' && v.type === 'const char *')));
      const leafs = allScopes(di).filter((s) => s.scope.name === 'leaf');
      assert.ok(leafs.every((m) => m.scope.vars.some((v) => v.name === 'p' && v.type === 'unsigned char *')));
    }
    // DWARF 4 and 5 and both byte orders describe the same program.
    const shape = (di: DwarfInfo): string =>
      JSON.stringify(di.functions.map((f) => [f.name, f.ranges.map((r) => r.slice(1)), f.inlined.length, f.vars.map((v) => [v.name, v.type])]));
    assert.equal(shape(info('gen_multi.dwarf4')), shape(info('gen_multi')));
    assert.equal(shape(info('gen_multi.bpfeb')), shape(info('gen_multi')));
  });

  it('the index agrees with the line table and the scope tree everywhere', () => {
    for (const [name, di] of infos) {
      const index = new DwarfIndex(di);
      for (const s of di.sections.filter((x) => x.exec)) {
        for (let off = 0; off < s.size; off += 8) {
          const chain = index.inlineChainAt(s.index, off);
          const scopes = index.scopesAt(s.index, off);
          assert.equal(chain.length, scopes.length, `${name} ${s.name}+${off}`);
          if (chain.length === 0) continue;
          assert.equal(chain[chain.length - 1]!.inlined, false);
          assert.equal(chain[chain.length - 1]!.function, scopes[0]!.name);
          const row = index.rowAt(s.index, off);
          if (row && row.line !== 0) assert.equal(chain[0]!.line, row.line);
          for (const v of index.varsAt(s.index, off)) assert.ok(scopes.some((sc) => sc.name === v.scope));
        }
      }
    }
  });
});
