/**
 * Source-mapping cost on a generated 1,000-program object (clang -g, every program in its own
 * section with a three-deep inline chain and a bpf-to-bpf callee): reading ELF/BTF/BTF.ext and
 * DWARF (wasm) into lookups, then mapping every instruction of every program as libbpf lays it
 * out. Baseline: reading the object's bytes and summing them, in the same run.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dwarfReader, mapBytes } from '../server/src/mapping/mapped-object';
import { libbpfLayout } from '../server/src/mapping/programs';
import { ProgramSourceMap } from '../server/src/mapping/source-map';
import { compileBpf, generatedSource } from '../test/helpers/llvm';
import { fmtMs, fmtX, gc, median, min, msSince, now, row, section } from './report';

const PROGRAMS = 1000;

function touchBytes(file: string): number {
  const t0 = now();
  const b = fs.readFileSync(file);
  let sum = 0;
  for (let i = 0; i < b.length; i++) sum = (sum + b[i]) | 0;
  if (sum === 0.5) console.log('');
  return msSince(t0);
}

export async function benchMapping(): Promise<void> {
  section(`source mapping: generated ${PROGRAMS}-program object`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpflens-bench-obj-'));
  const src = path.join(dir, 'gen.c');
  const obj = path.join(dir, 'gen.o');
  fs.writeFileSync(src, generatedSource(PROGRAMS, false));
  let t0 = now();
  compileBpf(src, obj);
  console.log(`clang: ${fmtMs(msSince(t0))}, object ${(fs.statSync(obj).size / 1048576).toFixed(1)} MiB`);
  const reader = await dwarfReader();
  const floor = min([0, 1, 2, 3, 4].map(() => touchBytes(obj)));

  const timeMap = (): number => {
    const t = now();
    const bytes = fs.readFileSync(obj);
    const m = mapBytes(bytes, obj, reader);
    // BTF and BTF.ext are read lazily; the target names them, so force them here.
    if (m.object.btf === undefined || m.object.btfExt === undefined) throw new Error('unreachable');
    return msSince(t);
  };
  const first = timeMap();
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    gc();
    runs.push(timeMap());
  }
  const mapped = mapBytes(fs.readFileSync(obj), obj, reader);
  console.log(`DWARF+BTF read: first ${fmtMs(first)}, then ${runs.map(fmtMs).join(', ')}; ${mapped.dwarf?.functions.length ?? 0} functions, ${mapped.object.programs.length} programs`);
  row('map object (ELF+BTF+BTF.ext+DWARF), after first call (median of 5)', fmtMs(median(runs)), `read+sum bytes ${fmtMs(floor)}`, fmtX(median(runs) / floor), '≤ 100 ms', median(runs) <= 100 ? 'PASS' : 'FAIL');
  row('map object, first call', fmtMs(first), `read+sum bytes ${fmtMs(floor)}`, fmtX(first / floor), '—', 'info');

  const mapAll = (): { ms: number; insns: number; located: number } => {
    const t = now();
    let insns = 0;
    let located = 0;
    for (const p of mapped.object.programs) {
      if (p.isSubprog) continue;
      const layout = libbpfLayout(mapped.object.elf, p.name, mapped.object.programs);
      const map = new ProgramSourceMap({ object: mapped, program: p.name, layout, checked: 0, matched: 0, firstMismatch: null });
      for (let i = 0; i < layout.length; i++) {
        insns++;
        const src = map.at(i);
        // Touch all three so nothing computed lazily escapes the measurement.
        if (src?.location && src.inlineChain.length >= 0 && src.vars.length >= 0) located++;
      }
    }
    return { ms: msSince(t), insns, located };
  };
  mapAll();
  const all = [0, 1, 2].map(() => { gc(); return mapAll(); });
  const best = all.reduce((a, b) => (a.ms <= b.ms ? a : b));
  console.log(`every instruction: ${all.map((r) => fmtMs(r.ms)).join(', ')}; ${best.insns} instructions, ${best.located} with a C line`);
  row('map every instruction (line, inline chain, variables)', fmtMs(best.ms), `read+sum bytes ${fmtMs(floor)}`, fmtX(best.ms / floor), '≤ 50 ms', best.ms <= 50 ? 'PASS' : 'FAIL');
  fs.rmSync(dir, { recursive: true, force: true });
}
