/**
 * Two kernels' logs of one program aligned by instruction (features/align.ts), on the real logs of
 * Debian 5.10, 6.1, 6.12, 6.18 and 7.3 (test/fixtures/kernels/): each verdict of the divergences
 * below was read in both logs by hand; the tests make sure spelling differences between
 * generations never count as a divergence.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { alignLogs, comparable, renderSide } from '../../server/src/features/align';
import { lineText, parseLog } from '../../server/src/log/parse';
import { parseValue } from '../../server/src/log/value';
import { list, read, ROOT } from '../helpers/fixtures';

const DIRS: Record<string, string> = {
  '5.10': '5.10.251-deb11-cloud', '6.1': '6.1.192-deb12-cloud', '6.12': '6.12.117-deb12-cloud',
  '6.18': '6.18.15-deb13bpo-cloud', '7.3': '7.3.4-deb13bpo-cloud',
};
const log = (kernel: string, program: string) => parseLog(read(`kernels/${DIRS[kernel]}/${program}.L2.log`));
const compare = (a: string, b: string, program: string) => alignLogs(log(a, program), log(b, program));

describe('aligning two kernels\' walks', () => {
  it('a log against itself: every row paired with its twin, no divergence', () => {
    for (const dir of Object.values(DIRS)) {
      for (const rel of list(`kernels/${dir}`, '.L2.log')) {
        const l = parseLog(read(rel));
        const a = alignLogs(l, l);
        assert.equal(a.divergence, null, rel);
        assert.ok(a.rows.every((r) => r.left && r.right && r.left.key === r.right.key), rel);
        assert.equal(a.rows.length, l.events.count + l.paths.filter((p) => p.fromInsn !== null).length + 1, rel);
      }
    }
  });

  it('5.10 loses the bounds of `r3 |= r2` (insn 9) that 6.12 keeps; hex and implied bounds before it are no divergence', () => {
    const a = compare('5.10', '6.12', 'xdp_nobounds');
    const d = a.divergence!;
    assert.equal(d.kind, 'state');
    const row = a.rows[d.row];
    assert.equal(row.left!.insn, 9);
    assert.match(row.left!.text, /r3 \|= r2/);
    assert.match(row.left!.detail, /unbounded/);
    assert.match(row.right!.detail, /unsigned range \[0, 0xffff\]/);
    // Insn 8 printed `umax_value=65280` on 5.10 and `smin=smin32=0,smax=umax=…=0xff00` on 6.12.
    const before = a.rows.slice(0, d.row).find((r) => r.left?.insn === 8)!;
    assert.notEqual(before.left!.detail, before.right!.detail);
    assert.equal(a.rows.slice(0, d.row).every((r) => r.left && r.right), true);
  });

  it('6.12, 6.18 and 7.3 agree despite 7.3 printing fewer bounds; 6.1 agrees on loop_bounded', () => {
    for (const program of ['xdp_nobounds', 'loop_bounded', 'xdp_pass']) {
      for (const [x, y] of [['6.12', '6.18'], ['6.12', '7.3'], ['6.18', '7.3'], ['6.1', '7.3']]) {
        // 6.1 loses the same OR's bounds in both packet parsers (see the 5.10 test).
        if (program !== 'loop_bounded' && x === '6.1') continue;
        assert.equal(compare(x, y, program).divergence, null, `${program} ${x} vs ${y}`);
      }
    }
  });

  it('bpf_loop: 5.10 stops before the walk; the divergence gives its error, not just the other side\'s first step', () => {
    const d = compare('5.10', '6.12', 'bpf_loop').divergence!;
    assert.equal(d.kind, 'verdict');
    assert.match(d.reason, /the left walk ends here \(rejected: number of funcs in func_info doesn't match number of subprogs\); the right goes on at insn 0/);
  });

  it('loop_bounded: 6.1 explores a path 5.10 never pushes (`from 15 to 17`), both accept', () => {
    const a = compare('5.10', '6.1', 'loop_bounded');
    const d = a.divergence!;
    assert.equal(d.kind, 'walk');
    assert.equal(a.rows[d.row].left, null);
    assert.equal(a.rows[d.row].right!.text, 'from 15 to 17');
    const end = a.rows[a.rows.length - 1];
    assert.equal(end.left!.fact, 'accepted');
    assert.equal(end.right!.fact, 'accepted');
  });

  it('rows point back at the log lines of their steps', () => {
    const left = log('6.1', 'xdp_nobounds');
    const a = alignLogs(left, log('7.3', 'xdp_nobounds'));
    for (const r of a.rows.filter((x) => x.left?.key.startsWith('i'))) {
      assert.match(lineText(left, r.left!.line), new RegExp(`^${r.left!.insn}: \\(`));
    }
  });

  it('renders both sides with one line per row, blank where a side has no step', () => {
    const a = compare('5.10', '6.1', 'loop_bounded');
    const left = renderSide(a.rows, 'left').split('\n');
    const right = renderSide(a.rows, 'right').split('\n');
    assert.equal(left.length, a.rows.length + 1);
    assert.equal(right.length, left.length);
    assert.equal(left[a.divergence!.row], '');
    assert.equal(right[a.divergence!.row], 'from 15 to 17');
  });

  it('renders equal meanings as equal text, so a diff editor marks only real differences', () => {
    const a = compare('5.10', '6.12', 'xdp_nobounds');
    const left = renderSide(a.rows, 'left').split('\n');
    const right = renderSide(a.rows, 'right').split('\n');
    const differing = a.rows.map((_, i) => i).filter((i) => left[i] !== right[i]);
    // Insn 6-8 print their bounds differently on the two kernels (implied vs printed signed range, decimal vs hex).
    assert.deepEqual(differing, [a.divergence!.row]);
  });
});

describe('walks too different to align', () => {
  const big = path.join(ROOT, '.cache', 'bench', 'big.L2.log');
  it('are paired in order, with the first difference, rather than diffed without bound', { skip: fs.existsSync(big) ? false : `${big} missing (npm test makes it)` }, () => {
    // 73,738 instruction steps against 665: far more edits than the aligner's budget.
    const a = alignLogs(parseLog(fs.readFileSync(big, 'utf8')), log('6.1', 'loop_bounded'));
    assert.equal(a.aligned, false);
    assert.equal(a.rows.length, Math.max(a.rows.filter((r) => r.left).length, a.rows.filter((r) => r.right).length));
    assert.equal(a.divergence?.kind, 'walk');
  });
});

describe('comparable values', () => {
  it('one meaning, every spelling', () => {
    const same = (x: string, y: string) => assert.equal(comparable(parseValue(x)), comparable(parseValue(y)), `${x} vs ${y}`);
    same('inv(id=0,umax_value=65280,var_off=(0x0; 0xff00))', 'scalar(smin=smin32=0,smax=umax=smax32=umax32=0xff00,var_off=(0x0; 0xff00))');
    same('scalar(smax=0x7fffffff00000000,umax=0xffffffff00000000,smin32=0,smax32=umax32=0,var_off=(0x0; 0xffffffff00000000))',
      'scalar(smax=0x7fffffff00000000,smin32=0,smax32=umax32=0,var_off=(0x0; 0xffffffff00000000))');
    same('inv2', 'P2');
    same('pkt(id=0,off=14,r=14,imm=0)', 'pkt(off=14,r=14)');
    same('map_value_or_null(id=1,off=0,ks=4,vs=8,imm=0)', 'map_value_or_null(id=3,map=m,ks=4,vs=8)');
  });

  it('different meanings stay different', () => {
    const differ = (x: string, y: string) => assert.notEqual(comparable(parseValue(x)), comparable(parseValue(y)), `${x} vs ${y}`);
    differ('inv(id=0)', 'scalar(smin=smin32=0,smax=umax=smax32=umax32=0xffff,var_off=(0x0; 0xffff))');
    differ('pkt(off=14,r=14)', 'pkt(off=14,r=0)');
    differ('map_value_or_null(id=1,ks=4,vs=8)', 'map_value(id=1,ks=4,vs=8)');
    differ('scalar(smin=-1,smax=0)', 'scalar(umax=1)');
  });
});
