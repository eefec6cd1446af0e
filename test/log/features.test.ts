/** Editor features computed by the core (the LSP test checks the same through the protocol). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { definition, hover, symbols, writtenRegs } from '../../server/src/features/log-features';
import { lineText, parseLog } from '../../server/src/log/parse';
import { read } from '../helpers/fixtures';

function lineOf(text: string, start: string): number {
  const i = text.split('\n').findIndex((l) => l.startsWith(start));
  assert.ok(i >= 0, start);
  return i;
}

describe('hover', () => {
  const text = read('logs/xdp_nobounds.L1.log');
  const log = parseLog(text);
  const line = lineOf(text, '11: (71)');
  it('explains the register an instruction reads, with the state before it', () => {
    const col = lineText(log, line).indexOf('(r1 +23)') + 1;
    const h = hover(log, line, col)!;
    assert.match(h.markdown, /^\*\*R1\*\* = `pkt\(r=14\)` before insn 11/);
    assert.match(h.markdown, /packet pointer, at data, 14 bytes proven readable/);
  });
  it('explains a register in a state comment, after the instruction', () => {
    const l = lineOf(text, '5: (2d)');
    const col = lineText(log, l).indexOf('R3=') + 1;
    const md = hover(log, l, col)!.markdown;
    assert.match(md, /^\*\*R3\*\* = `pkt\(off=14,r=14\)` after insn 5/);
    assert.match(md, /14 bytes past data, 14 bytes proven readable/);
  });
  it('names a stack slot from the instruction offset', () => {
    const t = read('logs/stack_uninit.L1.log');
    const lg = parseLog(t);
    const l = t.split('\n').findIndex((x) => /\(r10 -\d+\)/.test(x));
    const col = lineText(lg, l).search(/-\d+\)/) + 1;
    assert.match(hover(lg, l, col)!.markdown, /^\*\*fp-\d+\*\*/);
  });
  it('says when a register is not initialised', () => {
    const l = lineOf(text, '0: (b7)');
    const col = lineText(log, l).indexOf('r0');
    assert.match(hover(log, l, col)!.markdown, /not initialised/);
  });
});

describe('definition', () => {
  it('goes from a use to the instruction that last wrote the register', () => {
    const text = read('logs/xdp_nobounds.L1.log');
    const log = parseLog(text);
    const use = lineOf(text, '11: (71)');
    const d = definition(log, use, lineText(log, use).indexOf('(r1 +23)') + 1)!;
    assert.equal(d.line, lineOf(text, '2: (61) r1 ='));
  });
  it('follows a path back through the branch it started from', () => {
    const text = read('logs/xdp_pass.L2.log');
    const log = parseLog(text);
    const p = log.paths.find((x) => x.fromInsn !== null && !x.pruned)!;
    const first = [...log.events.line].find((l) => l > p.line)!;
    const t = lineText(log, first);
    const m = /\br([0-9])\b/.exec(t.slice(t.indexOf(')') + 1));
    if (!m) return;
    const d = definition(log, first, t.indexOf(')') + 1 + m.index + 1);
    if (d) assert.ok(d.line < p.line, 'defined before the path started');
  });
  it('knows which registers an instruction writes', () => {
    assert.deepEqual(writtenRegs('r1 = *(u32 *)(r1 +4)'), [1]);
    assert.deepEqual(writtenRegs('r3 += 14'), [3]);
    assert.deepEqual(writtenRegs('w3 s>>= 2'), [3]);
    assert.deepEqual(writtenRegs('call bpf_map_lookup_elem#1'), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(writtenRegs('*(u32 *)(r10 -4) = r1'), []);
    assert.deepEqual(writtenRegs('if r3 > r2 goto pc+9'), []);
  });
});

describe('symbols', () => {
  it('lists subprograms, paths, the error and stats', () => {
    const log = parseLog(read('logs/ringbuf_leak.L2.log'));
    const kinds = new Set(symbols(log).map((s) => s.kind));
    for (const k of ['function', 'path', 'error', 'stats']) assert.ok(kinds.has(k as never), k);
  });
  it('names the program from the loader text', () => {
    const log = parseLog(read('logs/map_null.L1.libbpf.txt'));
    assert.ok(symbols(log).some((s) => s.name === 'map_null' && s.kind === 'function'));
  });
});
