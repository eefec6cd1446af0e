/**
 * Logs of 4.x/5.x kernels published in public issues (test/fixtures/public/SOURCES.md cites each).
 * No kernel we can boot prints these spellings any more, so these samples are the 4.x evidence.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diagnose } from '../../server/src/diagnose/diagnosis';
import { LineKind, type Generation, type Verdict } from '../../server/src/log/model';
import { lineText, parseLog } from '../../server/src/log/parse';
import { summaryOf } from '../../server/src/log/summary';
import { list, read } from '../helpers/fixtures';

interface Want {
  generation: Generation;
  verdict: Verdict;
  headline?: string;
  code?: string;
  truncated?: boolean;
  loader?: string;
}

const WANT: Record<string, Want> = {
  'bcc-issue1236-biosnoop-4.4-map-value-or-null': { generation: '4.x', verdict: 'rejected', headline: "R7 invalid mem access 'map_value_or_null'", code: 'null-deref' },
  'bcc-issue209-type-inv-expected-fp': { generation: '4.x', verdict: 'rejected', headline: 'R3 type=inv expected=fp', code: 'arg-type-mismatch' },
  'bcc-issue253-tcpv4connect-2015': { generation: '4.x', verdict: 'rejected', headline: "R1 invalid mem access 'inv'", code: 'scalar-deref' },
  'bcc-pr1483-tcptracer-4.9': { generation: '4.x', verdict: 'rejected', headline: "R1 invalid mem access 'inv'", code: 'scalar-deref' },
  'p4c-xdp-issue13-negative-pkt-const': { generation: '4.x', verdict: 'rejected', code: 'ptr-arith' },
  'p4c-xdp-issue35-pkt-shift-4.10': { generation: '4.x', verdict: 'rejected', headline: "R9 invalid mem access 'inv'" },
  'p4c-xdp-issue41-kernel-4.10.1': { generation: '4.x', verdict: 'rejected', code: 'ptr-arith' },
  'kernel-doc-filter-txt-4.9-from-to': { generation: '4.x', verdict: 'rejected', headline: "R0 invalid mem access 'imm'" },
  'deepflow-pr5920-4.14-bcc-hint': { generation: '4.x', verdict: 'rejected', headline: "R8 invalid mem access 'inv'", truncated: true },
  'bpftrace-issue632-back-edge': { generation: 'unknown', verdict: 'rejected', headline: 'back-edge from insn 233 to 8', code: 'back-edge', loader: 'bpftrace' },
  'katran-issue149-iproute2-4.18': { generation: 'unknown', verdict: 'rejected', headline: 'R1 type=inv expected=map_ptr', loader: 'tc' },
  'libbpf-bootstrap-android-issue1-5.10': { generation: '5.x', verdict: 'rejected', headline: "R7 invalid mem access 'inv'", loader: 'libbpf' },
  'pwru-issue404-cilium-ebpf-5.4': { generation: '5.x', verdict: 'rejected', headline: 'invalid bpf_context access off=0 size=8', code: 'ctx-access', loader: 'cilium/ebpf' },
  'xdp-tutorial-issue269-libbpf-5.x': { generation: '5.x', verdict: 'rejected', headline: 'R2 offset is outside of the packet', code: 'pkt-out-of-bounds', loader: 'libbpf' },
  'xdp-tutorial-pr136-libbpf-call_-1': { generation: '5.x', verdict: 'rejected', headline: 'R2 offset is outside of the packet', loader: 'libbpf' },
  'xdp-tutorial-issue218-precision-from-to-5.x': { generation: '5.x', verdict: 'unknown', truncated: true },
  'bpftrace-issue584-safe-pruning-fragment': { generation: '4.x', verdict: 'unknown', truncated: true },
  'cilium-issue11107-tc-4.9-complexity': { generation: '4.x', verdict: 'unknown', truncated: true, loader: 'tc' },
  'bcc-issue1861-tcplife-4.17-head-fragment': { generation: '5.x', verdict: 'unknown', truncated: true },
};

/** Logs wrapped line by line in a structured logger's fields: recognised as such, not parsed inside. */
const WRAPPED = ['cilium-issue4103-journald-tc-invalid-stack', 'cilium-pr11109-logrus-4.9-fragment'];

describe('published 4.x/5.x logs', () => {
  const files = list('public', '.log');
  it('every sample has an expectation', () => {
    for (const f of files) {
      const name = f.replace(/^public\//, '').replace(/\.log$/, '');
      assert.ok(name in WANT || WRAPPED.includes(name), name);
    }
  });
  for (const [name, want] of Object.entries(WANT)) {
    it(`${name}: ${want.generation}, ${want.verdict}`, () => {
      const log = parseLog(read(`public/${name}.log`));
      assert.equal(log.generation, want.generation);
      assert.equal(log.verdict, want.verdict);
      if (want.truncated !== undefined) assert.equal(log.truncated, want.truncated);
      if (want.loader) assert.ok(log.loader.loaders.includes(want.loader), log.loader.loaders.join());
      if (want.headline) assert.equal(log.errors[0]?.headline, want.headline);
      if (want.code) assert.equal(diagnose(summaryOf(log)).errors[0].code, want.code);
      // Inside the walk every line is recognised; only a line cut by the paste may remain.
      const unrec = [...log.lineKinds.keys()].filter((i) => log.lineKinds[i] === LineKind.Unrecognised);
      assert.ok(unrec.length <= 1, unrec.map((i) => lineText(log, i)).join('\n'));
    });
  }
  it('4.x states decode: map values with attributes after the parenthesis', () => {
    const log = parseLog(read('public/cilium-issue11107-tc-4.9-complexity.log'));
    assert.ok(log.events.count > 0);
    const st = log.states.after(log.events.count - 1);
    assert.ok(st.slots.length > 0);
  });
});
