/** Register/stack state rebuilt from real logs' deltas. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventAt, lineText, parseLog } from '../../server/src/log/parse';
import type { VerifierLog } from '../../server/src/log/model';
import { read } from '../helpers/fixtures';

function eventOf(log: VerifierLog, insn: number, nth = 0): number {
  let seen = 0;
  for (let e = 0; e < log.events.count; e++) if (log.events.insn[e] === insn && seen++ === nth) return e;
  throw new Error(`insn ${insn} not in log`);
}

describe('state reconstruction', () => {
  it('6.18 level 1: a register printed many lines earlier is still known', () => {
    const log = parseLog(read('logs/xdp_nobounds.L1.log'));
    const e = eventOf(log, log.errors[0].insn!);
    const before = log.states.before(e);
    // R1 was last printed as a packet pointer; R10 only in the initial state line.
    assert.match(before.get('R1')!.raw, /^pkt\(/);
    assert.equal(before.get('R10')!.raw, 'fp0');
    assert.ok(before.get('R1')!.line < log.events.line[e]);
  });

  it('a helper call clobbers R1-R5 and sets R0', () => {
    const log = parseLog(read('logs/map_null.L1.log'));
    let call = -1;
    for (let e = 0; e < log.events.count; e++) if (eventAt(log, e).text.startsWith('call bpf_map_lookup_elem')) call = e;
    assert.ok(call >= 0);
    const before = log.states.before(call);
    const after = log.states.after(call);
    assert.ok(before.get('R1'), 'R1 holds the map before the call');
    assert.equal(after.get('R1'), undefined);
    assert.match(after.get('R0')!.raw, /map_value_or_null/);
  });

  it('path starts reset the state to what `from X to Y:` prints', () => {
    const log = parseLog(read('logs/xdp_pass.L2.log'));
    const p = log.paths.find((x) => x.fromInsn !== null && !x.pruned)!;
    const st = log.states.atLine(p.line)!;
    assert.ok(st.slots.length > 0);
    for (const s of st.slots) assert.equal(s.line, p.line);
  });

  it('callback frames are kept apart from the caller', () => {
    const log = parseLog(read('logs/bpf_loop.L2.log'));
    const e = [...log.events.frame].findIndex((f) => f === 1);
    const st = log.states.after(e);
    assert.equal(st.frame, 1);
    assert.ok(st.slots.every((s) => s.frame === 1 || s.frame === 0));
    assert.ok(st.slots.some((s) => s.frame === 1 && s.name === 'R10'));
  });

  it('every state of a level-2 log replays without error', () => {
    const log = parseLog(read('logs/loop_bounded.L2.log'));
    assert.ok(log.states.replayAll() > 0);
    for (let e = 0; e < log.events.count; e += 7) {
      assert.ok(log.states.before(e).slots.length > 0);
    }
  });

  it('5.10 prints a full state before each insn: the rebuilt state equals it, checkpoints included', () => {
    const log = parseLog(read('kernels/5.10.251-deb11-cloud/loop_bounded.L2.log'));
    let checked = 0;
    for (let e = 0; e < log.events.count; e++) {
      const line = log.events.line[e];
      const prev = lineText(log, line - 1);
      const m = new RegExp(`^${log.events.insn[e]}: (R.*)$`).exec(prev);
      if (!m) continue;
      const printed = m[1].split(/ (?=R\d|fp-)/).map((x) => x.replace(/_[rwD]+=/, '=')).sort();
      const rebuilt = log.states.before(e).slots.map((s) => `${s.name}=${s.raw}`).sort();
      assert.deepEqual(rebuilt, printed, `insn ${log.events.insn[e]} at line ${line + 1}`);
      checked++;
    }
    assert.ok(checked > 100, `checked ${checked}`);
  });
});

describe('held references', () => {
  it('refs=N printed with a state is part of the rebuilt state', () => {
    const log = parseLog(read('logs/ringbuf_leak.L1.log'));
    const exit = log.errors[0].event!;
    assert.equal(log.states.before(exit).get('refs')?.raw, '2');
  });
});
