/** Real logs of Debian kernels 5.10, 6.1, 6.12, 6.18 and 7.3 (test/fixtures/kernels/README.md). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diagnose } from '../../server/src/diagnose/diagnosis';
import { LineKind, type Generation } from '../../server/src/log/model';
import { lineText, parseLog } from '../../server/src/log/parse';
import { summaryOf } from '../../server/src/log/summary';
import { list, read } from '../helpers/fixtures';

const KERNELS: Record<string, { generation: Generation; headline: string }> = {
  '5.10.251-deb11-cloud': { generation: '5.x', headline: 'R1 offset is outside of the packet' },
  '6.1.192-deb12-cloud': { generation: '6.x', headline: 'R1 offset is outside of the packet' },
  '6.12.117-deb12-cloud': { generation: '6.x', headline: 'R1 offset is outside of the packet' },
  '6.18.15-deb13bpo-cloud': { generation: '6.x', headline: 'R1 offset is outside of the packet' },
  '7.3.4-deb13bpo-cloud': { generation: '7.3+', headline: 'R1 min value is outside of the allowed memory range' },
};

/** Verdict the capture tool recorded in the `# verdict:` header line. */
function recordedVerdict(text: string): 'accepted' | 'rejected' | 'unknown' {
  const m = /^# verdict: (PASS|FAIL)/m.exec(text);
  if (!m) return 'unknown';
  // iter_num on 5.10/6.1: libbpf refused before the kernel printed anything.
  if (m[1] === 'FAIL' && !/^# ---- verifier log \(verbatim\) ----\n\S/m.test(text)) return 'unknown';
  return m[1] === 'PASS' ? 'accepted' : 'rejected';
}

for (const [kernel, want] of Object.entries(KERNELS)) {
  describe(`kernel ${kernel}`, () => {
    for (const rel of list(`kernels/${kernel}`, '.log')) {
      it(`${rel.split('/').pop()}: verdict, generation, no unrecognised line`, () => {
        const text = read(rel);
        const log = parseLog(text);
        assert.equal(log.verdict, recordedVerdict(text));
        const unrec = [...log.lineKinds.keys()].filter((i) => log.lineKinds[i] === LineKind.Unrecognised);
        assert.deepEqual(unrec.map((i) => lineText(log, i)), []);
        if (log.events.count > 0 && !(want.generation === '7.3+' && !/xdp_nobounds|\.L2\./.test(rel))) {
          assert.equal(log.generation, want.generation);
        }
      });
    }
    it('xdp_nobounds: the packet error, at insn 11, C line 22', () => {
      const log = parseLog(read(`kernels/${kernel}/xdp_nobounds.log`));
      assert.equal(log.errors.length, 1);
      assert.equal(log.errors[0].headline, want.headline);
      assert.equal(log.errors[0].insn, 11);
      const d = diagnose(summaryOf(log));
      assert.equal(d.errors[0].category, 'Memory Safety');
      // 5.10 and 6.1 print `; C text` without a location: no source from the log alone.
      if (kernel.startsWith('5.10') || kernel.startsWith('6.1.')) assert.equal(d.errors[0].source, null);
      else assert.equal(d.errors[0].source?.line, 22);
    });
  });
}

describe('kernel 7.3 diagnostic block', () => {
  it('reads category, problem, location, causal path and suggestion', () => {
    const log = parseLog(read('kernels/7.3.4-deb13bpo-cloud/xdp_nobounds.log'));
    const k = log.kernelDiagnostic!;
    assert.equal(k.category, 'Memory Safety');
    assert.equal(k.problem, 'Access outside bounds');
    assert.deepEqual(k.at, { function: 'xdp_nobounds', file: 'xdp_nobounds.c', line: 22, column: 10 });
    assert.equal(k.atInsn, 11);
    assert.deepEqual(k.causalPath.map((c) => [c.location?.line, c.insn]), [[11, 2], [15, 5], [17, 10]]);
    assert.match(k.causalPath[0].text, /^update: R1 changed/);
    assert.match(k.suggestion, /bounds check/);
    const d = diagnose(summaryOf(log));
    assert.deepEqual(d.errors[0].source, { file: 'xdp_nobounds.c', line: 22, column: 10 });
  });
  it('recognises the 7.3 static pre-pass in level-2 logs', () => {
    const log = parseLog(read('kernels/7.3.4-deb13bpo-cloud/bpf_loop.L2.log'));
    assert.equal(log.generation, '7.3+');
    assert.ok(log.lineKinds.includes(LineKind.Prepass));
  });
});

describe('version differences', () => {
  it('5.10 prints full states on their own lines; the model carries R1 across', () => {
    const log = parseLog(read('kernels/5.10.251-deb11-cloud/xdp_nobounds.L2.log'));
    const e = log.errors[0].event!;
    assert.equal(log.states.before(e).get('R1')?.raw, 'pkt(id=0,off=0,r=14,imm=0)');
  });
  it('bpf_loop is rejected on 5.10 (helper unknown before 5.17)', () => {
    const log = parseLog(read('kernels/5.10.251-deb11-cloud/bpf_loop.log'));
    assert.equal(log.verdict, 'rejected');
  });
});
