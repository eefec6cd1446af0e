/**
 * Programs, functions, calls and libbpf's instruction layout.
 *
 * - `programsOf` against the symbol table as llvm-readobj reads it, and every instruction against
 *   `llvm-objdump -d`'s raw bytes.
 * - `libbpfLayout` against real verifier logs: for every instruction the kernel printed
 *   (`N: (op) …`), the opcode at layout index N is the printed opcode, and every `func#K @N` is where
 *   the layout starts its K-th function. This runs on the committed fixture logs (kernel 6.18), on
 *   the five-kernel logs (5.10 … 7.3, objects rebuilt from their sources), and on fresh loads of a
 *   program family with several call orders, loaded here by the repo's libbpf loader.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { readElf, ElfFile, SHF_EXECINSTR, STT_FUNC } from '../../server/src/mapping/elf';
import { libbpfLayout, programsOf, LayoutSlot } from '../../server/src/mapping/programs';
import { readObject } from '../../server/src/mapping/object';
import { ObjectReadError } from '../../server/src/mapping/read-error';
import { FIXTURES, tempDir, buildLoader } from '../helpers/fixtures';

const OBJ = path.join(FIXTURES, 'obj');
const objects = fs.readdirSync(OBJ).filter((f) => f.endsWith('.o')).sort();
const has = (cmd: string): boolean => spawnSync(cmd, ['--version']).status === 0;
const HAVE_LLVM = has('llvm-readobj') && has('llvm-objdump');
const HAVE_CLANG = has('clang');
const CAN_LOAD = HAVE_CLANG && process.getuid?.() === 0 && has('gcc') && fs.existsSync('/usr/include/bpf/libbpf.h');
const MULTIARCH = spawnSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).stdout?.trim() || 'x86_64-linux-gnu';

const tmp = tempDir('bpflens-progs-');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Compiles C text, or the C file `source` when `isFile`, into the scratch directory. */
function compile(source: string, name: string, isFile = false): string {
  const src = isFile ? source : path.join(tmp, `${name}.c`);
  if (!isFile) fs.writeFileSync(src, source);
  const out = path.join(tmp, `${name}.o`);
  execFileSync('clang', ['-g', '-O2', '-target', 'bpf', `-I/usr/include/${MULTIARCH}`, '-c', src, '-o', out]);
  return out;
}

function elfOf(file: string): ElfFile {
  return readElf(fs.readFileSync(file), path.basename(file));
}

/** The opcode byte of every slot of a layout. */
function opcodes(elf: ElfFile, layout: LayoutSlot[]): number[] {
  return layout.map((s) => elf.sections[s.sectionIndex].data()[s.offset]);
}

/** Indexes where the layout starts a new function: what the verifier prints as `func#K @N`. */
function functionStarts(layout: LayoutSlot[]): number[] {
  return layout.flatMap((s, i) => (i === 0 || s.function !== layout[i - 1].function ? [i] : []));
}

/** Checks a verifier log against the layout; returns how many instruction lines it checked. */
function checkLog(elf: ElfFile, program: string, log: string, where: string): number {
  const layout = libbpfLayout(elf, program);
  const ops = opcodes(elf, layout);
  let checked = 0;
  const funcs: number[] = [];
  for (const line of log.split('\n')) {
    const f = /^func#(\d+) @(\d+)$/.exec(line);
    if (f) {
      assert.equal(Number(f[1]), funcs.length, `${where}: func# lines in order`);
      funcs.push(Number(f[2]));
      continue;
    }
    const m = /^(\d+): \(([0-9a-f]{2})\)/.exec(line);
    if (!m) continue;
    const insn = Number(m[1]);
    assert.ok(insn < layout.length, `${where}: instruction ${insn} is past the layout (${layout.length} slots)`);
    assert.equal(ops[insn].toString(16).padStart(2, '0'), m[2], `${where}: opcode of instruction ${insn} (${layout[insn].function} ${layout[insn].section}+${layout[insn].offset})`);
    checked++;
  }
  if (funcs.length > 0) {
    if (/number of funcs in func_info doesn't match number of subprogs/.test(log)) {
      // A kernel without BPF_PSEUDO_FUNC (< 5.13) does not see the appended callback as a function.
      assert.deepEqual(funcs, functionStarts(layout).slice(0, funcs.length), `${where}: func#K @N`);
    } else {
      assert.deepEqual(funcs, functionStarts(layout), `${where}: func#K @N`);
    }
  }
  return checked;
}

describe('programsOf: functions agree with llvm-readobj and llvm-objdump', { skip: HAVE_LLVM ? false : 'llvm not installed' }, () => {
  for (const name of objects) {
    it(name, () => {
      const file = path.join(OBJ, name);
      const elf = elfOf(file);
      const progs = programsOf(elf);
      const out = execFileSync('llvm-readobj', ['--elf-output-style=JSON', '-S', '-s', file], { encoding: 'utf8' });
      const doc = Object.values((JSON.parse(out) as Record<string, any>[])[0])[0] as any;
      const secs = doc.Sections.map((s: any) => s.Section);
      const exec = new Set(secs.filter((s: any) => (s.Flags.RawFlags & SHF_EXECINSTR) !== 0 && s.Size > 0).map((s: any) => s.Index));
      const funcs = doc.Symbols.map((s: any) => s.Symbol)
        .filter((s: any) => s.Type.RawValue === STT_FUNC && exec.has(s.Section.RawValue))
        .sort((a: any, b: any) => a.Section.RawValue - b.Section.RawValue || a.Value - b.Value)
        .map((s: any) => [s.Name.Value, s.Section.Value, s.Section.RawValue, s.Value, s.Size / 8, s.Section.Value === '.text']);
      assert.deepEqual(
        progs.map((p) => [p.name, p.section, p.sectionIndex, p.offset, p.insnCount, p.isSubprog]),
        funcs,
      );

      // Every slot of every function, byte for byte as llvm-objdump prints it.
      for (const sec of new Set(progs.map((p) => p.section))) {
        const dis = execFileSync('llvm-objdump', ['-d', `--section=${sec}`, file], { encoding: 'utf8' });
        const slots = new Map<number, number[]>();
        for (const line of dis.split('\n')) {
          const m = /^\s+(\d+):\t((?:[0-9a-f]{2} ?)+)\t/.exec(line);
          if (!m) continue;
          const bytes = m[2].trim().split(' ').map((b) => parseInt(b, 16));
          for (let k = 0; k < bytes.length / 8; k++) slots.set(Number(m[1]) + k, bytes.slice(k * 8, k * 8 + 8));
        }
        let total = 0;
        for (const p of progs.filter((q) => q.section === sec)) {
          const insns = p.insns();
          assert.equal(insns.length, p.insnCount);
          insns.forEach((insn, i) => {
            const b = slots.get(p.offset / 8 + i);
            assert.ok(b, `${p.name} slot ${i} not in llvm-objdump`);
            const dv = new DataView(Uint8Array.from(b).buffer);
            assert.deepEqual(
              [insn.code, insn.dst, insn.src, insn.off, insn.imm],
              [b[0], b[1] & 0xf, b[1] >> 4, dv.getInt16(2, true), dv.getInt32(4, true)],
              `${p.name} slot ${i}`,
            );
          });
          total += p.insnCount;
        }
        assert.equal(total, slots.size, `${sec}: every slot belongs to a function`);
      }
    });
  }
});

describe('programsOf: calls and callbacks', () => {
  it('subprog_call: both programs call count_len in .text through a relocation', () => {
    const progs = programsOf(elfOf(path.join(OBJ, 'subprog_call.o')));
    const by = new Map(progs.map((p) => [p.name, p]));
    assert.deepEqual(by.get('subprog_call_xdp')!.calls, [{ insn: 4, target: { section: '.text', offset: 0, sectionIndex: 2 } }]);
    assert.deepEqual(by.get('subprog_call_tc')!.calls, [{ insn: 3, target: { section: '.text', offset: 0, sectionIndex: 2 } }]);
    assert.equal(by.get('count_len')!.isSubprog, true);
    assert.deepEqual(by.get('count_len')!.calls, []); // the map helper call is not bpf-to-bpf
  });

  it('global_func: a call to a global function', () => {
    const progs = programsOf(elfOf(path.join(OBJ, 'global_func.o')));
    const main = progs.find((p) => p.name === 'global_func')!;
    const classify = progs.find((p) => p.name === 'classify')!;
    assert.equal(main.calls.length, 1);
    assert.deepEqual(main.calls[0].target, { section: '.text', offset: classify.offset, sectionIndex: classify.sectionIndex });
  });

  it('bpf_loop: the callback is a pseudo-func reference, not a call', () => {
    const progs = programsOf(elfOf(path.join(OBJ, 'bpf_loop.o')));
    const main = progs.find((p) => p.name === 'bpf_loop')!;
    assert.deepEqual(main.calls, []);
    assert.equal(main.callbacks.length, 1);
    const cb = progs.find((p) => p.name === 'sum_cb')!;
    assert.deepEqual(main.callbacks[0].target, { section: '.text', offset: cb.offset, sectionIndex: cb.sectionIndex });
    assert.equal(main.insns()[main.callbacks[0].insn].code, 0x18);
  });
});

describe('programsOf: kfunc calls are not bpf-to-bpf calls', { skip: HAVE_CLANG ? false : 'clang not installed' }, () => {
  it('iter_num: pseudo calls relocated against undefined kfunc symbols are skipped', () => {
    const elf = elfOf(compile(path.join(FIXTURES, 'kernels', 'src', 'iter_num.c'), 'kfunc_iter_num', true));
    const prog = programsOf(elf).find((p) => p.name === 'xdp_iter_num')!;
    const pseudoCalls = prog.insns().filter((i) => i.code === 0x85 && i.src === 1);
    assert.ok(pseudoCalls.length >= 3, 'the object calls kfuncs with src_reg = 1');
    assert.deepEqual(prog.calls, []);
    assert.deepEqual(functionStarts(libbpfLayout(elf, 'xdp_iter_num')), [0]);
  });
});

describe('libbpfLayout against the committed verifier logs (kernel 6.18)', () => {
  const logs = fs.readdirSync(path.join(FIXTURES, 'logs')).filter((f) => f.endsWith('.log')).sort();
  for (const log of logs) {
    const meta = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'logs', log.replace(/\.log$/, '.json')), 'utf8'));
    it(log, () => {
      const elf = elfOf(path.join(OBJ, meta.object));
      const text = fs.readFileSync(path.join(FIXTURES, 'logs', log), 'utf8');
      const n = checkLog(elf, meta.program, text, log);
      // An accepted program's level-1 log has no instruction lines.
      if (meta.logLevel === 2 || meta.verdict === 'rejected') assert.ok(n > 0, 'the log prints instructions');
      if (meta.logLevel === 2) assert.match(text, /^func#0 @0$/m);
    });
  }

  it('subprog_call: count_len is appended after each program (func#1 @12 for xdp, @11 for tc)', () => {
    const elf = elfOf(path.join(OBJ, 'subprog_call.o'));
    const xdp = libbpfLayout(elf, 'subprog_call_xdp');
    assert.equal(xdp.length, 12 + 18);
    assert.deepEqual(xdp[12], { insn: 12, section: '.text', sectionIndex: 2, offset: 0, function: 'count_len' });
    assert.deepEqual(xdp[29], { insn: 29, section: '.text', sectionIndex: 2, offset: 17 * 8, function: 'count_len' });
    const tc = libbpfLayout(elf, 'tc'); // by section name
    assert.deepEqual(functionStarts(tc), [0, 11]);
    assert.equal(tc[0].function, 'subprog_call_tc');
  });
});

describe('libbpfLayout against five kernels (5.10, 6.1, 6.12, 6.18, 7.3)', { skip: HAVE_CLANG ? false : 'clang not installed' }, () => {
  const kdir = path.join(FIXTURES, 'kernels');
  const kernels = fs.readdirSync(kdir).filter((d) => fs.statSync(path.join(kdir, d)).isDirectory() && d !== 'src').sort();
  const built = new Map<string, ElfFile>();
  for (const k of kernels) {
    for (const log of fs.readdirSync(path.join(kdir, k)).filter((f) => f.endsWith('.log')).sort()) {
      it(`${k}/${log}`, (t) => {
        const text = fs.readFileSync(path.join(kdir, k, log), 'utf8');
        const m = /^# program: (\S+) \(src\/(\S+)\.c, prog (\S+)\)/m.exec(text);
        assert.ok(m, 'capture header names the program');
        const [, , src, prog] = m;
        let elf = built.get(src);
        if (!elf) {
          elf = elfOf(compile(path.join(kdir, 'src', `${src}.c`), `k_${src}`, true));
          built.set(src, elf);
        }
        const n = checkLog(elf, prog, text, `${k}/${log}`);
        if (n === 0) t.diagnostic('no instruction lines (libbpf refused the program before the kernel saw it)');
      });
    }
  }
});

/** A program family whose call orders differ from the `.text` order and from each other. */
const CHAIN_SRC = `
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

static __noinline int leaf(int x) { return x * 3 + 1; }
static __noinline int mid(int x) { return leaf(x) + 2; }
static __noinline int top(int x) { return mid(x) ^ 5; }
static __noinline int other(int x)
{
	if (x > 7)
		return leaf(x - 1) * 7;
	return x;
}
__noinline int glob(int x)
{
	int a = other(x);

	return top(a);
}
struct cb_data { int v; };
static long cb(__u32 idx, void *data)
{
	struct cb_data *d = data;

	d->v = leaf(d->v + idx);
	return d->v > 1000;
}

SEC("xdp") int chain_down(struct xdp_md *ctx) { return top(ctx->rx_queue_index) & 1 ? XDP_PASS : XDP_DROP; }
SEC("xdp") int chain_up(struct xdp_md *ctx)
{
	int a = leaf(ctx->rx_queue_index);

	return top(a) & 1 ? XDP_PASS : XDP_DROP;
}
SEC("tc") int chain_two(struct __sk_buff *skb)
{
	int a = other(skb->len);

	return mid(a) & 1 ? TC_ACT_OK : TC_ACT_SHOT;
}
SEC("xdp") int chain_glob(struct xdp_md *ctx) { return glob(ctx->rx_queue_index) & 1 ? XDP_PASS : XDP_DROP; }
SEC("xdp") int chain_cb(struct xdp_md *ctx)
{
	struct cb_data d = { .v = ctx->rx_queue_index };

	bpf_loop(4, cb, &d, 0);
	return mid(d.v) & 1 ? XDP_PASS : XDP_DROP;
}
char LICENSE[] SEC("license") = "GPL";
`;

/** Derived by hand from libbpf's bpf_object__reloc_code: append at the first reference, then recurse. */
const CHAIN_ORDER: Record<string, string[]> = {
  chain_down: ['chain_down', 'top', 'mid', 'leaf'],
  chain_up: ['chain_up', 'leaf', 'top', 'mid'],
  chain_two: ['chain_two', 'other', 'leaf', 'mid'],
  chain_glob: ['chain_glob', 'glob', 'other', 'leaf', 'top', 'mid'],
  chain_cb: ['chain_cb', 'cb', 'leaf', 'mid'],
};

describe('libbpfLayout: call orders (depth first, each subprogram once)', { skip: HAVE_CLANG ? false : 'clang not installed' }, () => {
  let obj = '';
  const chain = (): string => (obj ||= compile(CHAIN_SRC, 'chain'));

  it('appends in libbpf order, not .text order', () => {
    const elf = elfOf(chain());
    const textOrder = programsOf(elf).filter((p) => p.isSubprog).map((p) => p.name);
    let unlikeText = 0;
    for (const [prog, order] of Object.entries(CHAIN_ORDER)) {
      const layout = libbpfLayout(elf, prog);
      const fns = functionStarts(layout).map((i) => layout[i].function);
      assert.deepEqual(fns, order, prog);
      if (fns.slice(1).join() !== textOrder.filter((n) => order.includes(n)).join()) unlikeText++;
      // Every slot of every function exactly once, contiguous per function.
      const progs = programsOf(elf);
      assert.equal(layout.length, order.reduce((n, f) => n + progs.find((p) => p.name === f)!.insnCount, 0));
      layout.forEach((s, i) => assert.equal(s.insn, i));
    }
    // The family only tests the append order if most layouts differ from the .text order.
    assert.ok(unlikeText >= 3, `${unlikeText} layouts differ from .text order (${textOrder.join(', ')})`);
  });

  it('matches the kernel: fresh loads at log level 2 by the repo loader', { skip: CAN_LOAD ? false : 'needs root, gcc and libbpf-dev' }, () => {
    const loader = buildLoader(tmp);
        const outDir = path.join(tmp, 'logs');
    fs.mkdirSync(outDir, { recursive: true });
    execFileSync(loader, [chain(), '2', outDir], { stdio: 'pipe' });
    const elf = elfOf(chain());
    for (const prog of Object.keys(CHAIN_ORDER)) {
      const text = fs.readFileSync(path.join(outDir, `${prog}.L2.log`), 'utf8');
      assert.match(text, /^func#1 @\d+$/m, `${prog}: the kernel saw subprograms`);
      const funcLines = text.split('\n').filter((l) => /^func#\d+ @\d+$/.test(l)).length;
      assert.equal(funcLines, CHAIN_ORDER[prog].length, `${prog}: one func# per appended function`);
      assert.ok(checkLog(elf, prog, text, prog) > 10);
    }
  });
});

describe('libbpfLayout: errors', () => {
  it('names a program that does not exist, or a subprogram', () => {
    const elf = elfOf(path.join(OBJ, 'subprog_call.o'));
    assert.throws(() => libbpfLayout(elf, 'nope'), (e: unknown) => e instanceof ObjectReadError && /no program named nope/.test(e.what));
    assert.throws(() => libbpfLayout(elf, 'count_len'), (e: unknown) => e instanceof ObjectReadError && /\.text subprogram/.test(e.what));
  });

  it('a call that lands on no subprogram is an error, as in libbpf', () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(OBJ, 'subprog_call.o')));
    const elf0 = readElf(bytes, 'x.o');
    const xdp = elf0.section('xdp')!;
    // Instruction 4 of xdp is `call -1` relocated against .text; make it point past count_len.
    new DataView(bytes.buffer).setInt32(xdp.offset + 4 * 8 + 4, 500, true);
    const elf = readElf(bytes, 'x.o');
    assert.deepEqual(programsOf(elf).find((p) => p.name === 'subprog_call_xdp')!.calls[0].target, { section: '.text', offset: 501 * 8, sectionIndex: 2 });
    assert.throws(() => libbpfLayout(elf, 'subprog_call_xdp'), (e: unknown) => e instanceof ObjectReadError && /refers to \.text\+4008, which is no \.text subprogram/.test(e.what));
  });

  it('a code section without function symbols is one program named after the section', () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(OBJ, 'xdp_pass.o')));
    const elf0 = readElf(bytes, 'x.o');
    const symtab = elf0.sections.find((s) => s.name === '.symtab')!;
    const sym = elf0.symbols.find((s) => s.name === 'xdp_pass')!;
    bytes[symtab.offset + sym.index * 24 + 4] = (sym.bind << 4) | 0; // STT_NOTYPE
    const progs = programsOf(readElf(bytes, 'x.o'));
    assert.deepEqual(progs.map((p) => [p.name, p.section, p.offset, p.insnCount, p.bind]), [['xdp', 'xdp', 0, sym.size / 8, -1]]);
    assert.match(readObject(bytes, 'x.o').warnings.join('\n'), /section xdp has code but no function symbol/);
  });

  it('a static program reads, with a warning that libbpf refuses it', () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(OBJ, 'xdp_pass.o')));
    const elf0 = readElf(bytes, 'x.o');
    const symtab = elf0.sections.find((s) => s.name === '.symtab')!;
    const sym = elf0.symbols.find((s) => s.name === 'xdp_pass')!;
    bytes[symtab.offset + sym.index * 24 + 4] = (0 << 4) | STT_FUNC; // STB_LOCAL
    const o = readObject(bytes, 'x.o');
    assert.equal(o.programs[0].bind, 0);
    assert.deepEqual(o.warnings, ['x.o: program xdp_pass in xdp is static; libbpf 1.x refuses to load static programs']);
  });

  it('a function that crosses the end of its section', () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(OBJ, 'xdp_pass.o')));
    const elf0 = readElf(bytes, 'x.o');
    const symtab = elf0.sections.find((s) => s.name === '.symtab')!;
    const sym = elf0.symbols.find((s) => s.name === 'xdp_pass')!;
    new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(symtab.offset + sym.index * 24 + 16, BigInt(sym.size + 8), true);
    assert.throws(
      () => programsOf(readElf(bytes, 'x.o')),
      (e: unknown) => e instanceof ObjectReadError && /function xdp_pass \(\d+ bytes at offset 0\) does not fit/.test(e.what) && e.offset !== null,
    );
  });
});
