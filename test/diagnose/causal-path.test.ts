/** Causal paths rebuilt from real logs of every kernel, and checked against kernel 7.3's own. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { causalPath } from '../../server/src/diagnose/causal-path';
import { diagnose } from '../../server/src/diagnose/diagnosis';
import { parseLog } from '../../server/src/log/parse';
import { summarizeLog, summaryOf } from '../../server/src/log/summary';
import { list, read } from '../helpers/fixtures';

function pathOf(rel: string) {
  const log = parseLog(read(rel));
  return causalPath(log, log.errors[0]);
}

describe('causal path', () => {
  for (const k of list('kernels', '').filter((d) => /^kernels\/\d/.test(d))) {
    it(`${k}: packet pointer from ctx, the bounds check that proved 14 bytes, the read at 23`, () => {
      const steps = pathOf(`${k}/xdp_nobounds.log`);
      assert.deepEqual(steps.map((s) => [s.kind, s.insn]), [['origin', 2], ['narrow', 5], ['fail', 11]]);
      assert.match(steps[1].text, /if r3 > r2 goto pc\+9 — on the path taken: R3=pkt\([^)]*r=14/);
      assert.match(steps[2].text, /R1=pkt\([^)]*r=14/);
    });
  }
  it('agrees with kernel 7.3: every step we name is on the kernel\'s own causal path', () => {
    const log = parseLog(read('kernels/7.3.4-deb13bpo-cloud/xdp_nobounds.log'));
    const kernel = new Set(log.kernelDiagnostic!.causalPath.map((c) => c.insn));
    const ours = causalPath(log, log.errors[0]).filter((s) => s.kind !== 'fail');
    assert.ok(ours.length >= 2);
    for (const s of ours) assert.ok(kernel.has(s.insn), `insn ${s.insn} is not on the kernel's path ${[...kernel]}`);
  });
  it('a NULL map value: from the lookup to the dereference', () => {
    assert.deepEqual(pathOf('logs/map_null.L1.log').map((s) => [s.kind, s.insn]), [['origin', 6], ['fail', 7]]);
  });
  it('a leaked reference: from the reserve to the exit', () => {
    const steps = pathOf('logs/ringbuf_leak.L1.log');
    assert.deepEqual(steps.map((s) => s.kind), ['origin', 'fail']);
    assert.match(steps[0].text, /bpf_ringbuf_reserve.*takes the reference/);
    assert.match(steps[1].text, /exit/);
  });
  it('an out-of-range return value: from the load through the mask to the exit', () => {
    assert.deepEqual(pathOf('logs/ret_range.L1.log').map((s) => s.kind), ['origin', 'derive', 'fail']);
  });
  it('a map value index: the lookup, its NULL check, the bound check and the scaled add', () => {
    const steps = pathOf('logs/array_oob.L1.log');
    assert.equal(steps[0].kind, 'origin');
    assert.ok(steps.some((s) => s.kind === 'derive' && /r0 \+= r6/.test(s.text)));
    assert.equal(steps.at(-1)!.kind, 'fail');
  });
  it('errors about an instruction: the instruction itself, and for a loop where it repeats', () => {
    assert.deepEqual(pathOf('logs/license_gpl.L1.log').map((s) => [s.kind, s.insn]), [['fail', 4]]);
    const loop = pathOf('logs/unbounded_loop.L1.log');
    assert.deepEqual(loop.map((s) => s.kind), ['origin', 'fail']);
    assert.equal(loop[0].insn, 55);
  });
  it('every failing fixture has a causal path', () => {
    for (const rel of list('logs', '.L1.log')) {
      const log = parseLog(read(rel));
      if (log.verdict === 'rejected') assert.ok(causalPath(log, log.errors[0]).length > 0, rel);
    }
  });
  it('reaches the JSON with 1-based log lines, also when only the tail of a log is read', () => {
    const text = read('logs/xdp_nobounds.L1.log');
    const d = diagnose(summaryOf(parseLog(text)));
    const lines = text.split('\n');
    for (const st of d.errors[0].causalPath) assert.ok(lines[st.logLine - 1].startsWith(`${st.insn}: (`));
    // A big log (tail window): the same path, at the same absolute lines.
    const pad = read('logs/loop_bounded.L2.log').split('\n').filter((l) => l.startsWith('mark_precise')).join('\n');
    const big = `${pad}\n${pad}\n${text}`;
    const tail = diagnose(summarizeLog(big));
    const full = diagnose(summaryOf(parseLog(big)));
    assert.ok(big.length > 400_000);
    assert.deepEqual(tail.errors[0].causalPath, full.errors[0].causalPath);
  });
});
